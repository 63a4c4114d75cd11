//! The relay's web page end to end, in headless Chromium against a real relay. One browser per office, each
//! presenting its own client certificate from its own NSS database: the care manager drops files, sees a finding,
//! fixes the file and sends; the provider opens the inbox, previews the plan as its form, downloads, acknowledges;
//! the care manager sees the status change; a third office cannot open the message, nor tell it exists; the
//! provider takes an anonymised copy for its vendor; the care manager prints its exchange record (送受信記録) and
//! saves it signed, and the signature is checked. Every step leaves a screenshot in the artifacts folder.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use regex::Regex;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::office::{js, OfficeBrowser, WAIT};

const RECIPIENT: &str = "1370002058";
/// One step, waits included, ends within this.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// What the story runs against; the browsers are the three offices'.
pub struct Story {
    pub relay: String,
    pub fixtures: PathBuf,
    pub artifacts: PathBuf,
    pub refserver: PathBuf,
    pub pki: PathBuf,
    pub sender: OfficeBrowser,
    pub recipient: OfficeBrowser,
    pub outsider: OfficeBrowser,
}

/// Runs every step in order and returns how many passed; the first that fails ends the story (the later ones
/// build on it) with both browsers' screens saved as `failed-<step>-*.png`.
pub async fn run(s: &Story) -> Result<usize> {
    let mut passed = 0;
    macro_rules! step {
        ($name:expr, $body:expr) => {{
            let value = step(s, $name, $body).await?;
            passed += 1;
            value
        }};
    }
    step!("the page opens over mutual TLS and names the office from its certificate", s.page_opens());
    step!("a bad file set shows its finding with line, item and rule code, and cannot be sent", s.bad_set());
    step!("the corrected file, chosen with the file picker, replaces the bad one and the set can be sent", s.fixed());
    let plan = step!("sending shows the message id and status", s.send());
    let ticket = step!("the service ticket set is sent the same way", s.send_ticket(&plan));
    step!("the outbox lists the send as sent", s.outbox(&plan, &ticket));
    step!("the recipient sees both messages in its inbox", s.inbox(&plan, &ticket));
    step!(
        "第2表 previews as its form: needs, goals and services, with the person from the supplement",
        s.table2(&plan)
    );
    step!("第1表, the monthly 第6表 grid with totals that match the file, and 第7表 preview", s.tables(&plan, &ticket));
    step!("a page on another site cannot make the office's browser download or acknowledge", s.cross_site(&ticket));
    step!("downloading a file gives the original bytes under its standard-spec name", s.download(&plan));
    step!("acknowledging from the keyboard marks the message acknowledged", s.acknowledge(&plan));
    step!("the recipient takes a copy without personal data for its vendor", s.anonymised(&plan, &ticket));
    step!("the sender sees the acknowledgement in its outbox", s.acknowledged(&plan, &ticket));
    step!("the sender prints its exchange record for the month and saves it signed", s.record());
    step!("a third office cannot open a message between two others, nor tell that it exists", s.outsider(&plan));
    step!("no script errors on any page; the third office saw only the 404s it asked for", s.no_errors());
    Ok(passed)
}

/// Runs one step within its time; on failure saves both browsers' screens next to the step's screenshots.
async fn step<T>(s: &Story, name: &str, body: impl Future<Output = Result<T>>) -> Result<T> {
    let started = Instant::now();
    let outcome = match tokio::time::timeout(STEP_TIMEOUT, body).await {
        Ok(outcome) => outcome,
        Err(_) => Err(anyhow!("the step did not end within {} s", STEP_TIMEOUT.as_secs())),
    };
    match outcome {
        Ok(value) => {
            eprintln!("✔ {name} ({} ms)", started.elapsed().as_millis());
            Ok(value)
        }
        Err(error) => {
            eprintln!("✘ {name} ({} ms)", started.elapsed().as_millis());
            let slug: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            let _ = s.sender.screenshot(&s.artifacts.join(format!("failed-{slug}-sender.png")), false).await;
            let _ = s.recipient.screenshot(&s.artifacts.join(format!("failed-{slug}-recipient.png")), false).await;
            Err(error.context(format!("browser step failed: {name}")))
        }
    }
}

