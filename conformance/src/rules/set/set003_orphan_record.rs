use crate::document::{same_value, Document};
use crate::fasthash::{FxHashMap, FxHashSet};
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, SetCtx, UnitFile};
use crate::rules::set::matching_unit;
use crate::rules::{rule, Check};

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
    cites: [
        "HOSOKU-04-a",
        "KSUB1-02-a",
        "KSUB1-03-a",
        "KSUB1-04-a",
        "KSUB2-02-a",
        "KSUB2-03-a",
        "KSUB2-04-a",
        "S1-2.3-a",
        "S1-2.3-b",
        "S1-2.3-c",
        "S1-2.3-d",
        "S1-3.3-b",
        "S1-3.3-d",
        "S1-3.3-e",
        "S1-3.3-f",
        "T2-note-b",
        "T3-note-b",
        "YSUB-02-a",
        "YSUB-03-a",
        "YSUB-04-a",
    ],
    check: Check::Set { reads: &[], unit_keys: true, check },
}

/// The values of a join key (at most `MAX_KEY_ITEMS`, checked when the spec loads; shorter keys padded with "").
/// Keys are compared for every record, so equality and hashing work on the short byte strings inline instead of
/// calling `memcmp` per item.
#[derive(Clone, Copy)]
struct Key<'a>([&'a str; crate::spec::MAX_KEY_ITEMS]);

impl PartialEq for Key<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| same_value(a, b))
    }
}

impl Eq for Key<'_> {}

impl std::hash::Hash for Key<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for part in self.0 {
            state.write_usize(part.len());
            state.write(part.as_bytes());
        }
    }
}

fn key<'a>(doc: &'a Document, row: usize, columns: &[Option<usize>]) -> Key<'a> {
    let mut key = [""; crate::spec::MAX_KEY_ITEMS];
    for (slot, column) in key.iter_mut().zip(columns) {
        *slot = doc.at(row, *column);
    }
    Key(key)
}

/// The distinct keys of a document over `columns`, each with the first row that has it, in row order.
fn distinct_keys<'a>(doc: &'a Document, columns: &[Option<usize>]) -> Vec<(Key<'a>, usize)> {
    let mut seen: FxHashSet<Key<'a>> = FxHashSet::default();
    let mut keys = Vec::new();
    let mut previous = None;
    for row in doc.rows() {
        let key = key(doc, row, columns);
        // A user's rows are usually consecutive: skip repeats of the previous key before hashing.
        if previous == Some(key) {
            continue;
        }
        previous = Some(key);
        if seen.insert(key) {
            keys.push((key, row));
        }
    }
    keys
}

/// Distinct keys already computed in this unit, by (file, key columns).
type KeyCache<'a> = FxHashMap<(&'a str, Vec<Option<usize>>), Vec<(Key<'a>, usize)>>;

fn keys_of<'a>(cache: &mut KeyCache<'a>, file: UnitFile<'a>, ids: &[String]) -> Option<Vec<(Key<'a>, usize)>> {
    let doc = file.document.as_ref()?;
    let columns: Vec<Option<usize>> = ids.iter().map(|id| doc.column(id)).collect();
    Some(cache.entry((file.path, columns.clone())).or_insert_with(|| distinct_keys(doc, &columns)).clone())
}

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let Some(unit) = matching_unit(ctx) else { return };
    // Each file takes part in several links with the same key items: scan it once per key.
    let mut cache: KeyCache<'_> = FxHashMap::default();
    for link in &unit.links {
        let (Some(child), Some(parent)) = (ctx.file_of_kind(&link.child), ctx.file_of_kind(&link.parent)) else {
            continue;
        };
        let (Some(child_keys), Some(parent_keys)) =
            (keys_of(&mut cache, child, &link.child_key), keys_of(&mut cache, parent, &link.parent_key))
        else {
            continue;
        };
        let parents: FxHashSet<Key<'_>> = parent_keys.into_iter().map(|(key, _)| key).collect();
        let Some(child_doc) = child.document.as_ref() else { continue };
        for (key, row) in child_keys {
            if !parents.contains(&key) {
                let shown: Vec<&str> = key.0[..link.child_key.len()].to_vec();
                out.push(
                    finding_at(child_doc, row, &RULE, &link.child_key[link.child_key.len() - 1])
                        .file(child.path)
                        .arg("child", link.child.clone())
                        .arg("parent", link.parent.clone())
                        .arg("key", shown.join(" / ")),
                );
            }
        }
    }
}
