use crate::finding::Finding;
use crate::rules::csv::csv001_empty_file::emptiness;
use crate::rules::ctx::ReadCtx;
use crate::rules::{rule, Check};

rule! {
    code: "CSV010",
    name: "annex-without-rows",
    severity: Warning,
    level: Syntax,
    title: { ja: "レコードのない別表", en: "Annex file without records" },
    message: {
        ja: "{kind} にレコードがありません（{what}）。該当する記載がない利用者でも、受信側によってはキー項目だけの行を期待します。",
        en: "{kind} has no records ({what}). Even for a user with nothing to record, some receivers expect a row with only the key items.",
    },
    what: {
        ja: "利用者基本情報に合わせて送る別表（別表1 1日の生活・すごし方、別表2 現病歴・既往歴）が 0 バイト、または空行だけであることを検査します。仕様は別表を合わせて送付するとしていますが、記載のない利用者の別表を空にしてよいかは書いていないため、警告です。",
        en: "Checks whether an annex sent with 利用者基本情報 (別表1 daily timetable, 別表2 medical history) is 0 bytes or blank lines only. The spec sends the annexes along but does not say whether a user with nothing to record may send one empty, so this is a warning.",
    },
    why: {
        ja: "別表の行は利用者ごとの記載（病歴、時間帯）です。空のファイルを「記載なし」と読む受信側も、出力の失敗と読む受信側もあります。",
        en: "An annex's rows are the user's entries (a history, a timetable); some receivers read an empty file as 'nothing recorded', others as a failed export.",
    },
    fix: {
        ja: "記載がない場合は、キー項目（No.1〜4）だけを書いた1行を出力すると、どの受信側でも「記載なし」と読めます（No.5 以降は必須ではありません）。",
        en: "For a user with nothing to record, one row with only the key items (No.1–4) reads as 'nothing recorded' everywhere (the items from No.5 on are not required).",
    },
    example: "UPKIHON_SUB2_…_20250420100000.CSV  (0 bytes; the user has no medical history)",
    cites: [
        "S1 §3.3 「利用者基本情報は単独での連携する。ただし、別表１、別表2、家族構成画像ファイルを合わせて送付する。」",
        "S2 利用者基本情報（別表1）・（別表2） No.5 以降 必須の印なし (a row of the key items alone is complete)",
    ],
    check: Check::Read(check),
}

fn check(ctx: &ReadCtx<'_>, findings: &mut Vec<Finding>) {
    let Some(kind) = ctx.name_kind.filter(|kind| kind.rows_may_be_none.is_some()) else {
        return;
    };
    if let Some((ja, en)) = emptiness(ctx) {
        findings.push(Finding::new(&RULE.meta).arg2("kind", &kind.title.ja, &kind.title.en).arg2("what", ja, en));
    }
}
