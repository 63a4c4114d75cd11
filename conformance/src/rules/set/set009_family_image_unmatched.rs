use crate::filename::base_name;
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, SetCtx};
use crate::rules::{rule, Check};

rule! {
    code: "SET009",
    name: "family-image-unmatched",
    severity: Warning,
    level: Set,
    title: { ja: "家族構成 画像と利用者基本情報 No.62 が対応しない", en: "Family image and 利用者基本情報 No.62 do not match" },
    message: {
        ja: "{what}（ファイル連番 {serial}）。",
        en: "{what} (send unit {serial}).",
    },
    what: {
        ja: "利用者基本情報のある送信単位で、No.62 家族構成 画像ファイル名が名指す画像が同じ送信単位にあるか、送信単位の家族構成画像がどれかの行の No.62 に名指されているかを検査します（名前の大文字小文字は問いません）。画像は利用者により無いこともあり、「1行に対して1ファイル」は「原則」なので警告です。",
        en: "Checks in a send unit with 利用者基本情報 that each image its No.62 家族構成 画像ファイル名 names is in the unit, and that each family image of the unit is named by some row's No.62 (names compared in either case). Not every user has an image and 「1行に対して1ファイル」 is 「原則」, so this is a warning.",
    },
    why: {
        ja: "S1 は利用者基本情報に「別表１、別表2、家族構成画像ファイルを合わせて送付する」とし、S2 は「「利用者基本情報」の1行に対して、1ファイルの「家族構成 画像ファイル」を原則とする」としています。名前だけあって画像がない、または名指されない画像があると、受信側はどの利用者の画像かを決められません。",
        en: "S1 has the 利用者基本情報 sent 「別表１、別表2、家族構成画像ファイルを合わせて」, and S2 says 「「利用者基本情報」の1行に対して、1ファイルの「家族構成 画像ファイル」を原則とする」. A name without its image, or an image no row names, leaves the receiver unable to tell whose image it is.",
    },
    fix: {
        ja: "No.62 に書いた名前の画像を同じ送信単位で送り、送る画像の名前を該当する利用者の行の No.62 に書いてください。",
        en: "Send the image whose name No.62 holds in the same unit, and write the name of each image sent in No.62 of its user's row.",
    },
    example: "UPKIHON with one row naming …_0001.JPG, and the unit carrying …_0001.JPG and …_0002.JPG",
    cites: [
        "KIHON-62-a",
        "KIMG-note-a",
        "S1-3.3-b-image",
    ],
    check: Check::Set { reads: &[("UPKIHON", "family_image_file")], unit_keys: false, check },
}

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let Some(basic) = ctx.file_of_kind("UPKIHON") else { return };
    let Some(doc) = basic.document else { return };
    let images: Vec<_> = ctx.files.iter().filter(|file| file.name_kind() == Some("UPKIHON_IMAGE")).collect();
    let column = doc.column("family_image_file");
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let mut named: Vec<&str> = Vec::new();
    for row in doc.rows() {
        let value = base_name(doc.at(row, column).trim());
        if value.is_empty() {
            continue;
        }
        named.push(value);
        if !images.iter().any(|image| same(base_name(image.path), value)) {
            out.push(finding_at(doc, row, &RULE, "family_image_file").file(basic.path).arg("serial", ctx.serial).arg2(
                "what",
                format!("No.62 が名指す画像「{value}」が同じ送信単位にありません"),
                format!("the image '{value}' that No.62 names is not in the unit"),
            ));
        }
    }
    for image in images {
        let name = base_name(image.path);
        if !named.iter().any(|value| same(value, name)) {
            out.push(Finding::new(&RULE.meta).file(image.path).arg("serial", ctx.serial).arg2(
                "what",
                format!("家族構成画像「{name}」を名指す利用者基本情報の行（No.62）がありません"),
                format!("no 利用者基本情報 row names the family image '{name}' in No.62"),
            ));
        }
    }
}
