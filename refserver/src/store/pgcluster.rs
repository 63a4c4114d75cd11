//! A throw-away PostgreSQL cluster for tests and tools (feature `sandbox`): `initdb` into a folder, `pg_ctl start`
//! on a free port of 127.0.0.1 only (no Unix socket), trust authentication for the one superuser `relay` — and
//! `pg_ctl stop` when the value is dropped, pass or fail. As root (CI), the cluster runs as the `postgres` user the
//! Debian package creates (PostgreSQL refuses to run as root). `cargo xtask ci` installs the package when
//! `initdb` is missing.
//!
//! [`PgCluster::start_tls`] starts one that takes TLS connections only (`ssl = on`, `hostssl` lines and no `host`
//! lines), with a server certificate the caller made (the tests' and tools' PKI), and optionally `hostssl … cert`:
//! a client certificate from a given CA, its CN the user.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL's server programs (initdb, pg_ctl) are not installed: `cargo xtask ci` installs them \
         (apt-get install postgresql), or install them yourself"
    )]
    NotInstalled,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{command} failed: {output}")]
    Failed { command: String, output: String },
}

/// TLS for a cluster, as PEM text.
pub struct ClusterTls {
    pub certificate: String,
    pub key: String,
    /// The CA whose client certificates every database but the maintenance database `postgres` demands
    /// (`hostssl … cert`, the certificate's CN is the user); `postgres` itself stays open to the harness's `psql`
    /// over TLS, which creates the databases.
    pub client_ca: Option<String>,
}

/// A running cluster; stopped (immediately) and its folder removed when dropped.
pub struct PgCluster {
    bin: PathBuf,
    data: PathBuf,
    pub port: u16,
    run_as: Option<&'static str>,
}

impl PgCluster {
    /// Whether the server programs are at hand.
    pub fn installed() -> bool {
        server_bin().is_some()
    }

    /// Creates and starts a cluster in a folder of its own below `dir` (`dir` must be reachable by the `postgres` user when this
    /// runs as root: under `target/`, not a private temp folder).
    pub fn start(dir: &Path) -> Result<PgCluster, ClusterError> {
        PgCluster::launch(dir, None)
    }

    /// Like [`PgCluster::start`], with TLS only.
    pub fn start_tls(dir: &Path, tls: &ClusterTls) -> Result<PgCluster, ClusterError> {
        PgCluster::launch(dir, Some(tls))
    }

    fn launch(dir: &Path, tls: Option<&ClusterTls>) -> Result<PgCluster, ClusterError> {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let bin = server_bin().ok_or(ClusterError::NotInstalled)?;
        // A folder of its own (tests start clusters in parallel), and a port that may be taken by the time the
        // server binds it: then another port.
        let serial = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let data = dir.join(format!("pg-{}-{serial}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data)?;
        let run_as = is_root().then_some("postgres");
        if let Some(user) = run_as {
            run(Command::new("chown").args([&format!("{user}:"), &data.display().to_string()]))?;
        }
        let mut cluster = PgCluster { bin, data, port: 0, run_as };
        cluster.pg("initdb", &["--auth=trust", "--username=relay", "--encoding=UTF8", "--no-locale", "-D"], true)?;
        let ssl = match tls {
            Some(tls) => cluster.configure_tls(tls)?,
            None => String::new(),
        };
        let mut attempt = 0;
        loop {
            cluster.port = free_port()?;
            let options =
                format!("-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories=''{ssl}", cluster.port);
            match cluster.pg("pg_ctl", &["-w", "-o", &options, "-l", "server.log", "start", "-D"], true) {
                Ok(()) => return Ok(cluster),
                Err(error) if attempt >= 3 => return Err(error),
                Err(_) => attempt += 1,
            }
        }
    }

    /// Writes the certificate files and `pg_hba.conf` of a TLS-only cluster; the server's options that use them.
    fn configure_tls(&self, tls: &ClusterTls) -> Result<String, ClusterError> {
        let mut options = " -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key".to_string();
        let mut files = vec![("server.crt", &tls.certificate), ("server.key", &tls.key)];
        let mut hba = "hostssl all all 127.0.0.1/32 trust\n".to_string();
        if let Some(ca) = &tls.client_ca {
            files.push(("client-ca.crt", ca));
            options.push_str(" -c ssl_ca_file=client-ca.crt");
            hba = "hostssl postgres relay 127.0.0.1/32 trust\nhostssl all all 127.0.0.1/32 cert\n".to_string();
        }
        for (name, contents) in files {
            let path = self.data.join(name);
            // PostgreSQL refuses a key file others can read.
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
            file.write_all(contents.as_bytes())?;
            if let Some(user) = self.run_as {
                run(Command::new("chown").args([&format!("{user}:"), &path.display().to_string()]))?;
            }
        }
        std::fs::write(self.data.join("pg_hba.conf"), hba)?;
        Ok(options)
    }

    /// The URL the store connects with.
    pub fn url(&self) -> String {
        format!("postgres://relay@127.0.0.1:{}/postgres", self.port)
    }

    /// Creates a database in the cluster (for a test of its own); its URL.
    pub fn database(&self, name: &str) -> Result<String, ClusterError> {
        self.execute(&self.url(), &format!("CREATE DATABASE {name}"))?;
        Ok(self.database_url(name))
    }

    /// Runs SQL on the database at `url` (with `psql`).
    pub fn execute(&self, url: &str, sql: &str) -> Result<(), ClusterError> {
        self.pg("psql", &[url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], false)
    }

    /// The URL of a database of the cluster.
    pub fn database_url(&self, name: &str) -> String {
        format!("postgres://relay@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs one of the server's programs (as the cluster's user), `-D <data>` last when `with_data`.
    fn pg(&self, program: &str, args: &[&str], with_data: bool) -> Result<(), ClusterError> {
        let program = self.bin.join(program);
        let mut command = match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&program);
                command
            }
            None => Command::new(&program),
        };
        command.args(args).current_dir(&self.data);
        if with_data {
            command.arg(&self.data);
        }
        run(&mut command)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.pg("pg_ctl", &["-m", "immediate", "stop", "-D"], true);
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn run(command: &mut Command) -> Result<(), ClusterError> {
    let output = command.output()?;
    if output.status.success() {
        return Ok(());
    }
    Err(ClusterError::Failed {
        command: format!("{command:?}"),
        output: format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
    })
}

/// The folder of `initdb` and `pg_ctl`: Debian's newest `/usr/lib/postgresql/<version>/bin`, else the `PATH`'s.
fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| Some((entry.file_name().to_str()?.parse().ok()?, entry.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).or_else(|| {
        std::env::var_os("PATH").and_then(|path| std::env::split_paths(&path).find(|dir| dir.join("initdb").exists()))
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
