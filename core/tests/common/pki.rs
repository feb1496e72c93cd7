//! A throwaway PKI for TLS tests: a self-signed CA (rcgen, on ring like the
//! rest of the TLS stack) that issues server certificates for
//! `localhost`/`127.0.0.1` and client certificates, in both the PEM form
//! `TlsOptions` takes and the DER form rustls takes.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A self-signed CA that issues server and client certificates.
pub struct TestCa {
    pub cert_pem: String,
    pub cert_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate and its private key, in both the PEM form `TlsOptions` takes
/// and the DER form rustls takes.
pub struct IssuedCert {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: CertificateDer<'static>,
    pub key_der: PrivateKeyDer<'static>,
}

impl TestCa {
    pub fn new(common_name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCa {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    pub fn issue(
        &self,
        common_name: &str,
        names: &[&str],
        usage: ExtendedKeyUsagePurpose,
    ) -> IssuedCert {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        IssuedCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().clone(),
            key_der: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        }
    }

    /// A server certificate valid for `localhost` and `127.0.0.1` only.
    /// Client TLS settings that trust this CA (and nothing else).
    pub fn trusted(&self) -> temporal_bridge_core::TlsSetting {
        temporal_bridge_core::TlsSetting::Options(temporal_bridge_core::TlsOptions {
            server_root_ca_cert: Some(self.cert_pem.clone()),
            ..Default::default()
        })
    }

    pub fn server_cert(&self) -> IssuedCert {
        self.issue(
            "temporal-bridge test server",
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    pub fn client_cert(&self) -> IssuedCert {
        self.issue(
            "temporal-bridge test client",
            &[],
            ExtendedKeyUsagePurpose::ClientAuth,
        )
    }
}
