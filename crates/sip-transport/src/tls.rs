//! TLS configuration with rustls (ring provider).
//!
//! The client side verifies the server's certificate chain against the system roots (read
//! from the OS store, e.g. Debian's `/etc/ssl/certs`, with `rustls-native-certs`) or a given
//! CA file, and checks that the certificate names the host, by default. Turning either check
//! off is explicit ([`TlsClientConfig::set_tls_security`], pyVoIP's `set_tls_security`, or
//! [`TlsClientConfig::check_hostname`]). The server side loads a PEM certificate chain and
//! key (pyVoIP's `cert_file`, `key_file`, `key_password`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::error::{Error, Result};

/// Certificate verification on or off (pyVoIP's `set_tls_security(verify_mode)` with
/// `ssl.CERT_REQUIRED` or `ssl.CERT_NONE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVerifyMode {
    /// Verify the chain and the host name (the default).
    #[default]
    Required,
    /// Accept any certificate and any host name. Only for testing against self-signed
    /// peers: it gives up protection against an active attacker.
    None,
}

/// Where trusted root certificates come from.
#[derive(Clone, PartialEq, Eq)]
pub enum RootSource {
    /// The operating system's store (`rustls-native-certs`).
    System,
    /// A PEM file of CA certificates (pyVoIP users pass this as `cafile`).
    CaFile(PathBuf),
    /// PEM text of CA certificates.
    CaPem(Vec<u8>),
    /// DER certificates.
    CaDer(Vec<CertificateDer<'static>>),
}

impl fmt::Debug for RootSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootSource::System => f.write_str("System"),
            RootSource::CaFile(p) => f.debug_tuple("CaFile").field(p).finish(),
            RootSource::CaPem(b) => write!(f, "CaPem({} bytes)", b.len()),
            RootSource::CaDer(c) => write!(f, "CaDer({} certificates)", c.len()),
        }
    }
}

/// A certificate chain and its private key.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Identity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for Identity {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({} certificates, key hidden)", self.chain.len())
    }
}

