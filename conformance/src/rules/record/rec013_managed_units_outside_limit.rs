use crate::billing::{row_kind, service_kind_of, RowKind};
use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};
use crate::spec::spec;

rule! {
    code: "REC013",
    name: "managed-units-outside-limit",
    severity: Warning,
    level: Record,
    title: { ja: "区分支給限度の対象外の種類に給付管理単位数", en: "給付管理単位数 on a kind outside the 区分支給限度" },
    message: {
        ja: "{item}「{value}」: サービス種類「{kind}」は区分支給限度基準額の対象外です。対象外のサービスの給付管理単位数は空欄（Null 固定）です。",
        en: "{item} '{value}': service kind '{kind}' is outside the 区分支給限度基準額; a service outside the limit leaves 給付管理単位数 empty (Null, fixed).",
    },
    what: {
        ja: "第7表で、区分支給限度基準額の対象外のサービス種類（居宅療養管理指導など）の行に給付管理単位数が書かれていないかを検査します。どの種類が対象外かは標準仕様ではなく介護保険法の居宅サービス等区分によるため、警告です。",
        en: "Checks that 第7表 rows of a service kind outside the 区分支給限度基準額 (居宅療養管理指導, …) leave 給付管理単位数 empty. Which kinds are outside comes from the 居宅サービス等区分 of 介護保険法, not from the spec, so this is a warning.",
    },
    why: {
        ja: "給付管理単位数は区分支給限度基準額と比べる単位数です。対象外のサービスの単位数が入っていると、受信側が限度額の超過を誤って計算します。",
        en: "給付管理単位数 are what is weighed against the 区分支給限度基準額; units of a service outside the limit make a receiver miscount the excess.",
    },
    fix: {
        ja: "区分支給限度の対象外のサービス種類の行では、給付管理単位数を空欄で出力してください。",
        en: "Leave 給付管理単位数 empty on rows of a kind outside the limit.",
    },
    example: "311111 居宅療養管理指導 with 給付管理単位数 515",
    cites: [
        "T7-18-a",
    ],
    assumptions: ["A-LIMIT-KINDS"],
    check: Check::Record { kinds: &["UPSIKYU"], reads: &["service_code", "benefit_managed_units"], check },
}

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let code = ctx.get("service_code");
    if row_kind(code) == RowKind::GrandTotal || ctx.get("benefit_managed_units").is_empty() {
        return;
    }
    let kind = service_kind_of(code);
    if spec().outside_category_limit(kind) {
        out.push(ctx.finding(&RULE, "benefit_managed_units").arg("kind", kind));
    }
}
