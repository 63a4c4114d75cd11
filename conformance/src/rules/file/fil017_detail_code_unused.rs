use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::file::fil016_detail_code_numbering::rental_groups;
use crate::rules::{rule, Check};

rule! {
    code: "FIL017",
    name: "detail-code-unused",
    severity: Warning,
    level: File,
    title: { ja: "ほかに同じ明細のない福祉用具貸与の行に明細判別コード", en: "明細判別コード on a rental row with no other row of its code and units" },
    message: {
        ja: "サービスコード「{code}」・単位数 {units} の福祉用具貸与の行はこの1行だけですが、明細判別コード「{value}」があります。明細判別コードを利用しない場合は空欄です。",
        en: "This is the only 福祉用具貸与 row of service code '{code}' and {units} units, yet it has 明細判別コード '{value}'; a rental that does not use the code leaves it empty.",
    },
    what: {
        ja: "第6表（予定・実績）で、同じ利用者・対象年月・サービス事業者（サテライト枝番）に、同じサービスコード・同じ単位数の福祉用具貸与（サービス種類 17）の行がほかにない（サービス利用日は問わない）のに、明細判別コードに値がある行を指摘します。「明細判別コードを利用しない場合」の範囲に疑いが残るため警告です。",
        en: "Reports in 第6表 (planned and actual) a 福祉用具貸与 (service kind 17) row with a 明細判別コード when no other row of the same user, month, office (and satellite branch), service code and units exists, on any day. What 「明細判別コードを利用しない場合」 covers is not certain, so this is a warning.",
    },
    why: {
        ja: "仕様は「「17:福祉用具貸与」の場合かつ明細判別コードを利用しない場合は「Null（空）」とする」と定めています。番号は同じコード・同じ単位数の行を区別するためのもので、1行だけの貸与に番号があると、受信側は同じ明細のもう一方の行が欠けていると読むことがあります。",
        en: "The spec says 「「17:福祉用具貸与」の場合かつ明細判別コードを利用しない場合は「Null（空）」とする」. The number tells rows of one code and units apart; on a lone rental a receiver may read it as the missing half of a pair.",
    },
    fix: {
        ja: "同じサービスコード・同じ単位数の行がほかにない福祉用具貸与の行では、明細判別コードを空欄で出力してください。",
        en: "Leave 明細判別コード empty on a 福祉用具貸与 row that has no other row of the same service code and units.",
    },
    example: "one row of 171001 車いす貸与, 600 units, with 明細判別コード = 1 and no other 171001 row of 600 units",
    cites: [
        "T6-19-d",
    ],
    check: Check::File {
        kinds: &["UPPLAN", "UPJSK"],
        reads: &[
            "insurer_number",
            "insured_number",
            "target_month",
            "service_office_code",
            "satellite_branch_no",
            "service_code",
            "units",
            "detail_discriminator",
        ],
        check,
    },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    let discriminator = doc.column("detail_discriminator");
    for rows in rental_groups(doc) {
        let [row] = rows[..] else { continue };
        let value = doc.at(row, discriminator);
        if value.is_empty() {
            continue;
        }
        out.push(
            finding_at(doc, row, &RULE, "detail_discriminator")
                .arg("code", doc.get(row, "service_code"))
                .arg("units", doc.get(row, "units"))
                .arg("value", value),
        );
    }
}
