//! The relay's TLS: TLS 1.2 and 1.3 only, a client certificate chaining to the configured CA and not listed in
//! its CRL is required for every connection (else the handshake fails), and the office is the certificate's
//! subject CN (事業所番号).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use crate::pki::PkiPaths;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("client verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

fn read_pem(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::File { path: path.display().to_string(), message: e.to_string() })
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read_pem(path)?;
    rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::File { path: path.display().to_string(), message: e.to_string() })
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read_pem(path)?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(|e| TlsError::File { path: path.display().to_string(), message: e.to_string() })?
        .ok_or_else(|| TlsError::File { path: path.display().to_string(), message: "no private key".into() })
}

fn crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    let pem = read_pem(path)?;
    rustls_pemfile::crls(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::File { path: path.display().to_string(), message: e.to_string() })
}

/// The server configuration for a PKI folder made by `pki init`.
pub fn server_config(pki: &PkiPaths) -> Result<Arc<ServerConfig>, TlsError> {
    build(pki, |verifier| verifier)
}

/// Like [`server_config`], but letting expired client certificates in (a deliberate fault, for tests).
#[cfg(feature = "faults")]
pub fn server_config_accepting_expired(pki: &PkiPaths) -> Result<Arc<ServerConfig>, TlsError> {
    build(pki, |verifier| Arc::new(expired::TolerateExpired(verifier)))
}

type Verifier = Arc<dyn rustls::server::danger::ClientCertVerifier>;

fn build(pki: &PkiPaths, wrap: impl FnOnce(Verifier) -> Verifier) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for certificate in certificates(&pki.ca_cert())? {
        roots.add(certificate)?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .with_crls(crls(&pki.crl())?)
        .build()?;
    let verifier = wrap(verifier);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certificates(&pki.server_cert())?, private_key(&pki.server_key())?)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The office number in a verified client certificate: its subject CN, when that is 10 digits.
pub fn office_of(certificate: &CertificateDer<'_>) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref()).ok()?;
    let common_name = parsed.subject().iter_common_name().next()?.as_str().ok()?.to_string();
    (common_name.len() == 10 && common_name.bytes().all(|b| b.is_ascii_digit())).then_some(common_name)
}

#[cfg(feature = "faults")]
mod expired {
    use rustls::client::danger::HandshakeSignatureValid;
    use rustls::pki_types::{CertificateDer, UnixTime};
    use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
    use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};

    use super::Verifier;

    /// Accepts an otherwise valid client certificate whose validity period has ended.
    #[derive(Debug)]
    pub struct TolerateExpired(pub Verifier);

    impl ClientCertVerifier for TolerateExpired {
        fn root_hint_subjects(&self) -> &[DistinguishedName] {
            self.0.root_hint_subjects()
        }

        fn verify_client_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            now: UnixTime,
        ) -> Result<ClientCertVerified, Error> {
            match self.0.verify_client_cert(end_entity, intermediates, now) {
                Err(Error::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. })) => {
                    Ok(ClientCertVerified::assertion())
                }
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.0.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.0.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_verify_schemes()
        }
    }
}
