//! The client check: a relay started with `careplan-refserver serve --record FILE` writes one JSON line per request
//! a vendor's client made; this suite reads it and checks that the client follows the protocol.

use std::collections::{BTreeMap, BTreeSet};

use crate::report::{CaseResult, Outcome, SuiteReport};
use conformance::i18n::Lang;

pub use protocol::RecordedRequest;

fn message_id(path: &str) -> Option<&str> {
    let mut parts = path.trim_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("v1"), Some("messages"), Some(id)) => Some(id),
        _ => None,
    }
}

/// A case's result: failed with its violations; skipped when the recording holds nothing it can judge (`observed`
/// events of the kind it looks at — a recording without downloads says nothing of acknowledgements); else passed.
fn result(
    id: &'static str,
    lang: Lang,
    title: (&str, &str),
    requirement: (&str, &str),
    observed: usize,
    violations: Vec<String>,
) -> CaseResult {
    let pick = |(ja, en): (&str, &str)| if lang == Lang::Ja { ja.to_string() } else { en.to_string() };
    let (outcome, evidence) = match (violations.is_empty(), observed) {
        (false, _) => (Outcome::Fail, violations),
        (true, 0) => (
            Outcome::Skip,
            vec![pick((
                "記録にこの項目を判定できる要求がありません。",
                "the recording holds nothing this case can judge",
            ))],
        ),
        (true, n) => (Outcome::Pass, vec![format!("{n} {}", pick(("件を確認", "checked")))]),
    };
    CaseResult { id, title: pick(title), requirement: pick(requirement), outcome, evidence, millis: 0 }
}

/// Checks a recording; inbox polls closer together than `min_poll_ms` fail C05.
pub fn check(records: &[RecordedRequest], min_poll_ms: u64, target: &str, lang: Lang) -> SuiteReport {
    let sends: Vec<&RecordedRequest> =
        records.iter().filter(|r| r.method == "POST" && r.path == "/v1/messages").collect();

    let mut downloaded: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut acked: BTreeSet<(&str, &str)> = BTreeSet::new();
    for record in records {
        let Some(id) = message_id(&record.path) else { continue };
        if record.method == "GET" && record.path.contains("/files/") && record.status == 200 {
            downloaded.entry((record.office.as_str(), id)).or_insert(record.at_ms);
        }
        if record.method == "POST" && record.path.ends_with("/ack") && record.status < 300 {
            acked.insert((record.office.as_str(), id));
        }
    }
    let unacknowledged = downloaded
        .keys()
        .filter(|key| !acked.contains(*key))
        .map(|(office, id)| format!("{office} downloaded {id} but never acknowledged it"))
        .collect();

    let keyless = sends
        .iter()
        .filter(|r| r.idempotency_key.is_none())
        .map(|r| format!("{} at {} sent without Idempotency-Key ({})", r.office, r.at_ms, r.status))
        .collect();

    let mut keys_by_content: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for send in &sends {
        if let (Some(digest), Some(key)) = (&send.upload_digest, &send.idempotency_key) {
            keys_by_content.entry((send.office.as_str(), digest.as_str())).or_default().insert(key.as_str());
        }
    }
    let changing_keys = keys_by_content
        .iter()
        .filter(|(_, keys)| keys.len() > 1)
        .map(|((office, digest), keys)| {
            format!(
                "{office} resent the same files ({}) under {} different keys",
                &digest[..12.min(digest.len())],
                keys.len()
            )
        })
        .collect();

    let mut rejected: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut ignored = Vec::new();
    for send in &sends {
        let Some(digest) = &send.upload_digest else { continue };
        let key = (send.office.as_str(), digest.as_str());
        if rejected.contains(&key) {
            ignored.push(format!(
                "{} resent files the relay had rejected with 422, unchanged (at {})",
                send.office, send.at_ms
            ));
        }
        if send.status == 422 {
            rejected.insert(key);
        }
    }

    let mut last_poll: BTreeMap<&str, u64> = BTreeMap::new();
    let mut fast_polls = Vec::new();
    let mut polls = 0;
    for record in records.iter().filter(|r| r.method == "GET" && r.path.starts_with("/v1/inbox")) {
        polls += 1;
        if let Some(previous) = last_poll.insert(record.office.as_str(), record.at_ms) {
            let gap = record.at_ms.saturating_sub(previous);
            if gap < min_poll_ms {
                fast_polls.push(format!(
                    "{} polled the inbox {gap} ms after the previous poll (minimum {min_poll_ms} ms)",
                    record.office
                ));
            }
        }
    }

    let results = vec![
        result(
            "C01",
            lang,
            ("受信したメッセージの受領確認", "Acknowledges what it downloads"),
            ("受信したメッセージは必ず受領確認（ack）すること。", "Every downloaded message is acknowledged."),
            downloaded.len(),
            unacknowledged,
        ),
        result(
            "C02",
            lang,
            ("送信に Idempotency-Key を付ける", "Sends carry an Idempotency-Key"),
            (
                "再送で二重送信にならないよう、送信には Idempotency-Key を付けること。",
                "Every send carries an Idempotency-Key so that a retry cannot duplicate it.",
            ),
            sends.len(),
            keyless,
        ),
        result(
            "C03",
            lang,
            ("再送で同じキーを使う", "Retries keep their key"),
            (
                "同じ内容の再送には同じ Idempotency-Key を使うこと。",
                "A resend of the same files uses the same Idempotency-Key.",
            ),
            keys_by_content.len(),
            changing_keys,
        ),
        result(
            "C04",
            lang,
            ("422 の指摘に従う", "Honours 422 findings"),
            (
                "422 で拒否されたファイルを、直さずに再送しないこと。",
                "Files rejected with 422 are not resent unchanged.",
            ),
            rejected.len(),
            ignored,
        ),
        result(
            "C05",
            lang,
            ("受信一覧の確認間隔", "Polls the inbox no faster than allowed"),
            ("受信一覧の確認は決められた間隔以上あけること。", "Inbox polls are at least the minimum interval apart."),
            polls,
            fast_polls,
        ),
    ];
    SuiteReport::new("client-check", target.to_string(), lang, results)
}

/// Reads a recording (JSON lines); unreadable lines are reported with their number.
pub fn read(text: &str) -> Result<Vec<RecordedRequest>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| serde_json::from_str(line).map_err(|e| format!("line {}: {e}", number + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty recording judges nothing: every case is skipped and the report does not pass.
    #[test]
    fn an_empty_recording_certifies_nothing() {
        let report = check(&[], 10_000, "empty", Lang::En);
        assert!(report.results.iter().all(|r| r.outcome == Outcome::Skip), "{:#?}", report.results);
        assert!(!report.passed());
    }
}
