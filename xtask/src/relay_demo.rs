//! The relay part of the demo: a test PKI and the corpus's offices in a temporary folder, the reference relay on
//! loopback, and every valid send unit of `fixtures/valid` exchanged through it — sent by its sender's certificate,
//! downloaded by the recipient (bytes checked by SHA-256) and acknowledged. One invalid unit must be refused. Then
//! two office clients carry a unit folder to folder through the same relay ([`crate::client_demo`]), and the
//! relay-protocol suite runs against it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use conformance::filename::{self, Party};
use conformance::i18n::Lang;
use refserver::sandbox::{Sandbox, SandboxOffice};
use refserver::server::{self, ServerConfig};
use sha2::{Digest, Sha256};
use suites::relay::send_form;

type Unit = Vec<(String, Vec<u8>)>;

/// The demo relay's body limit: small, so that the suite's 413 case stays quick.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// The relay-protocol suite against the demo relay, with the corpus's care manager, home-help and day-service
/// offices; reports written to target/demo/.
async fn suite(sandbox: &Sandbox, base: &str, lang: Lang) -> Result<()> {
    use suites::relay::{self, OfficeIdentity, RelayTarget};
    let offices = ["1370001002", "1370002058", "1370003183"]
        .iter()
        .map(|number| Ok(OfficeIdentity { number: number.to_string(), identity_pem: sandbox.identity_pem(number)? }))
        .collect::<Result<Vec<_>>>()?;
    let negative = refserver::pki::NEGATIVE
        .iter()
        .map(|(name, _)| {
            let (cert, key) = sandbox.paths().negative(name);
            Ok((name.to_string(), [std::fs::read(cert)?, std::fs::read(key)?].concat()))
        })
        .collect::<Result<Vec<_>>>()?;
    let target = RelayTarget {
        url: base.to_string(),
        ca_pem: std::fs::read(sandbox.paths().ca_cert())?,
        offices,
        negative,
        max_body: Some(MAX_BODY),
    };
    let report = tokio::task::spawn_blocking(move || relay::run(&target, lang, &|_| {})).await?;
    println!();
    print!("{}", report.human(lang));
    let out = crate::target_dir().join("demo");
    std::fs::create_dir_all(&out)?;
    for (name, text) in [
        ("relay.json", report.json()),
        ("relay.junit.xml", report.junit()),
        ("relay.txt", report.human(lang)),
        ("relay.html", report.html(lang)),
    ] {
        std::fs::write(out.join(name), text)?;
    }
    println!("reports: {} (open {} in a browser)", out.display(), out.join("relay.html").display());
    // The demo gives the suite everything it needs: a skipped case is as much a defect as a failed one.
    if report.summary.failed + report.summary.skipped > 0 {
        bail!(
            "the reference relay failed {} and skipped {} protocol cases",
            report.summary.failed,
            report.summary.skipped
        );
    }
    Ok(())
}

/// Files of `dir` (recursively) grouped into send units by (sender, recipient, ファイル連番).
fn units(dir: &Path) -> Result<BTreeMap<(Party, Party, String), Unit>> {
    let mut units: BTreeMap<(Party, Party, String), Unit> = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).with_context(|| format!("cannot read {}", folder.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            if let Ok(parsed) = filename::parse(&name) {
                units
                    .entry((parsed.sender, parsed.recipient, parsed.serial))
                    .or_default()
                    .push((name, std::fs::read(&path)?));
            }
        }
    }
    Ok(units)
}

async fn send(base: &str, client: &reqwest::Client, to: &str, unit: &Unit) -> Result<(u16, serde_json::Value)> {
    let form = send_form(to, unit);
    let response = client.post(format!("{base}/v1/messages")).multipart(form).send().await?;
    Ok((response.status().as_u16(), response.json().await?))
}

