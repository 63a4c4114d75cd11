//! How a client reaches the relay, shared by the relay's own tools and every client of it without linking the relay:
//! where a PKI folder keeps its files ([`PkiPaths`], the layout `careplan-refserver pki init` writes; issuing stays in
//! `refserver::pki`), and the HTTPS client an office talks to the relay with ([`https_client_builder`]).

use std::path::PathBuf;

/// The files of a PKI folder.
pub struct PkiPaths {
    pub dir: PathBuf,
}

impl PkiPaths {
    pub fn new(dir: impl Into<PathBuf>) -> PkiPaths {
        PkiPaths { dir: dir.into() }
    }
    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
    pub fn ca_key(&self) -> PathBuf {
        self.dir.join("ca.key")
    }
    pub fn server_cert(&self) -> PathBuf {
        self.dir.join("server.pem")
    }
    pub fn server_key(&self) -> PathBuf {
        self.dir.join("server.key")
    }
    /// The relay's certificate for signing evidence records (送受信記録), and its key.
    pub fn signing_cert(&self) -> PathBuf {
        self.dir.join("signing.pem")
    }
    pub fn signing_key(&self) -> PathBuf {
        self.dir.join("signing.key")
    }
    pub fn crl(&self) -> PathBuf {
        self.dir.join("crl.pem")
    }
    pub fn office_cert(&self, number: &str) -> PathBuf {
        self.dir.join("offices").join(format!("{number}.pem"))
    }
    pub fn office_key(&self, number: &str) -> PathBuf {
        self.dir.join("offices").join(format!("{number}.key"))
    }
    /// PEM of an office's certificate followed by its key (what HTTP clients load as an identity).
    pub fn identity_pem(&self, number: &str) -> std::io::Result<Vec<u8>> {
        Ok([std::fs::read(self.office_cert(number))?, std::fs::read(self.office_key(number))?].concat())
    }
    pub fn negative(&self, name: &str) -> (PathBuf, PathBuf) {
        (self.dir.join("negative").join(format!("{name}.pem")), self.dir.join("negative").join(format!("{name}.key")))
    }
    /// Every certificate the CA issued (serial numbers, revocations), kept by the issuer.
    pub fn index(&self) -> PathBuf {
        self.dir.join("index.json")
    }
}

/// An HTTPS client that trusts `ca_pem` and presents `identity_pem` (certificate then key) as its client
/// certificate: how an office talks to the relay.
pub fn https_client(ca_pem: &[u8], identity_pem: &[u8]) -> reqwest::Result<reqwest::Client> {
    https_client_builder(ca_pem, identity_pem)?.build()
}

/// The builder behind [`https_client`], for clients that are built elsewhere (goose users). Every request carries
/// the API client header ([`protocol::CLIENT_HEADER`]) that tells the relay it is not a request
/// another site made a browser send.
pub fn https_client_builder(ca_pem: &[u8], identity_pem: &[u8]) -> reqwest::Result<reqwest::ClientBuilder> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(protocol::CLIENT_HEADER, reqwest::header::HeaderValue::from_static("1"));
    Ok(reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem)?)
        .identity(reqwest::Identity::from_pem(identity_pem)?)
        .default_headers(headers)
        .timeout(std::time::Duration::from_secs(30)))
}
