use crate::filename::{base_name, NameError};
use crate::finding::Finding;
use crate::rules::ctx::FileCtx;
use crate::rules::{rule, Check};

rule! {
    code: "NAM001",
    name: "invalid-file-name",
    severity: Error,
    level: Name,
    title: { ja: "ファイル名が標準仕様の形式ではない", en: "File name does not follow the spec" },
    message: {
        ja: "ファイル名「{value}」は標準仕様の形式ではありません: {problem}",
        en: "File name '{value}' does not follow the spec: {problem}",
    },
    what: {
        ja: "ファイル名が第4.1版の形式「種別[_対象年月]_送信元事業所番号10桁_送信元サービス種類2桁_送信先事業所番号10桁_送信先サービス種類2桁_連番14桁.CSV」かを検査します。",
        en: "Checks the v4.1 pattern: KIND[_YYYYMM]_<sender office 10>_<sender kind 2>_<recipient office 10>_<recipient kind 2>_<serial 14>.CSV.",
    },
    why: {
        ja: "連携システムと受信側のソフトは、ファイル名から種別・対象年月・送信元・送信先・送信単位を読み取ります。",
        en: "The relay and receiving software read kind, month, parties and send unit from the file name.",
    },
    fix: {
        ja: "例 UP1KYO_0300000100_43_0300000005_11_20250401090000.CSV の形で出力してください。区切りは半角アンダースコアです。",
        en: "Name files like UP1KYO_0300000100_43_0300000005_11_20250401090000.CSV, with ASCII underscores.",
    },
    example: "UP1KYO_123456789_43_0300000005_11_20191025200201.CSV  ← 9-digit office number",
    cites: [
        "HOSOKU-name-a",
        "HOSOKU-name-c",
        "HOSOKU-name-d",
        "KIHON-name-a",
        "KIHON-name-b",
        "KIHOND-name-a",
        "KIHOND-name-b",
        "KIMG-62-a",
        "KIMG-note-b",
        "KSUB1-name-a",
        "KSUB1-name-c",
        "KSUB2-name-a",
        "KSUB2-name-c",
        "S1-hist-4.0-b",
        "S1-hist-4.1-b",
        "S2-name-a",
        "S2-name-b",
        "S2-name-c",
        "S2-name-d",
        "S2-ver-g",
        "S2-ver-n",
        "T1-name-a",
        "T1-name-b",
        "T1D-name-a",
        "T1D-name-b",
        "T2-name-a",
        "T2-name-b",
        "T3-name-a",
        "T3-name-b",
        "T6-name-a",
        "T6-name-b",
        "T6-name-c",
        "T6D-name-a",
        "T6D-name-b",
        "T6D-name-c",
        "T7-name-a",
        "T7-name-b",
        "YOBO-name-a",
        "YOBO-name-b",
        "YOBOD-name-a",
        "YOBOD-name-b",
        "YSUB-name-a",
        "YSUB-name-c",
        "S1 §2.4 例",
    ],
    assumptions: ["A-FILE-NAME", "A-UPKIHON-NAME", "A-EXAMPLE-NAMES"],
    check: Check::Name { reads: &[], check },
}

fn problem(error: &NameError) -> (String, String) {
    match error {
        NameError::UnknownPrefix => (
            "種別の接頭辞（UP1KYO、UPPLAN など）で始まっていません。".into(),
            "it does not start with a kind prefix (UP1KYO, UPPLAN, …).".into(),
        ),
        NameError::BadPart { part, found } => {
            (format!("{part}「{found}」が正しくありません。"), format!("the part {part} '{found}' is malformed."))
        }
        NameError::LookalikeSeparator => (
            "アンダースコアに似た別の文字（U+0332 や全角＿）が区切りに使われています。".into(),
            "a look-alike of the underscore (U+0332 or full-width ＿) is used as separator.".into(),
        ),
        NameError::BadExtension(found) => {
            (format!("拡張子「{found}」は .CSV ではありません。"), format!("the extension '{found}' is not .CSV."))
        }
        NameError::Legacy => (String::new(), String::new()),
    }
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    if let Some(Err(error)) = ctx.name {
        if *error != NameError::Legacy {
            let (ja, en) = problem(error);
            out.push(Finding::new(&RULE.meta).value(base_name(ctx.path)).arg2("problem", ja, en));
        }
    }
}
