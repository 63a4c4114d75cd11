use crate::filename::{self, base_name};
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "NAM011",
    name: "family-image-name",
    severity: Error,
    level: Name,
    title: { ja: "家族構成 画像ファイル名が命名規則に合わない", en: "家族構成 image file name not of the naming rule" },
    message: {
        ja: "{item}「{value}」は{problem}。命名規則は UPKIHON_IMAGE_{parties}_{serial}_枝番（4桁）.jpg です。",
        en: "{item} '{value}' {problem}; the naming rule gives UPKIHON_IMAGE_{parties}_{serial}_<branch, 4 digits>.jpg.",
    },
    what: {
        ja: "利用者基本情報 No.62 家族構成 画像ファイル名に値があるとき、それが命名規則（UPKIHON_IMAGE_送信元_送信先_YYYYMMDDHHMMSS_枝番.jpg、拡張子の大文字小文字は問わない）の名前で、送信元・送信先・YYYYMMDDHHMMSS がこの利用者基本情報のファイル名と同じかを検査します。空欄は検査しません（画像のない利用者）。",
        en: "Checks that a value in 利用者基本情報 No.62 家族構成 画像ファイル名 is a name of the naming rule (UPKIHON_IMAGE_<sender>_<recipient>_<YYYYMMDDHHMMSS>_<branch>.jpg, the extension in either case) whose sender, recipient and YYYYMMDDHHMMSS are those of the 利用者基本情報 file's own name. An empty value (a user without an image) is not checked.",
    },
    why: {
        ja: "仕様は No.62 に「家族構成に関する画像ファイル名（JPEG形式）を記載」とし、その名前を命名規則で定め、送信元・送信先・YYYYMMDDHHMMSS は「紐づく利用者基本情報のファイルと同様とする」としています。命名規則に合わない値では、受信側は行と画像を結び付けられません。",
        en: "The spec has No.62 hold 「家族構成に関する画像ファイル名（JPEG形式）」, gives that name by the naming rule, and says its parties and YYYYMMDDHHMMSS are 「紐づく利用者基本情報のファイルと同様」. A value of another form leaves the receiver unable to join the row to its image.",
    },
    fix: {
        ja: "No.62 には、同じ送信単位で送る家族構成画像のファイル名（命名規則どおり）をそのまま出力してください。画像がなければ空欄にしてください。",
        en: "Write in No.62 the file name of the family image sent in the same unit, as the naming rule gives it; leave it empty when there is no image.",
    },
    example: "UPKIHON_…_20250420100000.CSV with No.62 = \"家族構成図あり\" or UPKIHON_IMAGE_…_20250419090000_0001.JPG",
    cites: [
        "KIHON-62-a",
        "KIHON-note-a",
    ],
    check: Check::Name { reads: &["family_image_file"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let (Some(name), Some(doc)) = (ctx.parsed_name(), ctx.doc) else {
        return;
    };
    if doc.kind.code != "UPKIHON" || name.kind != "UPKIHON" {
        return;
    }
    let column = doc.column("family_image_file");
    let parties =
        format!("{}_{}_{}_{}", name.sender.office, name.sender.kind, name.recipient.office, name.recipient.kind);
    for row in doc.rows() {
        let value = doc.at(row, column).trim();
        if value.is_empty() {
            continue;
        }
        // A path before the name is tolerated: the item names the file.
        let problem = match filename::parse(base_name(value)) {
            Ok(image) if image.kind != "UPKIHON_IMAGE" => {
                Some(("家族構成画像のファイル名ではありません", "is no family-image file name"))
            }
            Ok(image)
                if image.sender != name.sender || image.recipient != name.recipient || image.serial != name.serial =>
            {
                Some((
                    "この利用者基本情報のファイルと送信元・送信先・YYYYMMDDHHMMSS が違います",
                    "differs from this 利用者基本情報 file in sender, recipient or YYYYMMDDHHMMSS",
                ))
            }
            Ok(_) => None,
            Err(_) => Some((
                "命名規則の形の画像ファイル名ではありません",
                "is not an image file name of the naming rule's form",
            )),
        };
        if let Some((ja, en)) = problem {
            out.push(
                finding_at(doc, row, &RULE, "family_image_file")
                    .arg2("problem", ja, en)
                    .arg("parties", parties.clone())
                    .arg("serial", name.serial.clone()),
            );
        }
    }
}