pub fn run(fixtures: &Path, lang: Lang, stay: bool) -> Result<()> {
    let valid = units(&fixtures.join("valid"))?;
    // Every office of the corpus with every service kind it appears under (one number may hold several).
    let mut offices: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (sender, recipient, _) in valid.keys() {
        for party in [sender, recipient] {
            offices.entry(party.office.clone()).or_default().insert(party.kind.clone());
        }
    }
    let dir = tempfile::tempdir()?;
    let names: Vec<String> = offices.keys().map(|number| format!("デモ事業所 {number}")).collect();
    let list: Vec<SandboxOffice<'_>> = offices
        .iter()
        .zip(&names)
        .map(|((number, kinds), name)| SandboxOffice {
            number,
            kinds: kinds.iter().map(String::as_str).collect(),
            name,
            licence_until: "2099-12-31",
        })
        .collect();
    let sandbox = Sandbox::create(dir.path(), &list)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let mut config = ServerConfig::new("127.0.0.1:0".parse()?, sandbox.data.clone(), sandbox.pki.clone());
        config.api.max_body = MAX_BODY;
        let running = server::start(config).await?;
        let base = format!("https://127.0.0.1:{}", running.local_addr.port());
        println!("relay: {base} (mutual TLS / 相互TLS, {} offices, {})", offices.len(), dir.path().display());
        let mut exchanged = 0;
        for ((sender, recipient, serial), unit) in &valid {
            let (status, body) = send(&base, &sandbox.client(&sender.office)?, &recipient.office, unit).await?;
            if status != 201 {
                bail!("unit {serial} from {} was refused ({status}): {body}", sender.office);
            }
            let id = serde_json::from_value::<protocol::Message>(body).context("the 201 is not a message")?.id;
            let receiver = sandbox.client(&recipient.office)?;
            for (name, bytes) in unit {
                let url = format!("{base}/v1/messages/{id}/files/{name}");
                let downloaded = receiver.get(url).send().await?.error_for_status()?.bytes().await?;
                if Sha256::digest(&downloaded) != Sha256::digest(bytes) {
                    bail!("{name} came back altered");
                }
            }
            receiver.post(format!("{base}/v1/messages/{id}/ack")).send().await?.error_for_status()?;
            let (office_from, office_to, count) = (&sender.office, &recipient.office, unit.len());
            match lang {
                Lang::Ja => println!("  ✓ {serial} {office_from} → {office_to}: {count} ファイル 送信・受信（SHA-256 一致）・受領確認"),
                Lang::En => println!("  ✓ {serial} {office_from} → {office_to}: {count} file(s) sent, downloaded (SHA-256 equal), acknowledged"),
            }
            exchanged += 1;
        }
        let invalid = units(&fixtures.join("invalid").join("FLD008-hour-25"))?;
        let ((sender, recipient, serial), unit) = invalid.iter().next().context("the invalid sample is missing")?;
        let (status, body) = send(&base, &sandbox.client(&sender.office)?, &recipient.office, unit).await?;
        if status != 422 {
            bail!("the invalid unit {serial} was not refused (status {status})");
        }
        let error: protocol::ErrorBody = serde_json::from_value(body).context("the 422 is not an error body")?;
        let message = error
            .report
            .and_then(|report| {
                let finding = report.findings().next()?;
                let message = if lang == Lang::Ja { &finding.message } else { &finding.message_en };
                Some(format!("{} {message}", finding.rule))
            })
            .unwrap_or_default();
        match lang {
            Lang::Ja => println!("  ✗ {serial}（誤りのある例）は 422 で拒否: {message}"),
            Lang::En => println!("  ✗ {serial} (invalid sample) refused with 422: {message}"),
        }
        match lang {
            Lang::Ja => println!("\n事業所のクライアント 2 台（送信フォルダー → 中継サーバー → 受信フォルダー）:"),
            Lang::En => println!("\nTwo office clients (outbox → relay → inbox):"),
        }
        crate::client_demo::run(fixtures, &sandbox, &base, lang, stay).await?;
        suite(&sandbox, &base, lang).await?;
        running.shutdown().await;
        match lang {
            Lang::Ja => println!("{exchanged} 件の送信単位をやり取りしました。中継サーバーは正常に停止しました。"),
            Lang::En => println!("{exchanged} send units exchanged end to end; the relay stopped cleanly."),
        }
        Ok(())
    })
}
