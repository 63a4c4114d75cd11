//! `careplan-client`: the office's reference client.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use client::config::{Config, FILE_NAME};
use client::run::RunOptions;

/// ケアプランデータ連携の事業所用クライアント。介護ソフトが送信フォルダーに書き出したファイルを検査して中継サーバーへ
/// 送り、届いたファイルを受信フォルダーに置きます。電子証明書はこのプログラムだけが使い、ブラウザーには入れません。
///
/// The office's client for the care-plan data exchange: it checks the files the care software exports into the
/// outbox folder and sends them to the relay, and puts the files that arrive into the inbox folder. Only this
/// program uses the office certificate; no browser holds it.
#[derive(Parser)]
#[command(name = "careplan-client", version)]
struct Cli {
    /// 設定ファイル / the configuration file
    #[arg(long, global = true, env = "CAREPLAN_CLIENT_CONFIG", default_value = FILE_NAME)]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 設定ファイルとフォルダー（送信・受信・送信済み・送信不可）と状態データベースを作ります。
    /// Writes the configuration and creates the folders (outbox, inbox, sent, refused) and the state database.
    Init {
        /// 中継サーバーの URL / the relay's URL, e.g. https://relay.example:8443
        #[arg(long)]
        relay: String,
        /// 中継サーバーの CA 証明書 (PEM) / the CA certificate the relay's certificate chains to
        #[arg(long)]
        ca: PathBuf,
        /// 事業所の電子証明書 (PEM) / the office certificate
        #[arg(long)]
        certificate: PathBuf,
        /// 事業所の秘密鍵 (PEM) / the office's private key
        #[arg(long)]
        key: PathBuf,
        /// 介護ソフトが書き出すフォルダー（既定: 設定ファイルの隣の outbox）/ where the care software exports
        /// (default: outbox beside the configuration)
        #[arg(long)]
        outbox: Option<PathBuf>,
        /// 介護ソフトが取り込むフォルダー（既定: 設定ファイルの隣の inbox）/ where the care software imports from
        /// (default: inbox beside the configuration)
        #[arg(long)]
        inbox: Option<PathBuf>,
    },
    /// 送信フォルダーを監視して送信し、受信したファイルを受信フォルダーに置きます（Ctrl+C で停止）。
    /// Watches the outbox and sends; puts received files into the inbox (Ctrl+C stops).
    Run {
        /// 書き込んだらすぐ受領確認する（既定: 介護ソフトが取り込んでから）/ acknowledge as soon as written
        /// (default: once the care software has taken the files)
        #[arg(long)]
        ack_on_receive: bool,
        /// 受信確認の最短間隔（秒）/ least seconds between two inbox requests
        #[arg(long, default_value_t = 10.0)]
        poll_interval: f64,
        /// 書き込み中のファイルを見直す間隔（ミリ秒）/ milliseconds between two looks at a unit being written
        #[arg(long, default_value_t = 1000)]
        settle_ms: u64,
        /// 確認画面を開くアドレス（ループバックのみ、例 127.0.0.1:8765）/ serve the local page on this loopback
        /// address, e.g. 127.0.0.1:8765
        #[arg(long)]
        page: Option<std::net::SocketAddr>,
    },
    /// 送信待ち・送信済み・送信不可・受信・取り込み待ちを表示します。
    /// Lists what is waiting, sent, refused, received and not yet taken.
    Status {
        /// 各一覧の最大件数 / most entries per list
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Init { relay, ca, certificate, key, outbox, inbox } => {
            let dir = cli.config.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
            let dir = std::fs::canonicalize(dir)?;
            for (what, path) in [("CA", &ca), ("certificate", &certificate), ("key", &key)] {
                std::fs::metadata(path)
                    .with_context(|| format!("{what} / 読めません / cannot read: {}", path.display()))?;
            }
            let absolute = |path: PathBuf| std::path::absolute(&path).unwrap_or(path);
            let mut config = Config::beside(&dir, relay, absolute(ca), absolute(certificate), absolute(key));
            config.outbox = outbox.map_or(config.outbox, absolute);
            config.inbox = inbox.map_or(config.inbox, absolute);
            config.create_folders()?;
            client::state::State::open(&config.state)?;
            config.save(&cli.config)?;
            println!("設定を書きました / wrote {}", cli.config.display());
            Ok(())
        }
        Command::Run { ack_on_receive, poll_interval, settle_ms, page } => {
            let config = Config::load(&cli.config)?;
            let options = RunOptions {
                ack_on_receive,
                poll_interval: Duration::from_secs_f64(poll_interval.max(0.0)),
                settle: Duration::from_millis(settle_ms),
                page,
                faults: client::faults::Faults::from_env(),
                ..RunOptions::default()
            };
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(client::run::run(&config, &options, async {
                let _ = tokio::signal::ctrl_c().await;
            }))?;
            Ok(())
        }
        Command::Status { limit } => {
            let config = Config::load(&cli.config)?;
            print!("{}", client::status::overview(&config, limit)?.render());
            Ok(())
        }
    }
}
