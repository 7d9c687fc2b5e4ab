import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection } from './platform-readme.js';

const MODULE = 'github.com/apache/cassandra-gocql-driver/v2';
const MODULE_VERSION = 'v2.1.2';

// gocql sets tls.Config.ServerName to the dialled address when it is empty, so ServerName is set
// only for tlsServerName. Without hostname verification Go's own check is switched off and the
// chain is still verified against ca.crt in VerifyPeerCertificate. Without a password the
// certificate is the credential, but a node running MutualTlsAuthenticator still asks the client
// to authenticate, and gocql refuses to connect with no Authenticator: it answers with an empty,
// non-nil token (gocql writes a nil one as a null value, which the node rejects).
const EXAMPLE = `// Connects with the bundle's client certificate and prints the server's release_version.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	gocql "${MODULE}"
)

type bundleConfig struct {
	ContactPoints        []string \`json:"contactPoints"\`
	CqlPort              int      \`json:"cql_port"\`
	LocalDC              string   \`json:"localDC"\`
	Keyspace             string   \`json:"keyspace"\`
	TLSServerName        string   \`json:"tlsServerName"\`
	HostnameVerification bool     \`json:"hostnameVerification"\`
	Username             *string  \`json:"username"\`
	Password             string   \`json:"password"\`
}

func main() {
	dir := os.Getenv("SCB_BUNDLE_DIR")
	if dir == "" {
		dir = "."
	}
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		log.Fatal(err)
	}
	var cfg bundleConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		log.Fatal(err)
	}
	tlsConfig, err := clientTLS(dir, cfg)
	if err != nil {
		log.Fatal(err)
	}

	cluster := gocql.NewCluster(cfg.ContactPoints...)
	cluster.Port = cfg.CqlPort
	cluster.Keyspace = cfg.Keyspace
	cluster.SslOpts = &gocql.SslOptions{Config: tlsConfig, EnableHostVerification: cfg.HostnameVerification}
	cluster.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.DCAwareRoundRobinPolicy(cfg.LocalDC))
	if cfg.Username != nil {
		cluster.Authenticator = gocql.PasswordAuthenticator{Username: *cfg.Username, Password: cfg.Password}
	} else {
		cluster.Authenticator = certificateAuthenticator{}
	}
	session, err := cluster.CreateSession()
	if err != nil {
		log.Fatal(err)
	}
	defer session.Close()

	var version string
	if err := session.Query("SELECT release_version FROM system.local").Scan(&version); err != nil {
		log.Fatal(err)
	}
	fmt.Println(version)
}

// certificateAuthenticator answers a node's request to authenticate with an empty token: the
// client certificate is the credential (Cassandra's MutualTlsAuthenticator).
type certificateAuthenticator struct{}

func (certificateAuthenticator) Challenge([]byte) ([]byte, gocql.Authenticator, error) {
	return []byte{}, nil, nil
}

func (certificateAuthenticator) Success([]byte) error { return nil }

func clientTLS(dir string, cfg bundleConfig) (*tls.Config, error) {
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("ca.crt holds no PEM certificate")
	}
	identity, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert"), filepath.Join(dir, "key"))
	if err != nil {
		return nil, err
	}
	config := &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{identity}, MinVersion: tls.VersionTLS12}
	if cfg.HostnameVerification {
		config.ServerName = cfg.TLSServerName
		return config, nil
	}
	config.InsecureSkipVerify = true
	config.VerifyPeerCertificate = func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
		certs := make([]*x509.Certificate, 0, len(rawCerts))
		for _, der := range rawCerts {
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return err
			}
			certs = append(certs, cert)
		}
		if len(certs) == 0 {
			return errors.New("the server sent no certificate")
		}
		intermediates := x509.NewCertPool()
		for _, cert := range certs[1:] {
			intermediates.AddCert(cert)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{
			Roots:         roots,
			Intermediates: intermediates,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		return err
	}
	return config, nil
}
`;

const GO_MOD = `module scb.example/gocql

go 1.21

require ${MODULE} ${MODULE_VERSION}
`;

export const platform: Platform = {
  id: 'go-gocql',
  title: 'Go (gocql)',
  files(): PlatformFile[] {
    return [
      { path: 'main.go', content: EXAMPLE },
      { path: 'go.mod', content: GO_MOD },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'Go (gocql)',
      `\`platforms/go-gocql/main.go\` (module \`${MODULE}\` ${MODULE_VERSION}) reads \`${ctx.files.config}\` and ` +
        `connects with \`${ctx.files.caCert}\`, \`${ctx.files.cert}\` and \`${ctx.files.key}\` through ` +
        '`SslOptions{Config: &tls.Config{...}}`, a token-aware `DCAwareRoundRobinPolicy` and `ClusterConfig.Port`. ' +
        'The server certificate is always verified against `ca.crt`; its name only when `hostnameVerification` is ' +
        'true (against `tlsServerName` when set). Without a password in the bundle it answers a node running ' +
        "Cassandra 5's `MutualTlsAuthenticator` with an empty token (`certificateAuthenticator`): the certificate is " +
        'the credential. It prints `release_version`:',
      codeBlock('sh', ['cd platforms/go-gocql && go mod tidy && SCB_BUNDLE_DIR=../.. go run .']),
    );
  },
};
