//! The two-client part of the demo: a care manager's `careplan-client` and a service office's, each with its
//! folders under `target/demo/clients/client-<office>/` (outbox, inbox, sent, refused), the demo relay between them. The
//! plan unit of the valid corpus is dropped into the care manager's outbox; the demo shows it arriving byte for byte
//! in the service office's inbox, and each client's local page (loopback) showing it — the received 第2表 drawn as
//! its form. With `--stay`, both clients and the relay keep running until Ctrl+C, for a browser.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use client::config::Config;
use conformance::i18n::Lang;
use refserver::sandbox::Sandbox;

/// The unit the clients carry: the new plan of the corpus (第1表・第2表・第3表・利用者補足情報), care manager → the
/// home-help office.
const UNIT_FOLDER: &str = "valid/kaigo2-new-plan";
const UNIT_SERIAL: &str = "20250425090000";

/// The longest the unit may take from outbox to inbox: only a hang reaches it.
const CEILING: Duration = Duration::from_secs(60);

/// A client of the demo, running in this process until stopped.
struct Office {
    number: String,
    config: Config,
    page: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), client::ClientError>>,
}

impl Office {
    /// `number`'s client in `<clients>/client-<number>/` (emptied first), with its configuration file there and its
    /// page on a free loopback port.
    fn start(clients: &Path, sandbox: &Sandbox, base: &str, number: &str) -> Result<Office> {
        let folder = clients.join(format!("client-{number}"));
        if folder.exists() {
            std::fs::remove_dir_all(&folder).with_context(|| format!("cannot empty {}", folder.display()))?;
        }
        let config = crate::relay_process::client_office(clients, sandbox, number, base)?.config;
        let page = std::net::SocketAddr::from(([127, 0, 0, 1], crate::relay_process::free_port()?));
        let options = client::run::RunOptions {
            ack_on_receive: true,
            poll_interval: Duration::from_millis(200),
            settle: Duration::from_millis(200),
            page: Some(page),
            ..client::run::RunOptions::default()
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = config.clone();
        let task = tokio::spawn(async move {
            client::run::run(&running, &options, async {
                let _ = stopped.await;
            })
            .await
        });
        Ok(Office { number: number.to_string(), config, page, stop, task })
    }

    fn url(&self) -> String {
        format!("http://{}/", self.page)
    }

    async fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        tokio::time::timeout(CEILING, self.task).await.context("a client did not stop")??.map_err(Into::into)
    }
}

/// The files of the unit the clients carry, by name.
fn unit(fixtures: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(fixtures.join(UNIT_FOLDER))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if name.ends_with(&format!("_{UNIT_SERIAL}.CSV")) {
            files.insert(name, std::fs::read(&path)?);
        }
    }
    if files.is_empty() {
        bail!("the plan unit {UNIT_SERIAL} is missing from fixtures/{UNIT_FOLDER}");
    }
    Ok(files)
}

/// A page of a client's local page, over plain HTTP on loopback.
async fn page(url: &str) -> Result<String> {
    let response = reqwest::Client::new().get(url).timeout(Duration::from_secs(20)).send().await?;
    Ok(response.error_for_status()?.text().await?)
}

/// Runs the two clients through the relay at `base`; with `stay`, keeps them running until Ctrl+C.
pub async fn run(fixtures: &Path, sandbox: &Sandbox, base: &str, lang: Lang, stay: bool) -> Result<()> {
    let files = unit(fixtures)?;
    let first = files.keys().next().context("a file")?;
    let parsed = conformance::filename::parse(first).map_err(|e| anyhow::anyhow!("{first}: {e:?}"))?;
    let clients: PathBuf = crate::target_dir().join("demo").join("clients");
    let manager = Office::start(&clients, sandbox, base, &parsed.sender.office)?;
    let provider = Office::start(&clients, sandbox, base, &parsed.recipient.office)?;
    let say = |ja: String, en: String| println!("{}", if lang == Lang::Ja { ja } else { en });
    let shown = |path: &Path| path.strip_prefix(crate::root()).unwrap_or(path).display().to_string();
    for (office, ja, en) in
        [(&manager, "居宅介護支援事業所", "care manager"), (&provider, "訪問介護事業所", "home-help office")]
    {
        let folder = shown(office.config.outbox.parent().unwrap_or(&office.config.outbox));
        say(
            format!("  {ja} {}: {folder}（outbox/ inbox/ sent/ refused/）画面 {}", office.number, office.url()),
            format!("  {en} {}: {folder} (outbox/ inbox/ sent/ refused/), page {}", office.number, office.url()),
        );
    }

    // The care software exports the unit: each file written under a hidden name, then renamed into the outbox.
    let started = Instant::now();
    for (name, bytes) in &files {
        let hidden = manager.config.outbox.join(format!(".{name}.part"));
        std::fs::write(&hidden, bytes)?;
        std::fs::rename(&hidden, manager.config.outbox.join(name))?;
    }
    let arrived = || files.keys().all(|name| provider.config.inbox.join(name).exists());
    while !arrived() {
        if started.elapsed() > CEILING {
            bail!("the unit did not reach the home-help office's inbox within {CEILING:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (name, bytes) in &files {
        if std::fs::read(provider.config.inbox.join(name))? != *bytes {
            bail!("{name} arrived changed");
        }
    }
    let took = started.elapsed().as_secs_f64();
    let sent: Vec<String> = std::fs::read_dir(&manager.config.sent)?
        .filter_map(|entry| entry.ok().map(|entry| entry.file_name().to_string_lossy().to_string()))
        .collect();
    say(
        format!(
            "  ✓ {} ファイルを送信フォルダーに置き → 送信済み sent/{} → 相手の受信フォルダーに同じバイトで届きました（{took:.1} 秒）",
            files.len(),
            sent.join(", ")
        ),
        format!(
            "  ✓ {} files dropped into the outbox → sent/{} → in the other office's inbox, byte for byte ({took:.1} s)",
            files.len(),
            sent.join(", ")
        ),
    );

    // The home-help office's page lists what arrived and shows the 第2表 as its form.
    let plan = files.keys().find(|name| name.starts_with("UP2KYO_")).context("the unit has a 第2表")?;
    let listing = page(&provider.url()).await?;
    let preview = format!("{}preview/inbox/{plan}", provider.url());
    if !listing.contains(&format!("/preview/inbox/{plan}")) {
        bail!("the home-help office's page does not list {plan}");
    }
    let form = page(&preview).await?;
    if !form.contains("居宅サービス計画書（2）") {
        bail!("the preview of {plan} is not the 第2表 form");
    }
    say(
        format!("  ✓ 受信側の画面で第2表を様式で表示: {preview}"),
        format!("  ✓ the received 第2表 as its form on the home-help office's page: {preview}"),
    );
    let inbox = shown(&provider.config.inbox);
    say(format!("  届いたファイル: {inbox}/"), format!("  what arrived: {inbox}/"));

    if stay {
        say(
            "  2 つのクライアントと中継サーバーは動いています。上の画面をブラウザーで開けます。Ctrl+C で終了します。"
                .to_string(),
            "  Both clients and the relay keep running: open the pages above in a browser. Ctrl+C ends the demo."
                .to_string(),
        );
        let _ = tokio::signal::ctrl_c().await;
    } else {
        say(
            "  （画面はデモの終了とともに閉じます。開いたままにするには cargo xtask demo --stay）".to_string(),
            "  (the pages close with the demo; cargo xtask demo --stay keeps them open)".to_string(),
        );
    }
    manager.stop().await?;
    provider.stop().await
}