impl Story {
    fn fixture_files(&self, folder: &str, pattern: &str) -> Result<Vec<PathBuf>> {
        let pattern = Regex::new(pattern)?;
        let dir = self.fixtures.join(folder);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("read {}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.file_name().is_some_and(|name| pattern.is_match(&name.to_string_lossy())))
            .collect();
        files.sort();
        Ok(files)
    }

    fn plan_files(&self, folder: &str) -> Result<Vec<PathBuf>> {
        self.fixture_files(folder, r"^(UP1KYO|UP2KYO|UP3KYO|UPHOSOKU_000000)_")
    }

    fn ticket_files(&self, folder: &str) -> Result<Vec<PathBuf>> {
        self.fixture_files(folder, r"^(UPPLAN|UPSIKYU|UPHOSOKU_202505)_.*_20250425090500\.CSV$")
    }

    /// The one file of the valid plan or ticket unit whose name starts with `prefix`.
    fn valid_file(&self, prefix: &str) -> Result<PathBuf> {
        let mut files = self.plan_files("valid/kaigo2-new-plan")?;
        files.extend(self.ticket_files("valid/kaigo2-new-plan")?);
        files
            .into_iter()
            .find(|path| name_of(path).starts_with(prefix))
            .ok_or_else(|| anyhow!("no {prefix} file in fixtures/valid/kaigo2-new-plan"))
    }

    fn artifact(&self, name: &str) -> PathBuf {
        self.artifacts.join(name)
    }

    async fn page_opens(&self) -> Result<()> {
        let page = &self.sender;
        let answer = page.goto(&format!("{}/", self.relay)).await?;
        ensure!(answer.status == 200, "status {}", answer.status);
        let csp = header(&answer.headers, "content-security-policy");
        ensure!(csp.contains("default-src 'none'"), "content-security-policy: {csp}");
        page.text("#me strong", Some("さくら居宅介護支援事業所")).await?;
        ensure!(page.property("#send-button", "disabled").await? == true, "the send button is on with nothing to send");
        page.screenshot(&self.artifact("01-send-empty.png"), false).await
    }

    async fn bad_set(&self) -> Result<()> {
        let page = &self.sender;
        page.drop_files("#drop", &self.plan_files("invalid/FLD006-february-30")?).await?;
        let found = page
            .wait(
                "const bad = [...document.querySelectorAll('article.file.bad')].find((a) => a.innerText.includes('UP1KYO_')); \
                 const finding = bad && [...bad.querySelectorAll('tr.finding.error')].find((r) => r.innerText.includes('FLD006')); \
                 return finding ? { text: finding.innerText, next: bad.querySelector('caption .next-step').innerText } : null;",
                "the FLD006 finding on the bad UP1KYO file",
            )
            .await?;
        let text = found["text"].as_str().unwrap_or_default();
        for expected in ["1 行目", "第1表 No.18 認定日", "20250230", "直し方"] {
            ensure!(text.contains(expected), "「{expected}」 is not in the finding: {text}");
        }
        let next = found["next"].as_str().unwrap_or_default();
        ensure!(next.contains("介護ソフトで直して"), "the next step says: {next}");
        page.text("#check-status", Some("エラー")).await?;
        ensure!(page.count("article.file.good").await? == 3, "three good files expected");
        ensure!(page.property("#send-button", "disabled").await? == true, "a set with an error can be sent");
        // The recipient comes from the file names.
        ensure!(page.property("#recipient", "value").await? == RECIPIENT, "the recipient is not {RECIPIENT}");
        page.text("#send-blocked", Some("エラーが")).await?;
        page.screenshot(&self.artifact("02-bad-file.png"), true).await
    }

    async fn fixed(&self) -> Result<()> {
        let page = &self.sender;
        page.choose_files("#choose", &[self.valid_file("UP1KYO_")?]).await?;
        page.wait("return document.querySelectorAll('article.file.good').length >= 4;", "four good files").await?;
        ensure!(page.count("article.file").await? == 4, "four files expected");
        ensure!(page.count("tr.finding.error").await? == 0, "an error is still shown");
        page.text("#send-button:enabled", None).await?;
        page.screenshot(&self.artifact("send-page.png"), false).await
    }

    async fn send(&self) -> Result<String> {
        let page = &self.sender;
        page.click("#send-button", None).await?;
        let id = page.text(".result.ok .message-id", None).await?.trim().to_string();
        ensure!(!id.is_empty(), "no message id shown");
        let status = page.text(".result.ok .status", None).await?;
        ensure!(status.contains("送信済み"), "status: {status}");
        ensure!(page.count("article.file").await? == 0, "the sent files are still listed");
        page.screenshot(&self.artifact("03-sent.png"), false).await?;
        Ok(id)
    }

    async fn send_ticket(&self, plan: &str) -> Result<String> {
        let page = &self.sender;
        page.drop_files("#drop", &self.ticket_files("valid/kaigo2-new-plan")?).await?;
        page.wait("return document.querySelectorAll('article.file.good').length >= 3;", "three good files").await?;
        page.text("#send-button:enabled", None).await?;
        page.click("#send-button", None).await?;
        let script = format!(
            "const e = document.querySelector('.result.ok .message-id'); \
             return e && e.innerText.trim() !== {} ? e.innerText.trim() : null;",
            js(plan)
        );
        let ticket = page.wait(&script, "the ticket's message id").await?;
        Ok(ticket.as_str().unwrap_or_default().to_string())
    }

    async fn outbox(&self, plan: &str, ticket: &str) -> Result<()> {
        let page = &self.sender;
        page.click("#tab-outbox", None).await?;
        let plan_row = page.text(&row(plan, ""), None).await?;
        ensure!(plan_row.contains("ヘルパーステーションひまわり"), "outbox row: {plan_row}");
        let status = page.text(&row(plan, ".status-cell"), None).await?;
        ensure!(status.contains("送信済み（未読）"), "status: {status}");
        // Whose unit it is, without opening it: the name from 利用者補足情報; a ticket unit also says its month.
        matches(&page.text(&row(plan, "td.subject"), None).await?, r"加藤　和子[\s\S]*計画書")?;
        matches(&page.text(&row(ticket, "td.subject"), None).await?, r"加藤　和子[\s\S]*2025年5月分")?;
        page.screenshot(&self.artifact("04-outbox-sent.png"), false).await
    }

    async fn inbox(&self, plan: &str, ticket: &str) -> Result<()> {
        let page = &self.recipient;
        page.goto(&format!("{}/#inbox", self.relay)).await?;
        page.text("#me strong", Some("ヘルパーステーションひまわり")).await?;
        let plan_row = page.text(&row(plan, ""), None).await?;
        page.text(&row(ticket, ""), None).await?;
        ensure!(plan_row.contains("さくら居宅介護支援事業所") && plan_row.contains("第2表"), "inbox row: {plan_row}");
        // A clerk reads what it has not opened yet as unread, not as the sender's "sent".
        let status = page.text(&row(plan, ".status-cell"), None).await?;
        ensure!(status.contains("未読"), "status: {status}");
        matches(&page.text(&row(plan, "td.subject"), None).await?, r"加藤　和子[\s\S]*計画書")?;
        matches(&page.text(&row(ticket, "td.subject"), None).await?, r"加藤　和子[\s\S]*2025年5月分")?;
        let count = page.text("#inbox-count", None).await?;
        ensure!(count == "2", "inbox count {count}");
        // Unread units come in the order they were sent (the plan before the ticket), as they are to be imported.
        let order = page
            .eval("return [...document.querySelectorAll('#inbox-table tbody tr')].slice(0, 2).map((r) => r.dataset.message);")
            .await?;
        ensure!(order == serde_json::json!([plan, ticket]), "inbox order {order}");
        page.screenshot(&self.artifact("05-inbox.png"), false).await
    }

    async fn table2(&self, plan: &str) -> Result<()> {
        let page = &self.recipient;
        page.click(&row(plan, "li[data-file^=\"UP2KYO_\"] a.preview-link"), None).await?;
        page.text(".form-title h1", Some("居宅サービス計画書（2）")).await?;
        ensure!(page.text("table.grid thead", None).await?.contains("長期目標"), "no 長期目標 column");
        ensure!(page.count("table.grid tbody tr").await? >= 3, "fewer than three rows");
        ensure!(page.text("td.person", None).await?.contains("殿"), "no 殿 after the person's name");
        ensure!(page.text("table.grid", None).await?.contains("訪問介護"), "no 訪問介護 in the grid");
        page.screenshot(&self.artifact("preview-table2.png"), true).await?;
        self.prints_a4_landscape(page, "preview-table2.pdf").await?;
        page.back().await
    }

    /// The print stylesheet: A4 landscape, no toolbar.
    async fn prints_a4_landscape(&self, page: &OfficeBrowser, pdf: &str) -> Result<()> {
        page.media("print").await?;
        ensure!(!visible(page, "nav.toolbar").await?, "the toolbar is printed");
        let bytes = page.pdf(&self.artifact(pdf)).await?;
        a4_landscape(&bytes)?;
        page.media("screen").await
    }

    async fn tables(&self, plan: &str, ticket: &str) -> Result<()> {
        let page = &self.recipient;
        page.click(&row(plan, "li[data-file^=\"UP1KYO_\"] a.preview-link"), None).await?;
        page.text(".form-title h1", Some("居宅サービス計画書（1）")).await?;
        let policy = page.text("[data-item=\"overall_support_policy\"]", None).await?;
        ensure!(!policy.trim().is_empty(), "no 総合的な援助の方針");
        ensure!(
            page.text("[data-item=\"care_level\"]", None).await?.contains("要介護２"),
            "care level is not 要介護２"
        );
        page.screenshot(&self.artifact("preview-table1.png"), true).await?;
        page.back().await?;

        page.click(&row(ticket, "li[data-file^=\"UPPLAN_\"] a.preview-link"), None).await?;
        page.text(".form-title h1", Some("サービス利用票（予定）")).await?;
        // Units × count over every record of the file, read from the CSV itself (numbers are ASCII in Shift_JIS),
        // shown with thousands separators, as the form prints amounts.
        let expected = thousands(total_units(&std::fs::read(self.valid_file("UPPLAN_")?)?)?);
        let shown = page.text("[data-total-units]", None).await?;
        ensure!(shown == expected, "total units shown {shown}, the file says {expected}");
        ensure!(page.count("table.month thead th.sun").await? > 0, "no Sunday marked");
        // May 2025: 5/3 憲法記念日, 5/4 みどりの日, 5/5 こどもの日 and 5/6 振替休日 are marked as holidays.
        let holidays = page
            .eval("return [...document.querySelectorAll('table.month thead th.hol')].map((th) => th.title);")
            .await?;
        ensure!(
            holidays == serde_json::json!(["憲法記念日", "みどりの日", "こどもの日", "休日（振替休日）"]),
            "holidays marked in May 2025: {holidays}"
        );
        page.screenshot(&self.artifact("preview-table6.png"), true).await?;
        page.back().await?;

        page.click(&row(ticket, "li[data-file^=\"UPSIKYU_\"] a.preview-link"), None).await?;
        page.text(".form-title h1", Some("サービス利用票別表")).await?;
        ensure!(
            page.text("table.grid thead", None).await?.contains("区分支給限度基準内単位数"),
            "no 区分支給限度基準内単位数"
        );
        // totals named, not their marker codes; amounts with separators; a service code with its kind's name
        let table7 = page.text("table.grid tbody", None).await?;
        ensure!(table7.contains("合計") && table7.contains("111,622"), "第7表: {table7}");
        ensure!(!Regex::new("9999999999|999999|AAAA")?.is_match(&table7), "a marker code is shown: {table7}");
        matches(&table7, r"111211\s*訪問介護")?;
        page.screenshot(&self.artifact("preview-table7.png"), true).await?;
        page.back().await
    }

    async fn cross_site(&self, ticket: &str) -> Result<()> {
        // The recipient's browser presents its certificate to the relay on every request, also on those a page on
        // another site triggers: an image that "downloads" a file, a no-cors fetch and a form that post an ack. The
        // other site is a server on this machine (http://localhost), so the browser's own private-network rules do
        // not stop the requests before they reach the relay: the relay itself must refuse them.
        let page = &self.recipient;
        let upplan = name_of(&self.valid_file("UPPLAN_")?);
        let base = format!("{}/v1/messages/{}", self.relay, encode(ticket));
        let body = format!(
            "<!doctype html><img src=\"{base}/files/{file}\">\
             <form id=\"f\" method=\"post\" enctype=\"text/plain\" action=\"{base}/ack\"><input name=\"x\" value=\"y\"></form>\
             <script>fetch('{base}/ack', {{ method: 'POST', mode: 'no-cors', credentials: 'include' }})\
             .finally(() => document.getElementById('f').submit());</script>",
            file = encode(&upplan)
        );
        let site = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = site.local_addr()?.port();
        let server = tokio::spawn(serve_page(site, body));
        let (evil, log) = page.new_page().await?;
        let ack = format!("{base}/ack");
        let outcome = async {
            evil.goto(format!("http://localhost:{port}/")).await?;
            let deadline = Instant::now() + WAIT;
            loop {
                let posted = log.lock().map(|l| l.answers.iter().any(|a| a.kind == "document" && a.url == ack));
                if posted.unwrap_or(false) {
                    return Ok::<(), anyhow::Error>(());
                }
                ensure!(Instant::now() < deadline, "the form's post of an ack was not answered");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        .await;
        let _ = evil.close().await;
        server.abort();
        outcome?;
        // The image's answer (403 JSON) is withheld by the browser's own opaque-response blocking; whether the relay
        // acted on it shows in the status below.
        let (mut answered, failed) = log
            .lock()
            .map(|l| {
                let answered: Vec<String> = l
                    .answers
                    .iter()
                    .filter(|a| a.url.starts_with(&self.relay))
                    .map(|a| format!("{} {}", a.kind, a.status))
                    .collect();
                (answered, l.failed.clone())
            })
            .map_err(|_| anyhow!("log poisoned"))?;
        answered.sort();
        ensure!(answered == ["document 403", "fetch 403"], "the relay answered: {answered:?}; failed: {failed:?}");
        page.click("[data-refresh=\"inbox\"]", None).await?;
        page.text(&row(ticket, ".status-cell"), Some("未読")).await?;
        Ok(())
    }

    async fn download(&self, plan: &str) -> Result<()> {
        let page = &self.recipient;
        let link = row(plan, "li[data-file^=\"UP2KYO_\"] a.download-link");
        // Shown short (kind and time), the whole standard name on hover.
        matches(&page.text(&link, None).await?, r"^UP2KYO \d{4}/\d{2}/\d{2} \d{2}:\d{2}$")?;
        let title = page.property(&link, "@title").await?;
        matches(title.as_str().unwrap_or_default(), r"^UP2KYO_\d{10}_43_\d{10}_11_\d{14}\.CSV$")?;
        let saved = page.download(&link).await?;
        let original = self.valid_file("UP2KYO_")?;
        ensure!(name_of(&saved) == name_of(&original), "saved as {}", name_of(&saved));
        std::fs::copy(&saved, self.artifact(&name_of(&original)))?;
        ensure!(std::fs::read(&saved)? == std::fs::read(&original)?, "the download differs from the file sent");
        page.click("[data-refresh=\"inbox\"]", None).await?;
        page.text(&row(plan, ".status-cell"), Some("ダウンロード済み")).await?;
        Ok(())
    }

    async fn acknowledge(&self, plan: &str) -> Result<()> {
        let page = &self.recipient;
        page.press_enter(&row(plan, "button.ack")).await?;
        page.text(&row(plan, ".status-cell"), Some("受領済み")).await?;
        ensure!(page.property(&row(plan, "button.ack"), "disabled").await? == true, "ack button still on");
        page.text("#inbox-count", Some("1")).await?;
        page.screenshot(&self.artifact("06-inbox-acknowledged.png"), false).await
    }

    async fn anonymised(&self, plan: &str, ticket: &str) -> Result<()> {
        let page = &self.recipient;
        let link = row(plan, "a.anonymised-link");
        ensure!(page.text(&link, None).await?.contains("個人情報を伏せてダウンロード"), "link text");
        let saved = page.download(&link).await?;
        matches(&name_of(&saved), r"^\d{14}_anonymised\.zip$")?;
        std::fs::copy(&saved, self.artifact(&name_of(&saved)))?;
        let zip = std::fs::read(&saved)?;
        ensure!(zip.starts_with(b"PK\x03\x04"), "not a zip");
        ensure!(contains(&zip, b"anonymised-report.txt"), "the zip does not say what was replaced");
        // The 被保険者番号 and the name of the unit's 利用者 are nowhere in it (the zip stores files uncompressed).
        let supplement = std::fs::read(self.valid_file("UPHOSOKU_000000")?)?;
        let fields: Vec<&[u8]> = supplement.split(|b| *b == b',').collect();
        let insured = fields.get(2).copied().unwrap_or_default();
        matches(&String::from_utf8_lossy(insured), r"^\d{10}$")?;
        ensure!(!contains(&zip, insured), "{} is still in the copy", String::from_utf8_lossy(insured));
        let name: Vec<u8> = fields.get(5).copied().unwrap_or_default().iter().copied().filter(|b| *b != b'"').collect();
        ensure!(!name.is_empty() && !contains(&zip, &name), "the name is still in the copy");
        // Taking the copy is not taking the unit: the status stays. Judged on the service ticket, still unread — the
        // plan is acknowledged, a final state no download could move, so a check on it could not fail. The relay's
        // answer after the copy has arrived decides; the sender's outbox shows the ticket unread in the next step.
        let status = page.text(&row(ticket, ".status-cell"), None).await?;
        ensure!(status.contains("未読"), "ticket status {status}");
        let copy = page.download(&row(ticket, "a.anonymised-link")).await?;
        std::fs::copy(copy, self.artifact("ticket-anonymised.zip"))?;
        let script = format!(
            "const r = await fetch('/v1/messages/' + {}, {{ headers: {{ 'X-Careplan-Client': '1' }} }}); \
             return (await r.json()).status;",
            js(ticket)
        );
        let status = page.eval(&script).await?;
        ensure!(status == "sent", "taking an anonymised copy marked the ticket {status}");
        page.click("[data-refresh=\"inbox\"]", None).await?;
        page.text("#inbox-count", Some("1")).await?;
        let status = page.text(&row(ticket, ".status-cell"), None).await?;
        ensure!(status.contains("未読"), "ticket status {status}");
        Ok(())
    }

    async fn acknowledged(&self, plan: &str, ticket: &str) -> Result<()> {
        let page = &self.sender;
        page.click("[data-refresh=\"outbox\"]", None).await?;
        page.text(&row(plan, ".status-cell"), Some("受領済み")).await?;
        let status = page.text(&row(ticket, ".status-cell"), None).await?;
        ensure!(status.contains("送信済み（未読）"), "ticket status {status}");
        page.screenshot(&self.artifact("07-outbox-acknowledged.png"), false).await
    }

    async fn record(&self) -> Result<()> {
        let page = &self.sender;
        page.click("#tab-record", None).await?;
        page.text("#view-record", None).await?;
        page.click("#record-print", None).await?;
        page.text(".form-title h1", Some("送受信記録")).await?;
        let messages = page.text("table.evidence-messages tbody", None).await?;
        matches(&messages, r"UP2KYO_\d{10}_43_\d{10}_11_\d{14}\.CSV")?;
        ensure!(messages.contains("ヘルパーステーションひまわり"), "no counterpart: {messages}");
        // The plan was downloaded and acknowledged; the ticket is still unread.
        matches(&messages, "受信|送信")?;
        ensure!(!page.text("body", None).await?.contains("加藤"), "a 利用者 is on the record");
        page.screenshot(&self.artifact("evidence-print.png"), true).await?;
        self.prints_a4_landscape(page, "evidence.pdf").await?;
        page.back().await?;
        page.text("#view-record", None).await?;
        let saved = page.download("#record-download").await?;
        matches(&name_of(&saved), r"^送受信記録_\d{4}-\d{2}\.zip$")?;
        let kept = self.artifact("exchange-record.zip");
        std::fs::copy(&saved, &kept)?;
        let output = Command::new(&self.refserver)
            .arg("evidence")
            .arg("verify")
            .arg(&kept)
            .arg("--pki")
            .arg(&self.pki)
            .output()?;
        let said = String::from_utf8_lossy(&output.stdout);
        ensure!(output.status.success() && said.contains("the signature holds"), "evidence verify: {said}");
        page.screenshot(&self.artifact("09-record.png"), false).await
    }

    async fn outsider(&self, plan: &str) -> Result<()> {
        let page = &self.outsider;
        page.goto(&format!("{}/#inbox", self.relay)).await?;
        page.text("#me strong", Some("デイサービスあおば")).await?;
        page.text("#view-inbox .empty", None).await?;
        let plan2 = name_of(&self.valid_file("UP2KYO_")?);
        const MADE_UP: &str = "m_00000000000000000000";
        let answer = |id: String| {
            let plan2 = plan2.clone();
            async move {
                let status = page.goto(&format!("{}/preview/{id}/{plan2}", self.relay)).await?.status;
                let text = page.text("body", None).await?.replace(&id, "<id>");
                // The same request from the page's own script, as the web page downloads a file.
                let url = format!("{}/v1/messages/{id}/files/{plan2}", self.relay);
                let script =
                    format!("return (await fetch({}, {{ headers: {{ 'X-Careplan-Client': '1' }} }})).status;", js(url));
                let download = page.eval(&script).await?;
                Ok::<_, anyhow::Error>((status, text, download))
            }
        };
        let real = answer(plan.to_string()).await?;
        let made_up = answer(MADE_UP.to_string()).await?;
        ensure!(
            real == made_up,
            "a message between two other offices must look like one that does not exist: {real:?} / {made_up:?}"
        );
        ensure!(real.0 == 404 && real.2 == 404, "answers {} and {}", real.0, real.2);
        page.screenshot(&self.artifact("08-outsider-not-found.png"), false).await
    }

    async fn no_errors(&self) -> Result<()> {
        let (sender, recipient, outsider) =
            (self.sender.problems(), self.recipient.problems(), self.outsider.problems());
        let all = [sender.clone(), recipient.clone(), outsider.clone()].concat();
        std::fs::write(self.artifact("console.txt"), all.join("\n"))?;
        ensure!(sender.is_empty() && recipient.is_empty(), "errors on the offices' pages:\n{}", all.join("\n"));
        // Chromium logs each refused resource as a console error: two previews and two downloads.
        ensure!(outsider.len() == 4, "the third office's console:\n{}", outsider.join("\n"));
        for problem in &outsider {
            ensure!(problem.contains("status of 404"), "the third office's console: {problem}");
        }
        Ok(())
    }
}

/// Answers every request on `site` with `body` as HTML: the other site of the cross-site step.
async fn serve_page(site: tokio::net::TcpListener, body: String) {
    while let Ok((mut stream, _)) = site.accept().await {
        let body = body.clone();
        tokio::spawn(async move {
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
        });
    }
}

/// The inbox or outbox row of a message, or a part of it.
fn row(id: &str, part: &str) -> String {
    format!("tr[data-message={}] {part}", js(id)).trim_end().to_string()
}

async fn visible(page: &OfficeBrowser, selector: &str) -> Result<bool> {
    let script =
        format!("const e = document.querySelector({}); return !!e && e.getClientRects().length > 0;", js(selector));
    Ok(page.eval(&script).await? == true)
}

fn matches(text: &str, pattern: &str) -> Result<()> {
    ensure!(Regex::new(pattern)?.is_match(text), "「{text}」 does not match /{pattern}/");
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|window| window == needle)
}

fn name_of(path: &Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
}

fn header(headers: &Value, name: &str) -> String {
    headers
        .as_object()
        .and_then(|map| map.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)))
        .and_then(|(_, value)| value.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Percent-encodes everything but unreserved characters, as `encodeURIComponent` does for these names.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// 単位数 (No.8) × 回数 (No.14) summed over a 第6表's records; an empty count is once.
fn total_units(csv: &[u8]) -> Result<u64> {
    let mut total = 0;
    for line in csv.split(|b| *b == b'\n').map(|line| line.strip_suffix(b"\r").unwrap_or(line)) {
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(|b| *b == b',').map(|f| std::str::from_utf8(f).unwrap_or("?")).collect();
        let number = |index: usize, empty: u64| match fields.get(index).copied().unwrap_or("") {
            "" => Ok(empty),
            value => value.parse::<u64>().with_context(|| format!("item {} 「{value}」 is not a number", index + 1)),
        };
        total += number(7, 0)? * number(13, 1)?;
    }
    Ok(total)
}

fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let head = digits.len() % 3;
    let mut groups: Vec<&str> = if head > 0 { vec![&digits[..head]] } else { Vec::new() };
    groups.extend(digits.as_bytes()[head..].chunks(3).map(|group| std::str::from_utf8(group).unwrap_or("?")));
    groups.join(",")
}

/// The PDF's first page is A4 landscape (841.9 × 595.3 pt).
fn a4_landscape(pdf: &[u8]) -> Result<()> {
    let text = String::from_utf8_lossy(pdf);
    let captures = Regex::new(r"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]")?
        .captures(&text)
        .ok_or_else(|| anyhow!("no MediaBox in the PDF"))?;
    let (width, height): (f64, f64) = (captures[1].parse()?, captures[2].parse()?);
    if (width - 841.9).abs() >= 1.0 || (height - 595.3).abs() >= 1.0 {
        bail!("A4 landscape, not {width}×{height} pt");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{a4_landscape, thousands, total_units};

    /// Planted: a page printed A4 portrait (or Letter) fails the print step.
    #[test]
    fn only_a4_landscape_passes_the_print_check() {
        assert!(a4_landscape(b"%PDF-1.4 /MediaBox [0 0 841.92 595.32] ").is_ok());
        assert!(a4_landscape(b"%PDF-1.4 /MediaBox [0 0 595.32 841.92] ").is_err());
        assert!(a4_landscape(b"%PDF-1.4 /MediaBox [0 0 792 612] ").is_err());
        assert!(a4_landscape(b"%PDF-1.4").is_err());
    }

    /// The expected total is the file's, and a count left empty counts once.
    #[test]
    fn the_expected_total_is_units_times_count() {
        let csv = b"1,2,3,4,5,6,7,250,9,10,11,12,13,4\r\n1,2,3,4,5,6,7,1000,9,10,11,12,13,\r\n";
        assert_eq!(total_units(csv).unwrap(), 2000);
        assert_eq!(thousands(2000), "2,000");
        assert_eq!(thousands(111_622), "111,622");
        assert_eq!(thousands(999), "999");
        assert!(total_units(b"1,2,3,4,5,6,7,x\r\n").is_err());
    }
}
