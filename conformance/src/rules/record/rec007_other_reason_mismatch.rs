use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC007",
    name: "other-reason-mismatch",
    severity: Warning,
    level: Record,
    title: { ja: "生活援助中心型の算定理由と「その他理由」の不整合", en: "算定理由 and その他理由 disagree" },
    message: {
        ja: "{item}: {problem}",
        en: "{item}: {problem}",
    },
    what: {
        ja: "第1表の生活援助中心型の算定理由が「3 その他」のときに その他理由 が入力され、それ以外のときは空欄であることを検査します。",
        en: "Checks that 第1表 その他理由 is filled when 生活援助中心型の算定理由 is 3 (その他), and empty otherwise.",
    },
    why: {
        ja: "第1表の様式では「3. その他」を選んだときだけ理由を書きます。理由が欠けると算定根拠が伝わりません。",
        en: "The form asks for a reason only with 3 (その他); without it the basis of the calculation is lost.",
    },
    fix: {
        ja: "算定理由が 3 のときは理由の文章を、それ以外は空欄を出力してください。",
        en: "Write the reason text with code 3, and leave it empty otherwise.",
    },
    example: "第1表 No.25 = 3, No.26 その他理由 = \"\"",
    cites: [
        "S2 第1表 No.25 生活援助中心型の算定理由 「3:その他」, No.26 その他理由",
    ],
    check: Check::Record { kinds: &["UP1KYO"], reads: &["life_support_reason", "life_support_reason_other"], check },
}

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let reason = ctx.get("life_support_reason");
    let other = ctx.get("life_support_reason_other");
    if reason == "3" && other.trim().is_empty() {
        out.push(ctx.finding(&RULE, "life_support_reason_other").arg2(
            "problem",
            "算定理由が「3 その他」ですが、その他理由が空欄です。",
            "the reason code is 3 (other) but no reason is given.",
        ));
    } else if reason != "3" && !other.trim().is_empty() {
        out.push(ctx.finding(&RULE, "life_support_reason_other").arg2(
            "problem",
            "算定理由が「3 その他」ではないのに、その他理由が入力されています。",
            "a reason is given although the reason code is not 3 (other).",
        ));
    }
}
