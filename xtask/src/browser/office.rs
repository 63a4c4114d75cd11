//! One office's browser: Debian's Chromium under a home folder whose NSS database holds that office's certificate,
//! driven over the DevTools protocol (chromiumoxide). What the steps need and no more: script evaluation, waiting
//! for an element (with a text), real mouse clicks and key presses, dropped and chosen files, downloads, print
//! media and PDF, screenshots, and the page's responses and console errors as they come.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use chromiumoxide::cdp::browser_protocol::browser::{SetDownloadBehaviorBehavior, SetDownloadBehaviorParams};
use chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams;
use chromiumoxide::cdp::browser_protocol::emulation::SetEmulatedMediaParams;
use chromiumoxide::cdp::browser_protocol::log::{EventEntryAdded, LogEntryLevel};
use chromiumoxide::cdp::browser_protocol::network::{EventLoadingFailed, EventResponseReceived};
use chromiumoxide::cdp::browser_protocol::page::{
    EventFileChooserOpened, PrintToPdfParams, SetInterceptFileChooserDialogParams,
};
use chromiumoxide::cdp::js_protocol::runtime::{
    ConsoleApiCalledType, EvaluateParams, EventConsoleApiCalled, EventExceptionThrown,
};
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::layout::Point;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures_util::StreamExt;
use serde_json::Value;

/// How long a wait for an element, a download or an answer may take before the step fails.
pub const WAIT: Duration = Duration::from_secs(15);

/// The flags a locked-down machine needs: no sandbox (root in CI), no GPU, no calls to Google's services.
const ARGS: [&str; 7] = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--lang=ja-JP",
    "--accept-lang=ja-JP",
];

/// Found by `find(selector, text)` in every evaluation: the first element matching `selector` whose text contains
/// `text` (when given) and that is visible — what a person looking at the page would find.
const PRELUDE: &str = "const find = (selector, text) => [...document.querySelectorAll(selector)].find((e) => \
    (text == null || e.innerText.includes(text)) && e.getClientRects().length > 0);";

/// An answer of the relay (or any server) as the page's network saw it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub url: String,
    /// The resource type, lower case as the DevTools protocol names it: `document`, `fetch`, `image`, …
    pub kind: String,
    pub status: i64,
    pub headers: Value,
}

/// What the pages of one browser reported: answers, failed requests, and script or console errors.
#[derive(Default)]
pub struct Log {
    pub answers: Vec<Answer>,
    pub failed: Vec<String>,
    pub problems: Vec<String>,
}

pub struct OfficeBrowser {
    pub browser: Browser,
    pub page: Page,
    pub log: Arc<Mutex<Log>>,
    downloads: PathBuf,
    handler: tokio::task::JoinHandle<()>,
}

impl OfficeBrowser {
    /// Starts Chromium with `home` as its HOME (where Chromium on Linux finds `~/.pki/nssdb`) and one page.
    pub async fn launch(chromium: &Path, home: &Path) -> Result<OfficeBrowser> {
        let profile = home.join("profile");
        let config = BrowserConfig::builder()
            .chrome_executable(chromium)
            .user_data_dir(&profile)
            .no_sandbox()
            .new_headless_mode()
            // Certificate errors are real errors here: the NSS database trusts the test CA and nothing else.
            .respect_https_errors()
            .window_size(1366, 768)
            .viewport(Viewport { width: 1366, height: 768, ..Viewport::default() })
            .env("HOME", home.display().to_string())
            .args(ARGS)
            .launch_timeout(Duration::from_secs(60))
            .build()
            .map_err(|error| anyhow!("chromium configuration: {error}"))?;
        let (browser, mut handler) = Browser::launch(config).await.context("start chromium")?;
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        let page = browser.new_page("about:blank").await?;
        let log = Arc::new(Mutex::new(Log::default()));
        watch(&page, &log, true).await?;
        let downloads = home.join("downloads");
        std::fs::create_dir_all(&downloads)?;
        Ok(OfficeBrowser { browser, page, log, downloads, handler })
    }

