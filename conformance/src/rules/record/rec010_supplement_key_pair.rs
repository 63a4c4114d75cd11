use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC010",
    name: "supplement-key-pair",
    severity: Error,
    level: Record,
    title: { ja: "利用者補足情報の作成日と対象年月の組み合わせ", en: "Supplement: plan date / month pair" },
    message: {
        ja: "{problem}",
        en: "{problem}",
    },
    what: {
        ja: "利用者補足情報で、居宅サービス計画作成（変更）日（No.4）と対象年月（No.63）のどちらか一方だけが実際の値で、もう一方が 00000000 / 000000 であることを検査します。",
        en: "Checks that in 利用者補足情報 exactly one of 居宅サービス計画作成（変更）日 (No.4) and 対象年月 (No.63) is real and the other is 00000000 / 000000.",
    },
    why: {
        ja: "補足情報は計画書（第1〜3表）と一緒なら作成日で、提供票（第6・7表）と一緒なら対象年月で親と結び付きます。両方あるか両方ないと、どちらに属するか決まりません。",
        en: "The supplement joins its parent by the plan date when it travels with tables 1–3 and by the month with tables 6–7; with both or neither set, its parent is undefined.",
    },
    fix: {
        ja: "計画書と送るときは No.4 に作成日・No.63 に 000000 を、提供票と送るときは No.4 に 00000000・No.63 に対象年月を出力してください。",
        en: "With a plan write the date in No.4 and 000000 in No.63; with a ticket write 00000000 in No.4 and the month in No.63.",
    },
    example: "利用者補足情報 No.4 = 20250401, No.63 = 202504",
    cites: [
        "HOSOKU-04-b",
        "HOSOKU-63-a",
        "S1 §2.3 図表 2.3.1 注記",
    ],
    check: Check::Record { kinds: &["UPHOSOKU"], reads: &["care_plan_date", "target_month"], check },
}

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let date_zero = ctx.is_placeholder("care_plan_date");
    let month_zero = ctx.is_placeholder("target_month");
    if date_zero == month_zero {
        let (ja, en) = if date_zero {
            (
                "作成（変更）日も対象年月も 0 です。どちらか一方に実際の値が必要です。",
                "both the plan date and the month are zero; one of them must be real.",
            )
        } else {
            (
                "作成（変更）日と対象年月の両方に値があります。一方は 00000000 / 000000 にします。",
                "both the plan date and the month are set; one of them must be 00000000 / 000000.",
            )
        };
        out.push(ctx.finding(&RULE, "target_month").arg2("problem", ja, en));
    }
}
