//! Helpers shared by the loopback tests: configurations, messages, certificates.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sip_transport::{RootSource, TlsClientConfig, TlsServerConfig, TransportConfig, TransportMode};

pub const WAIT: Duration = Duration::from_secs(5);

pub fn v4() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

pub fn v6() -> SocketAddr {
    "[::1]:0".parse().unwrap()
}

/// A test PKI: one CA and a server certificate for `names` signed by it.
pub struct Pki {
    pub ca: CertificateDer<'static>,
    pub server: TlsServerConfig,
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn pki(names: &[&str]) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "sip-transport test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let leaf = CertificateParams::new(names)
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    Pki {
        ca: ca.der().clone(),
        server: TlsServerConfig::from_der(vec![leaf.der().clone(), ca.der().clone()], key),
        ca_pem: ca.pem(),
        cert_pem: leaf.pem(),
        key_pem: leaf_key.serialize_pem(),
    }
}

impl Pki {
    pub fn client(&self) -> TlsClientConfig {
        TlsClientConfig::new().with_roots(RootSource::CaDer(vec![self.ca.clone()]))
    }
}

/// A configuration for `mode` on `bind`; TLS uses `pki` (server cert and trusted CA).
pub fn config(mode: TransportMode, bind: SocketAddr, pki: Option<&Pki>) -> TransportConfig {
    let mut c = TransportConfig::new(mode, bind);
    if let Some(p) = pki {
        c.tls_server = Some(p.server.clone());
        c.tls_client = Some(p.client());
    }
    c
}

/// A request with everything routing needs. `to_tag` makes it in-dialog.
#[allow(clippy::too_many_arguments)]
pub fn request(
    method: &str,
    target: SocketAddr,
    mode: TransportMode,
    via_addr: SocketAddr,
    call_id: &str,
    from_tag: &str,
    to_tag: Option<&str>,
    branch: &str,
    cseq: u32,
) -> String {
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let body = "v=0\r\n";
    format!(
        "{method} sip:bob@{target} SIP/2.0\r\n\
         Via: SIP/2.0/{mode} {via_addr};branch=z9hG4bK{branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@{via_addr}>;tag={from_tag}\r\n\
         To: <sip:bob@{target}>{to_tag}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} {method}\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

pub fn options(target: SocketAddr, mode: TransportMode, call_id: &str, branch: &str) -> String {
    request(
        "OPTIONS", target, mode, target, call_id, "t1", None, branch, 1,
    )
}