    /// Another page in the same browser (the same certificate), whose answers are logged but whose console is not.
    pub async fn new_page(&self) -> Result<(Page, Arc<Mutex<Log>>)> {
        let page = self.browser.new_page("about:blank").await?;
        let log = Arc::new(Mutex::new(Log::default()));
        watch(&page, &log, false).await?;
        Ok((page, log))
    }

    pub fn problems(&self) -> Vec<String> {
        self.log.lock().map(|log| log.problems.clone()).unwrap_or_default()
    }

    /// Navigates and returns the document's answer.
    pub async fn goto(&self, url: &str) -> Result<Answer> {
        let before = self.log.lock().map(|log| log.answers.len()).unwrap_or(0);
        self.page.goto(url).await.with_context(|| format!("open {url}"))?;
        // The answer is the document's, whose URL has no fragment.
        let document = url.split('#').next().unwrap_or(url);
        let deadline = Instant::now() + WAIT;
        loop {
            let found = self.log.lock().ok().and_then(|log| {
                log.answers[before.min(log.answers.len())..]
                    .iter()
                    .find(|answer| answer.kind == "document" && answer.url == document)
                    .cloned()
            });
            if let Some(answer) = found {
                return Ok(answer);
            }
            if Instant::now() > deadline {
                bail!("no answer to the document {url}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Evaluates `script` (a function body: it `return`s; it may `await`) with `find` in scope.
    pub async fn eval(&self, script: &str) -> Result<Value> {
        evaluate(&self.page, script).await
    }

    /// Waits until `script` returns something other than null, undefined or false, and returns it. Errors while
    /// the page navigates count as "not yet".
    pub async fn wait(&self, script: &str, what: &str) -> Result<Value> {
        let deadline = Instant::now() + WAIT;
        let mut last = String::new();
        loop {
            match evaluate(&self.page, script).await {
                Ok(Value::Null | Value::Bool(false)) => {}
                Ok(value) => return Ok(value),
                Err(error) => last = format!(" (last: {error:#})"),
            }
            if Instant::now() > deadline {
                bail!("waited {} s for {what}{last}", WAIT.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the visible element `selector` (containing `text`, when given) and returns its text.
    pub async fn text(&self, selector: &str, text: Option<&str>) -> Result<String> {
        let script =
            format!("{PRELUDE} const e = find({}, {}); return e ? e.innerText : null;", js(selector), js(text));
        let what = match text {
            Some(text) => format!("{selector} with 「{text}」"),
            None => selector.to_string(),
        };
        Ok(self.wait(&script, &what).await?.as_str().unwrap_or_default().to_string())
    }

    /// How many elements match `selector` now.
    pub async fn count(&self, selector: &str) -> Result<u64> {
        let value = self.eval(&format!("return document.querySelectorAll({}).length;", js(selector))).await?;
        value.as_u64().ok_or_else(|| anyhow!("count of {selector}: {value}"))
    }

    /// A property of the first element matching `selector` (`disabled`, `value`, …), or an attribute when the
    /// name starts with `@`.
    pub async fn property(&self, selector: &str, name: &str) -> Result<Value> {
        let read = match name.strip_prefix('@') {
            Some(attribute) => format!("e.getAttribute({})", js(attribute)),
            None => format!("e[{}]", js(name)),
        };
        let script = format!("const e = document.querySelector({}); return e ? {{ v: {read} }} : null;", js(selector));
        let found = self.wait(&script, selector).await?;
        Ok(found["v"].clone())
    }

    /// A real mouse click in the middle of the visible element (scrolled into view first), as a person clicks;
    /// on the first line of a link that wraps, where the box around both lines may hold no link at its middle.
    pub async fn click(&self, selector: &str, text: Option<&str>) -> Result<()> {
        let script = format!(
            "{PRELUDE} const e = find({}, {}); if (!e) return null; e.scrollIntoView({{ block: 'center' }}); \
             const r = e.getClientRects()[0]; return {{ x: r.x + r.width / 2, y: r.y + r.height / 2 }};",
            js(selector),
            js(text)
        );
        let point = self.wait(&script, selector).await?;
        let (x, y) = (point["x"].as_f64().unwrap_or_default(), point["y"].as_f64().unwrap_or_default());
        self.page.click(Point { x, y }).await?;
        Ok(())
    }

    /// Focuses the element (as Tab would) and presses Enter on the keyboard.
    pub async fn press_enter(&self, selector: &str) -> Result<()> {
        let script = format!(
            "const e = document.querySelector({}); if (!e) return null; e.focus(); \
                              return document.activeElement === e;",
            js(selector)
        );
        self.wait(&script, &format!("{selector} focused")).await?;
        self.page.find_element(selector).await?.press_key("Enter").await?;
        Ok(())
    }

    /// Drops files on `target` the way a drag from the desktop arrives: `dragenter` and `drop` carrying File objects.
    pub async fn drop_files(&self, target: &str, files: &[PathBuf]) -> Result<()> {
        let mut payload = Vec::new();
        for path in files {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
            payload.push(serde_json::json!({ "name": name, "bytes": bytes }));
        }
        let script = format!(
            "const transfer = new DataTransfer(); for (const {{ name, bytes }} of {}) \
               transfer.items.add(new File([new Uint8Array(bytes)], name, {{ type: 'text/csv' }})); \
             const target = document.querySelector({}); \
             for (const type of ['dragenter', 'drop']) \
               target.dispatchEvent(new DragEvent(type, {{ bubbles: true, cancelable: true, dataTransfer: transfer }})); \
             return true;",
            Value::Array(payload),
            js(target)
        );
        self.eval(&script).await?;
        Ok(())
    }

    /// Opens the file chooser by pressing Enter on `button` and answers it with `files`, as a person picks files
    /// in the dialog.
    pub async fn choose_files(&self, button: &str, files: &[PathBuf]) -> Result<()> {
        let mut opened = self.page.event_listener::<EventFileChooserOpened>().await?;
        self.page.execute(SetInterceptFileChooserDialogParams::new(true)).await?;
        self.press_enter(button).await?;
        let event = tokio::time::timeout(WAIT, opened.next())
            .await
            .context("no file chooser opened")?
            .ok_or_else(|| anyhow!("the page closed"))?;
        let node = event.backend_node_id.ok_or_else(|| anyhow!("a file chooser without an input element"))?;
        let mut set = SetFileInputFilesParams::new(files.iter().map(|f| f.display().to_string()).collect());
        set.backend_node_id = Some(node);
        self.page.execute(set).await?;
        self.page.execute(SetInterceptFileChooserDialogParams::new(false)).await?;
        Ok(())
    }

    /// Clicks what starts a download and returns the saved file (named as the browser named it: the suggested
    /// name) once it is complete.
    pub async fn download(&self, selector: &str) -> Result<PathBuf> {
        // A folder per download: what is in it when it completes is this download.
        let folder = self.downloads.join(format!("{}", std::fs::read_dir(&self.downloads)?.count()));
        std::fs::create_dir_all(&folder)?;
        let mut allow = SetDownloadBehaviorParams::new(SetDownloadBehaviorBehavior::Allow);
        allow.download_path = Some(folder.display().to_string());
        self.browser.execute(allow).await?;
        self.click(selector, None).await?;
        let deadline = Instant::now() + WAIT;
        loop {
            let files: Vec<PathBuf> = std::fs::read_dir(&folder)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
            let partial = files.iter().any(|f| f.extension().is_some_and(|e| e == "crdownload"));
            if let [file] = files.as_slice() {
                if !partial {
                    return Ok(file.clone());
                }
            }
            if Instant::now() > deadline {
                bail!("no download completed after clicking {selector}: {files:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// CSS media `print` (the print stylesheet) or back to `screen`.
    pub async fn media(&self, media: &str) -> Result<()> {
        self.page.execute(SetEmulatedMediaParams::builder().media(media).build()).await?;
        Ok(())
    }

    /// The page printed to PDF as the page's own CSS sizes it, saved at `path`.
    pub async fn pdf(&self, path: &Path) -> Result<Vec<u8>> {
        let params =
            PrintToPdfParams { prefer_css_page_size: Some(true), print_background: Some(true), ..Default::default() };
        let pdf = self.page.pdf(params).await?;
        std::fs::write(path, &pdf)?;
        Ok(pdf)
    }

    pub async fn screenshot(&self, path: &Path, full_page: bool) -> Result<()> {
        let params = ScreenshotParams::builder().full_page(full_page).build();
        self.page.save_screenshot(params, path).await?;
        Ok(())
    }

    /// Back in history, once the page has left `from`'s URL and loaded again.
    pub async fn back(&self) -> Result<()> {
        let from = self.eval("return location.href;").await?;
        self.eval("history.back(); return true;").await?;
        let script = format!("return location.href !== {from} && document.readyState === 'complete';");
        self.wait(&script, "the page before").await?;
        Ok(())
    }

    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
    }
}

/// Logs a page's answers and failed requests, and with `console` its script and console errors.
async fn watch(page: &Page, log: &Arc<Mutex<Log>>, console: bool) -> Result<()> {
    let mut answers = page.event_listener::<EventResponseReceived>().await?;
    let sink = log.clone();
    tokio::spawn(async move {
        while let Some(event) = answers.next().await {
            let answer = Answer {
                url: event.response.url.clone(),
                kind: event.r#type.as_ref().to_lowercase(),
                status: event.response.status,
                headers: serde_json::to_value(&event.response.headers).unwrap_or_default(),
            };
            if let Ok(mut log) = sink.lock() {
                log.answers.push(answer);
            }
        }
    });
    let mut failed = page.event_listener::<EventLoadingFailed>().await?;
    let sink = log.clone();
    tokio::spawn(async move {
        while let Some(event) = failed.next().await {
            if let Ok(mut log) = sink.lock() {
                log.failed.push(format!("{} failed: {}", event.r#type.as_ref().to_lowercase(), event.error_text));
            }
        }
    });
    if !console {
        return Ok(());
    }
    page.enable_log().await?;
    let mut exceptions = page.event_listener::<EventExceptionThrown>().await?;
    let mut calls = page.event_listener::<EventConsoleApiCalled>().await?;
    let mut entries = page.event_listener::<EventEntryAdded>().await?;
    let sink = log.clone();
    tokio::spawn(async move {
        loop {
            let problem = tokio::select! {
                Some(event) = exceptions.next() => {
                    let details = &event.exception_details;
                    let description = details.exception.as_ref().and_then(|e| e.description.clone());
                    format!("page error: {}", description.unwrap_or_else(|| details.text.clone()))
                }
                Some(event) = calls.next() => {
                    if event.r#type != ConsoleApiCalledType::Error {
                        continue;
                    }
                    let args: Vec<String> = event.args.iter().map(|a| match &a.value {
                        Some(Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                        None => a.description.clone().unwrap_or_default(),
                    }).collect();
                    format!("console: {}", args.join(" "))
                }
                Some(event) = entries.next() => {
                    if event.entry.level != LogEntryLevel::Error {
                        continue;
                    }
                    format!("console: {}", event.entry.text)
                }
                else => break,
            };
            if let Ok(mut log) = sink.lock() {
                log.problems.push(problem);
            }
        }
    });
    Ok(())
}

/// Evaluates a function body in the page's main world, awaiting its promise; a thrown error is an error here.
pub async fn evaluate(page: &Page, script: &str) -> Result<Value> {
    let params = EvaluateParams::builder()
        .expression(format!("(async () => {{ {script} }})()"))
        .await_promise(true)
        .return_by_value(true)
        .build()
        .map_err(|error| anyhow!("{error}"))?;
    let answer = page.execute(params).await?;
    if let Some(exception) = &answer.result.exception_details {
        let description = exception.exception.as_ref().and_then(|e| e.description.clone());
        bail!("script error: {}", description.unwrap_or_else(|| exception.text.clone()));
    }
    Ok(answer.result.result.value.clone().unwrap_or(Value::Null))
}

/// A value written as a JavaScript literal (JSON is one).
pub fn js(value: impl Into<Value>) -> String {
    value.into().to_string()
}