impl Identity {
    fn from_files(
        cert_file: &Path,
        key_file: Option<&Path>,
        password: Option<&str>,
    ) -> Result<Identity> {
        let cert_pem = read(cert_file, "certificate chain")?;
        let chain = certs_from_pem(&cert_pem, cert_file, "certificate chain")?;
        // As Python's load_cert_chain: without a key file the key is in the certificate file.
        let (key_pem, key_path) = match key_file {
            Some(p) => (read(p, "private key")?, p),
            None => (cert_pem, cert_file),
        };
        let key = key_from_pem(&key_pem, key_path, password)?;
        Ok(Identity { chain, key })
    }
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Pem {
        what,
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

fn certs_from_pem(
    pem: &[u8],
    path: &Path,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Pem {
            what,
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(Error::Pem {
            what,
            path: path.to_owned(),
            reason: "no CERTIFICATE block".into(),
        });
    }
    Ok(certs)
}

fn is_encrypted_key(pem: &[u8]) -> bool {
    let has = |needle: &[u8]| pem.windows(needle.len()).any(|w| w == needle);
    has(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || has(b"Proc-Type: 4,ENCRYPTED")
}

fn key_from_pem(pem: &[u8], path: &Path, password: Option<&str>) -> Result<PrivateKeyDer<'static>> {
    if is_encrypted_key(pem) {
        return Err(Error::EncryptedKey {
            path: path.to_owned(),
        });
    }
    if password.is_some() {
        // Python's load_cert_chain also ignores a password for an unencrypted key.
        tracing::debug!(path = %path.display(), "key password given but the key is not encrypted");
    }
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| Error::Pem {
        what: "private key",
        path: path.to_owned(),
        reason: format!("{e} (expected a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)"),
    })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Client-side TLS settings: whom to trust and what to check.
///
/// ```
/// use sip_transport::{TlsClientConfig, TlsVerifyMode};
/// // Defaults: system roots, chain verified, host name checked.
/// let strict = TlsClientConfig::new();
/// assert!(strict.verifies_certificate() && strict.checks_hostname());
/// // pyVoIP's set_tls_security(ssl.CERT_NONE):
/// let mut lax = TlsClientConfig::new();
/// lax.set_tls_security(TlsVerifyMode::None);
/// assert!(!lax.verifies_certificate() && !lax.checks_hostname());
/// ```
#[derive(Debug, Clone)]
pub struct TlsClientConfig {
    roots: RootSource,
    verify_certificate: bool,
    check_hostname: bool,
    identity: Option<Identity>,
}

impl Default for TlsClientConfig {
    fn default() -> Self {
        TlsClientConfig::new()
    }
}

impl TlsClientConfig {
    /// System roots, certificate verification and host-name checking on (pyVoIP's
    /// `TLS_VERIFY_MODE = True`, `TLS_CHECK_HOSTNAME = True`).
    pub fn new() -> Self {
        TlsClientConfig {
            roots: RootSource::System,
            verify_certificate: true,
            check_hostname: true,
            identity: None,
        }
    }

    /// Trusts these roots instead of the system's.
    pub fn with_roots(mut self, roots: RootSource) -> Self {
        self.roots = roots;
        self
    }

    /// Trusts the CA certificates in a PEM file instead of the system roots.
    pub fn with_ca_file(self, path: impl Into<PathBuf>) -> Self {
        self.with_roots(RootSource::CaFile(path.into()))
    }

    /// pyVoIP's `set_tls_security`: `Required` turns verification and host-name checking
    /// on, `None` turns both off.
    pub fn set_tls_security(&mut self, mode: TlsVerifyMode) {
        let on = mode == TlsVerifyMode::Required;
        self.verify_certificate = on;
        self.check_hostname = on;
    }

    /// Turns the host-name check on or off while still verifying the chain (pyVoIP's
    /// `TLS_CHECK_HOSTNAME`). Without chain verification there is no host-name check.
    pub fn check_hostname(mut self, on: bool) -> Self {
        self.check_hostname = on;
        self
    }

    /// Whether the chain is verified.
    pub fn verifies_certificate(&self) -> bool {
        self.verify_certificate
    }

    /// Whether the host name is checked (only when the chain is verified).
    pub fn checks_hostname(&self) -> bool {
        self.verify_certificate && self.check_hostname
    }

    /// Presents a client certificate (PEM chain and key; see [`TlsServerConfig::from_pem_files`]
    /// for the key rules).
    pub fn with_client_certificate(
        mut self,
        cert_file: impl AsRef<Path>,
        key_file: Option<&Path>,
        password: Option<&str>,
    ) -> Result<Self> {
        self.identity = Some(Identity::from_files(
            cert_file.as_ref(),
            key_file,
            password,
        )?);
        Ok(self)
    }

    fn root_store(&self) -> Result<RootCertStore> {
        let mut store = RootCertStore::empty();
        let (certs, origin) = match &self.roots {
            RootSource::System => {
                let found = rustls_native_certs::load_native_certs();
                for e in &found.errors {
                    tracing::debug!("system root store: {e}");
                }
                (found.certs, "the system store".to_owned())
            }
            RootSource::CaFile(p) => (
                certs_from_pem(&read(p, "CA certificates")?, p, "CA certificates")?,
                p.display().to_string(),
            ),
            RootSource::CaPem(pem) => (
                certs_from_pem(pem, Path::new("<memory>"), "CA certificates")?,
                "PEM text".to_owned(),
            ),
            RootSource::CaDer(c) => (c.clone(), "DER certificates".to_owned()),
        };
        let (added, ignored) = store.add_parsable_certificates(certs);
        if ignored > 0 {
            tracing::debug!(ignored, "unusable root certificates in {origin}");
        }
        if added == 0 {
            return Err(Error::TlsConfig(format!(
                "no usable root certificate in {origin}"
            )));
        }
        Ok(store)
    }

    /// Builds the rustls configuration.
    pub fn build(&self) -> Result<Arc<rustls::ClientConfig>> {
        let provider = provider();
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::TlsConfig(e.to_string()))?;
        let algorithms = provider.signature_verification_algorithms;
        let verifier: Arc<dyn ServerCertVerifier> = if !self.verify_certificate {
            tracing::warn!("TLS certificate verification is off: peers are not authenticated");
            Arc::new(NoVerification { algorithms })
        } else {
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(self.root_store()?), provider)
                    .build()
                    .map_err(|e| Error::TlsConfig(e.to_string()))?;
            if self.check_hostname {
                webpki
            } else {
                Arc::new(SkipHostname { inner: webpki })
            }
        };
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let config = match &self.identity {
            Some(id) => builder
                .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
                .map_err(|e| Error::TlsConfig(e.to_string()))?,
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}

/// Verifies the chain but accepts a certificate for another name.
#[derive(Debug)]
struct SkipHostname {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for SkipHostname {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain (and revocation) before the name, so a name error means
        // everything else passed.
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Accepts any certificate; still checks that the peer holds the key of the certificate it
/// sent (handshake signatures), so the session keys are not trivially forged.
#[derive(Debug)]
struct NoVerification {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Server-side TLS settings: the certificate chain and key this side presents.
#[derive(Debug, Clone)]
pub struct TlsServerConfig {
    identity: Identity,
}

impl TlsServerConfig {
    /// Loads a PEM certificate chain and key, like Python's `load_cert_chain(cert_file,
    /// key_file, password)`: without `key_file` the key is read from `cert_file`.
    ///
    /// An encrypted key (`ENCRYPTED PRIVATE KEY` or a legacy `Proc-Type: 4,ENCRYPTED`
    /// block) gives [`Error::EncryptedKey`]: no well-kept crate that fits this workspace's
    /// dependency set decrypts it. A password for an unencrypted key is ignored, as in Python.
    pub fn from_pem_files(
        cert_file: impl AsRef<Path>,
        key_file: Option<&Path>,
        password: Option<&str>,
    ) -> Result<Self> {
        Ok(TlsServerConfig {
            identity: Identity::from_files(cert_file.as_ref(), key_file, password)?,
        })
    }

    /// From PEM text of the chain and the key.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self> {
        let p = Path::new("<memory>");
        Ok(TlsServerConfig {
            identity: Identity {
                chain: certs_from_pem(cert_pem, p, "certificate chain")?,
                key: key_from_pem(key_pem, p, None)?,
            },
        })
    }

    /// From DER.
    pub fn from_der(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Self {
        TlsServerConfig {
            identity: Identity { chain, key },
        }
    }

    /// Builds the rustls configuration (no client certificates requested).
    pub fn build(&self) -> Result<Arc<rustls::ServerConfig>> {
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::TlsConfig(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.identity.chain.clone(), self.identity.key.clone_key())
            .map_err(|e| Error::TlsConfig(e.to_string()))?;
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_roots_load() {
        // Debian keeps its roots in /etc/ssl/certs; skip quietly where there is no store.
        if !Path::new("/etc/ssl/certs").exists() {
            return;
        }
        TlsClientConfig::new().build().unwrap();
    }

    #[test]
    fn encrypted_and_bad_keys_are_clear_errors() {
        let dir = std::env::temp_dir().join(format!("sip-transport-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let cert = dir.join("cert.pem");
        std::fs::write(&cert, ck.cert.pem()).unwrap();
        let enc = dir.join("enc.pem");
        std::fs::write(
            &enc,
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
        )
        .unwrap();
        let e = TlsServerConfig::from_pem_files(&cert, Some(&enc), Some("pw")).unwrap_err();
        assert!(matches!(e, Error::EncryptedKey { .. }), "{e}");
        assert!(e.to_string().contains("openssl pkey"));
        // Key missing from the certificate file.
        let e = TlsServerConfig::from_pem_files(&cert, None, None).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Pem {
                    what: "private key",
                    ..
                }
            ),
            "{e}"
        );
        // Combined file: chain and key together, as load_cert_chain allows.
        let both = dir.join("both.pem");
        std::fs::write(
            &both,
            format!("{}{}", ck.cert.pem(), ck.signing_key.serialize_pem()),
        )
        .unwrap();
        TlsServerConfig::from_pem_files(&both, None, Some("ignored"))
            .unwrap()
            .build()
            .unwrap();
        let e = TlsServerConfig::from_pem_files(dir.join("missing.pem"), None, None).unwrap_err();
        assert!(matches!(e, Error::Pem { .. }));
        // A CA file with no certificate in it.
        let e = TlsClientConfig::new()
            .with_ca_file(&enc)
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Pem { .. }), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
