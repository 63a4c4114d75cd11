//! A relay set up in a folder for tests, demos and load runs: a fresh test PKI and registered offices with their
//! certificates.

use std::path::{Path, PathBuf};

use crate::model::Office;
use crate::pki::{self, PkiError};
use crate::store::{SqliteStore, Store, StoreError};
use transport::{https_client, PkiPaths};

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// An office to register: number, service kinds (one number may hold several services), name, last day of its
/// licence.
pub struct SandboxOffice<'a> {
    pub number: &'a str,
    pub kinds: Vec<&'a str>,
    pub name: &'a str,
    pub licence_until: &'a str,
}

/// An office the synthetic data invents (a load run's population), licensed far into the future.
impl<'a> From<&'a conformance::synth::people::Office> for SandboxOffice<'a> {
    fn from(office: &'a conformance::synth::people::Office) -> SandboxOffice<'a> {
        SandboxOffice {
            number: &office.number,
            kinds: vec![office.kind],
            name: &office.name,
            licence_until: "2099-12-31",
        }
    }
}

/// The pair of offices most tests, demos and load runs exchange between: a care manager (居宅介護支援, kind 43)
/// and a home-help provider (訪問介護, kind 11).
pub const CARE_MANAGER: &str = "1370001002";
pub const HOME_HELP: &str = "1370002058";

/// Where a sandbox keeps things.
pub struct Sandbox {
    pub pki: PathBuf,
    pub data: PathBuf,
}

impl Sandbox {
    /// Creates `dir/pki` and `dir/data` and registers `offices`, issuing each a client certificate.
    pub fn create(dir: &Path, offices: &[SandboxOffice<'_>]) -> Result<Sandbox, SandboxError> {
        let sandbox = Sandbox { pki: dir.join("pki"), data: dir.join("data") };
        let paths = pki::init(&sandbox.pki)?;
        let numbers: Vec<(&str, &str)> = offices.iter().map(|office| (office.number, office.name)).collect();
        pki::issue_offices(&paths, &numbers)?;
        let store = SqliteStore::open(&sandbox.data)?;
        // Every registration submitted before any is awaited: the store's group commit then syncs them in a few
        // commits instead of one each (20,000 offices for the capacity run).
        let pending: Vec<_> = offices
            .iter()
            .map(|office| {
                store.put_office(&Office {
                    number: office.number.into(),
                    name: office.name.into(),
                    kinds: office.kinds.iter().map(|kind| kind.to_string()).collect(),
                    licence_until: office.licence_until.into(),
                })
            })
            .collect();
        for registered in pending {
            registered.wait()?;
        }
        Ok(sandbox)
    }

    /// A sandbox with [`CARE_MANAGER`] and [`HOME_HELP`] registered, both licensed far into the future.
    pub fn care_manager_and_home_help(dir: &Path) -> Result<Sandbox, SandboxError> {
        let office =
            |number, kind, name| SandboxOffice { number, kinds: vec![kind], name, licence_until: "2099-12-31" };
        Sandbox::create(dir, &[office(CARE_MANAGER, "43", "居宅"), office(HOME_HELP, "11", "訪問介護")])
    }

    pub fn paths(&self) -> PkiPaths {
        PkiPaths::new(&self.pki)
    }

    /// PEM of an office's certificate followed by its key (what HTTP clients load as an identity).
    pub fn identity_pem(&self, office: &str) -> std::io::Result<Vec<u8>> {
        self.paths().identity_pem(office)
    }

    /// A rustls client configuration for `office`, trusting this sandbox's CA: for tests that speak raw TLS.
    pub fn tls_client_config(&self, office: &str) -> Result<std::sync::Arc<rustls::ClientConfig>, SandboxError> {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let paths = self.paths();
        let invalid =
            |what: &str| SandboxError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string()));
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pemfile::certs(&mut std::fs::read(paths.ca_cert())?.as_slice()) {
            roots.add(cert?).map_err(|_| invalid("CA certificate"))?;
        }
        let chain: Vec<CertificateDer<'static>> =
            rustls_pemfile::certs(&mut std::fs::read(paths.office_cert(office))?.as_slice())
                .collect::<Result<_, _>>()?;
        let key: PrivateKeyDer<'static> =
            rustls_pemfile::private_key(&mut std::fs::read(paths.office_key(office))?.as_slice())?
                .ok_or_else(|| invalid("office key"))?;
        let config =
            rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|_| invalid("TLS versions"))?
                .with_root_certificates(roots)
                .with_client_auth_cert(chain, key)
                .map_err(|_| invalid("client certificate"))?;
        Ok(std::sync::Arc::new(config))
    }

    /// Starts a relay process (`binary` is `careplan-refserver`) on 127.0.0.1:`port` over this sandbox.
    pub fn spawn_relay(&self, binary: &Path, port: u16) -> std::io::Result<std::process::Child> {
        self.relay_command(binary, port).spawn()
    }

    /// The command [`Sandbox::spawn_relay`] runs, for a caller that adds options (`CAREPLAN_*` variables).
    pub fn relay_command(&self, binary: &Path, port: u16) -> std::process::Command {
        let mut command = std::process::Command::new(binary);
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data")
            .arg(&self.data)
            .arg("--pki")
            .arg(&self.pki)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        command
    }

    /// A client for `office`, trusting this sandbox's CA.
    pub fn client(&self, office: &str) -> Result<reqwest::Client, SandboxError> {
        Ok(https_client(&std::fs::read(self.paths().ca_cert())?, &self.identity_pem(office)?)?)
    }
}
