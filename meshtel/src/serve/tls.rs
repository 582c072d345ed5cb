//! The server's TLS configuration: a certificate and key from files, or a self-signed pair
//! generated at start for local use (the API server must then be given its PEM as `caBundle`).

use anyhow::{Context, Result};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// TLS 1.2 and 1.3 with ring's safe defaults, for `cert` (PEM chain) and `key` (PEM).
pub fn from_files(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("{} is not a PEM private key", key.display()))?;
    config(chain, key)
}

/// A fresh self-signed certificate for `names` (DNS names or IP addresses); returns the config
/// and the certificate's PEM, which clients trust directly.
pub fn self_signed(names: &[String]) -> Result<(Arc<ServerConfig>, String)> {
    let generated = rcgen::generate_simple_self_signed(names.to_vec())
        .context("generating a self-signed certificate")?;
    let pem = generated.cert.pem();
    let key = PrivateKeyDer::try_from(generated.signing_key.serialize_der())
        .map_err(|e| anyhow::anyhow!("generated key: {e}"))?;
    let config = config(vec![generated.cert.der().clone()], key)?;
    Ok((config, pem))
}

fn config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the certificate does not match the key")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
