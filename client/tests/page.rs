//! The client's local page over a real socket on 127.0.0.1: a care manager's client sends a plan unit through the
//! relay, and the service office's page lists what arrived and shows each received file as its form, with the
//! person from the unit's 利用者補足情報; the sender's page shows what it sent. Only regular files inside the
//! client's own folders are shown: `..`, separators, absolute paths and a link out of the folder are refused.
//! Names are HTML-escaped.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

mod common;

use std::collections::BTreeMap;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The plan unit of the corpus's new plan (第1表, 第2表, 第3表 and the 利用者補足情報 of ファイル連番 …090000).
fn plan_unit() -> BTreeMap<String, Vec<u8>> {
    folder_files(&fixtures().join("valid/kaigo2-new-plan"))
        .into_iter()
        .filter(|(name, _)| name.ends_with("_20250425090000.CSV"))
        .collect()
}

/// `GET target` sent as written (no client library tidies a `..` away): the status and the body.
async fn get(port: u16, target: &str) -> (u16, String) {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        let request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&response).into_owned())
    };
    let response = tokio::time::timeout(CEILING, exchange).await.expect("answers in time").expect("connects");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, body.to_string())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The href of the first link to `name` on a page.
fn link_to(page: &str, name: &str) -> String {
    let end = page.find(&format!("\">{name}</a>")).unwrap_or_else(|| panic!("no link to {name}: {page}"));
    let start = page[..end].rfind("href=\"").unwrap() + "href=\"".len();
    page[start..end].replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_a_received_file_as_its_form_and_nothing_outside_the_folders() {
    let files = plan_unit();
    assert_eq!(files.len(), 4, "{:?}", files.keys());
    let plan = files.keys().find(|name| name.starts_with("UP2KYO_")).unwrap().clone();
    let supplement = files.keys().find(|name| name.starts_with("UPHOSOKU_")).unwrap().clone();
    let parsed = conformance::filename::parse(&plan).unwrap();
    let offices = Net::offices_of(files.keys().map(String::as_str));
    let net = Net::start(&offices, None).await;
    let (manager, provider) = (net.config(&parsed.sender.office), net.config(&parsed.recipient.office));
    let (manager_port, provider_port) = (free_port(), free_port());
    let with_page =
        |port: u16| client::run::RunOptions { page: Some(([127, 0, 0, 1], port).into()), ..quick("", false) };
    let clients =
        [Running::start(&manager, with_page(manager_port)), Running::start(&provider, with_page(provider_port))];
    for (name, bytes) in &files {
        std::fs::write(manager.outbox.join(name), bytes).unwrap();
    }
    until("the unit in the provider's inbox", async || names(&provider.inbox).len() == files.len()).await;

    // The provider's page lists the received files, each linked to its form.
    let (status, page) = get(provider_port, "/").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("受信 / received（1）"), "{page}");
    let href = link_to(&page, &plan);
    assert_eq!(href, format!("/preview/inbox/{plan}"));
    let (status, preview) = get(provider_port, &href).await;
    assert_eq!(status, 200, "{preview}");
    let expected = forms::render(&plan, &files[&plan], Some((&supplement, &files[&supplement])));
    assert!(preview.contains(&expected), "the form of the received file, with its person: {preview}");
    assert!(preview.contains("<h1>居宅サービス計画書（2）</h1>") && preview.contains("<ruby>"), "{preview}");
    let person = forms::Person::from_supplement(&forms::decode(&supplement, &files[&supplement]).unwrap()).unwrap();
    assert!(!person.name.is_empty() && preview.contains(&person.name), "{}", person.name);
    let (status, css) = get(provider_port, "/assets/page.css").await;
    assert!(status == 200 && css.contains(forms::CSS), "the forms' styles are served with the page");

    // The sender's page shows what it sent, from sent/<unit>/.
    let (_, sent_page) = get(manager_port, "/").await;
    let sent_href = link_to(&sent_page, &plan);
    assert!(sent_href.starts_with("/preview/sent/") && sent_href.ends_with(&plan), "{sent_href}");
    let (status, sent_preview) = get(manager_port, &sent_href).await;
    assert!(status == 200 && sent_preview.contains(&expected), "{sent_preview}");

    // Nothing outside the folders: a secret beside them, reached by `..`, escaped separators, an absolute path, or
    // a link inside the inbox that points out of it.
    let root = provider.inbox.parent().unwrap();
    std::fs::write(root.join("secret.CSV"), "SECRET-MARKER").unwrap();
    std::os::unix::fs::symlink(root.join("secret.CSV"), provider.inbox.join("UPHOSOKU_link.CSV")).unwrap();
    let secret = root.join("secret.CSV");
    let absolute = secret.to_string_lossy().replace('/', "%2F");
    for target in [
        "/preview/inbox/../secret.CSV".to_string(),
        "/preview/inbox/..%2Fsecret.CSV".to_string(),
        "/preview/inbox/%2e%2e/secret.CSV".to_string(),
        "/preview/inbox/%2e%2e%2fsecret.CSV".to_string(),
        "/preview/inbox/..%5Csecret.CSV".to_string(),
        format!("/preview/inbox/{absolute}"),
        format!("/preview/inbox/{}", secret.display()),
        format!("/preview/inbox/{}", secret.display()).replacen("/preview/inbox/", "/preview/inbox//", 1),
        "/preview/sent/../../secret.CSV".to_string(),
        "/preview/refused/..%2F..%2Fsecret.CSV/x".to_string(),
        "/preview/work/secret.CSV".to_string(),
        "/preview/../secret.CSV".to_string(),
        "/preview/inbox/UPHOSOKU_link.CSV".to_string(),
        "/../secret.CSV".to_string(),
    ] {
        let (status, body) = get(provider_port, &target).await;
        assert!(matches!(status, 400 | 404), "{target}: {status} {body}");
        assert!(!body.contains("SECRET"), "{target} showed the secret: {body}");
    }
    for running in clients {
        running.stop().await;
    }
    net.stop().await;
}

/// A file the care software named with markup is refused (its name is no spec name) and listed and shown escaped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_contents_are_escaped() {
    let offices = Net::offices_of(plan_unit().keys().map(String::as_str));
    let net = Net::start(&offices, None).await;
    let manager = net.config(offices.keys().next().unwrap());
    let port = free_port();
    let options = client::run::RunOptions { page: Some(([127, 0, 0, 1], port).into()), ..quick("", true) };
    let running = Running::start(&manager, options);
    let name = "<script>alert(1)<b>.CSV";
    std::fs::write(manager.outbox.join(name), "\"<img src=x onerror=alert(2)>\",\"&\"\r\n").unwrap();
    until("the unit moved to refused/", async || names(&manager.outbox).is_empty()).await;
    let (status, page) = get(port, "/").await;
    assert_eq!(status, 200);
    assert!(!page.contains("<script>") && !page.contains("<b>"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;b&gt;.CSV"), "{page}");
    let href = link_to(&page, "&lt;script&gt;alert(1)&lt;b&gt;.CSV");
    assert!(href.starts_with("/preview/refused/%3Cscript%3E"), "{href}");
    let (status, preview) = get(port, &href).await;
    assert_eq!(status, 200, "{preview}");
    assert!(!preview.contains("<script>") && !preview.contains("<img"), "{preview}");
    let report = link_to(&page, "report.txt");
    let (status, report) = get(port, &report).await;
    assert!(status == 200 && report.contains("<pre class=\"text\">") && !report.contains("<script>"), "{report}");
    running.stop().await;
    net.stop().await;
}
