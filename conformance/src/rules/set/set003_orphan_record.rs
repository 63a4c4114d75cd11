use std::collections::HashSet;

use crate::finding::Finding;
use crate::rules::set::matching_unit;
use crate::rules::{rule, Check};
use crate::validate::context::{finding_at, SetCtx};

rule! {
    code: "SET003",
    name: "orphan-record",
    severity: Error,
    level: Set,
    title: { ja: "親のレコードがない（キーの不一致）", en: "Record without its parent (keys differ)" },
    message: {
        ja: "{child} のこのレコードのキー（{key}）に当たる {parent} のレコードがありません。",
        en: "No {parent} record has this {child} record's key ({key}).",
    },
    what: {
        ja: "送信単位の中で、第2表・第3表・利用者補足情報が第1表と（保険者番号・被保険者番号・作成（変更）日で）、第7表・利用者補足情報が第6表と（保険者番号・被保険者番号・対象年月で）結び付くかを、両方向に検査します。",
        en: "Checks within a send unit that 第2表, 第3表 and the supplement join 第1表 on 保険者番号 + 被保険者番号 + 作成（変更）日, and 第7表 and the supplement join 第6表 on 保険者番号 + 被保険者番号 + 対象年月 (both ways).",
    },
    why: {
        ja: "受信側はキーで親子を結び付けます。キーが一致しないレコードは、どの計画・提供票にも属さず取り込まれません。作成日の入れ違いが典型です。",
        en: "Receivers join parent and children by these keys; a record whose key matches nothing belongs to no plan or ticket and is dropped. A mismatched plan date is the classic cause.",
    },
    fix: {
        ja: "同じ利用者のレコードには、すべてのファイルで同じ保険者番号・被保険者番号・作成（変更）日（または対象年月）を出力してください。",
        en: "Write the same 保険者番号, 被保険者番号 and plan date (or month) for a user in every file.",
    },
    example: "UP2KYO row for 0000012345 / 20250402 while UP1KYO has 0000012345 / 20250401",
    check: Check::Set { check },
}

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let Some(unit) = matching_unit(ctx) else {
        return;
    };
    for link in &unit.links {
        let (Some(child), Some(parent)) = (
            ctx.file_of_kind(&link.child),
            ctx.file_of_kind(&link.parent),
        ) else {
            continue;
        };
        let (Some(child_doc), Some(parent_doc)) = (&child.document, &parent.document) else {
            continue;
        };
        let parent_keys: HashSet<Vec<&str>> = parent_doc
            .rows()
            .map(|row| {
                link.parent_key
                    .iter()
                    .map(|id| parent_doc.get(row, id))
                    .collect()
            })
            .collect();
        let mut reported = HashSet::new();
        for row in child_doc.rows() {
            let key: Vec<&str> = link
                .child_key
                .iter()
                .map(|id| child_doc.get(row, id))
                .collect();
            if !parent_keys.contains(&key) && reported.insert(key.clone()) {
                out.push(
                    finding_at(child_doc, row, &RULE, &link.child_key[2])
                        .file(child.path.clone())
                        .arg("child", link.child.clone())
                        .arg("parent", link.parent.clone())
                        .arg("key", key.join(" / ")),
                );
            }
        }
    }
}
