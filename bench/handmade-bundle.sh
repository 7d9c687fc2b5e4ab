#!/usr/bin/env bash
# The baseline: the openssl + keytool + zip sequence a person would script by hand to make an
# Astra-layout bundle (no per-platform configs). Used by bench/bundle-generation.ts for a side-by-side
# number. Usage: handmade-bundle.sh CA_CERT CA_KEY SERVER_CA SIGNING_KEY OUT_DIR KEY_TYPE(ec|rsa)
set -euo pipefail
ca_cert="$1" ca_key="$2" server_ca="$3" signing_key="$4" out="$5" key_type="${6:-ec}"
mkdir -p "$out" && cd "$out"
password="$(openssl rand -base64 24 | tr -d '/+=')"

if [[ "$key_type" == rsa ]]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key 2>/dev/null
else
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key
fi
openssl req -new -key key -subj "/CN=app/O=example" -out client.csr
cat > ext.cnf <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = URI:spiffe://example.org/ns/default/scb/app
EXT
openssl x509 -req -in client.csr -CA "$ca_cert" -CAkey "$ca_key" -CAcreateserial -days 90 \
  -sha256 -extfile ext.cnf -out cert 2>/dev/null
cp "$server_ca" ca.crt
openssl pkcs12 -export -inkey key -in cert -certfile "$ca_cert" -name client \
  -passout "pass:$password" -out cert.pfx
cp cert.pfx identity.jks
keytool -importcert -noprompt -alias ca -file ca.crt -keystore trustStore.jks -storetype JKS \
  -storepass "$password" >/dev/null 2>&1
cat > config.json <<JSON
{"host":"127.0.0.1","port":9142,"cql_port":9142,"localDC":"dc1","caCertLocation":"./ca.crt","keyLocation":"./key","certLocation":"./cert","keyStoreLocation":"./identity.jks","keyStorePassword":"$password","trustStoreLocation":"./trustStore.jks","trustStorePassword":"$password","pfxCertPassword":"$password"}
JSON
printf '[connection]\nhostname = 127.0.0.1\nport = 9142\nssl = true\n\n[ssl]\nvalidate = true\ncertfile = ./ca.crt\nuserkey = ./key\nusercert = ./cert\n' > cqlshrc
files=(config.json ca.crt cert key cert.pfx identity.jks trustStore.jks cqlshrc)
sha256sum "${files[@]}" > manifest.txt
openssl dgst -sha256 -sign "$signing_key" -out manifest.sig manifest.txt
zip -X -q secure-connect-app.zip "${files[@]}" manifest.txt manifest.sig
