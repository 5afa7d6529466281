//! The suite's own test PKI: one CA and a certificate for `voip.test` / `127.0.0.1`
//! signed by it, written as PEM files (Kamailio's tls module reads them; our phone trusts
//! the CA through `tls_ca_file`).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose};

/// PEM files of the test PKI.
#[derive(Debug, Clone)]
pub(crate) struct TestPki {
    /// The CA certificate (what clients trust).
    pub(crate) ca_file: PathBuf,
    /// The server certificate chain (leaf, then CA).
    pub(crate) cert_file: PathBuf,
    /// The server's private key (PKCS#8).
    pub(crate) key_file: PathBuf,
}

impl TestPki {
    /// Makes a CA and a server certificate for `voip.test`, `localhost` and `127.0.0.1`
    /// in `dir`.
    pub(crate) fn create(dir: &Path) -> Result<TestPki> {
        std::fs::create_dir_all(dir)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "voip interop test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)
            .context("making the test CA")?;
        let leaf_key = KeyPair::generate()?;
        let mut leaf_params = CertificateParams::new(vec![
            "voip.test".to_owned(),
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])?;
        leaf_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "voip.test");
        let leaf = leaf_params
            .signed_by(&leaf_key, &ca)
            .context("signing the server certificate")?;
        let pki = TestPki {
            ca_file: dir.join("ca.pem"),
            cert_file: dir.join("server.pem"),
            key_file: dir.join("server.key"),
        };
        std::fs::write(&pki.ca_file, ca.pem())?;
        std::fs::write(&pki.cert_file, format!("{}{}", leaf.pem(), ca.pem()))?;
        std::fs::write(&pki.key_file, leaf_key.serialize_pem())?;
        Ok(pki)
    }
}
