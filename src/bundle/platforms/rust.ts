import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection } from './platform-readme.js';

const SCYLLA_VERSION = '1.9';

// The scylla crate pins every TLS connection to the node's IP address (X509_VERIFY_PARAM_set1_ip).
// The verify callback keeps every other check and decides only that IP mismatch: accepted when
// hostname verification is off, or when the certificate names tlsServerName instead.
const MAIN_RS = `//! Connects with the bundle's client certificate and prints the server's release_version.
use std::{env, error::Error, fs, path::Path};

use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};
use openssl::x509::X509Ref;
use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::policies::load_balancing::DefaultPolicy;
use serde_json::Value;

/// OpenSSL's X509_V_ERR_IP_ADDRESS_MISMATCH.
const IP_ADDRESS_MISMATCH: i32 = 64;

fn names_host(cert: &X509Ref, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    cert.subject_alt_names().is_some_and(|names| {
        names.iter().filter_map(|name| name.dnsname()).any(|name| {
            let name = name.to_ascii_lowercase();
            match name.strip_prefix("*.") {
                Some(suffix) => host.split_once('.').is_some_and(|(_, rest)| rest == suffix),
                None => name == host,
            }
        })
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = env::var("SCB_BUNDLE_DIR").unwrap_or_else(|_| ".".to_string());
    let dir = Path::new(&dir);
    let config: Value = serde_json::from_str(&fs::read_to_string(dir.join("config.json"))?)?;
    let text = |key: &str| config[key].as_str().map(str::to_string);

    let verify_names = config["hostnameVerification"].as_bool().unwrap_or(true);
    let server_name = text("tlsServerName");
    let mut tls = SslConnector::builder(SslMethod::tls())?;
    tls.set_ca_file(dir.join("ca.crt"))?;
    tls.set_certificate_chain_file(dir.join("cert"))?;
    tls.set_private_key_file(dir.join("key"), SslFiletype::PEM)?;
    tls.set_verify_callback(SslVerifyMode::PEER, move |ok, ctx| {
        if ok || ctx.error().as_raw() != IP_ADDRESS_MISMATCH {
            return ok;
        }
        match (&server_name, ctx.current_cert()) {
            _ if !verify_names => true,
            (Some(name), Some(cert)) => names_host(cert, name),
            _ => false,
        }
    });

    let port = config["cql_port"].as_u64().ok_or("config.json: cql_port missing")?;
    let contact_points = config["contactPoints"].as_array().ok_or("config.json: contactPoints missing")?;
    let nodes = contact_points
        .iter()
        .filter_map(Value::as_str)
        .map(|host| if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") });
    let local_dc = text("localDC").ok_or("config.json: localDC missing")?;
    let policy = DefaultPolicy::builder().prefer_datacenter(local_dc).token_aware(true).build();
    let profile = ExecutionProfile::builder().load_balancing_policy(policy).build();

    let mut builder = SessionBuilder::new()
        .known_nodes(nodes)
        .tls_context(Some(tls))
        .default_execution_profile_handle(profile.into_handle());
    if let (Some(user), Some(password)) = (text("username"), text("password")) {
        builder = builder.user(user, password);
    }
    if let Some(keyspace) = text("keyspace") {
        builder = builder.use_keyspace(keyspace, false);
    }
    let session: Session = builder.build().await?;

    let (version,) = session
        .query_unpaged("SELECT release_version FROM system.local", &[])
        .await?
        .into_rows_result()?
        .single_row::<(String,)>()?;
    println!("{version}");
    Ok(())
}
`;

const CARGO_TOML = `[package]
name = "scb-example"
version = "0.1.0"
edition = "2021"

[dependencies]
openssl = "0.10"
scylla = { version = "${SCYLLA_VERSION}", features = ["openssl-010"] }
serde_json = "1"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
`;

export const platform: Platform = {
  id: 'rust',
  title: 'Rust (scylla crate)',
  files(): PlatformFile[] {
    return [
      { path: 'Cargo.toml', content: CARGO_TOML },
      { path: 'src/main.rs', content: MAIN_RS },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'Rust (scylla crate)',
      `\`platforms/rust\` is a Cargo project (\`scylla\` ${SCYLLA_VERSION} with the \`openssl-010\` feature) that reads ` +
        `\`${ctx.files.config}\` and builds an OpenSSL \`SslConnector\` from \`${ctx.files.caCert}\`, ` +
        `\`${ctx.files.cert}\` and \`${ctx.files.key}\`. The driver checks node certificates against node IP ` +
        'addresses; the example also accepts a certificate naming `tlsServerName` (when set), and skips the name ' +
        'check only when `hostnameVerification` is false. It prints `release_version`:',
      codeBlock('sh', ['cd platforms/rust && SCB_BUNDLE_DIR=../.. cargo run --release']),
    );
  },
};
