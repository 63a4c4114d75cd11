use crate::filename::{base_name, FileName};
use crate::finding::Finding;
use crate::rules::ctx::FileCtx;
use crate::rules::{rule, Check};

rule! {
    code: "NAM002",
    name: "lowercase-extension",
    severity: Warning,
    level: Name,
    title: { ja: "拡張子が小文字", en: "Lower-case extension" },
    message: {
        ja: "ファイル名「{value}」の拡張子が小文字です。「{canonical}」としてください。",
        en: "File name '{value}' has a lower-case extension; use '{canonical}'.",
    },
    what: {
        ja: "拡張子が仕様の例どおり大文字（.CSV）かを検査します。",
        en: "Checks that the extension is upper case (.CSV) as in every example of the spec.",
    },
    why: {
        ja: "Windows では区別されませんが、大文字小文字を区別するシステムではファイルが見つからないことがあります。",
        en: "Windows does not care, but case-sensitive systems may not find the file.",
    },
    fix: {
        ja: "拡張子を .CSV（画像は .JPG）にしてください。",
        en: "Use .CSV (.JPG for images).",
    },
    example: "UP1KYO_0300000100_43_0300000005_11_20191025200201.csv",
    cites: [
        "S2 every table: ファイル名規約「….CSV」 and every example",
        "S2 利用者基本情報 No.62 命名規則「…_枝番（4 桁）.jpg」 with the example 「…_0001.JPG」 (images: either case)",
    ],
    assumptions: ["A-FILE-NAME"],
    check: Check::Name { reads: &[], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    // The image naming rule itself writes `.jpg` and its example `.JPG` (S2 利用者基本情報 No.62): either is right.
    let csv = |name: &&FileName| name.kind().is_some_and(|kind| kind.is_csv());
    if let Some(name) = ctx.parsed_name().filter(|name| name.lowercase_extension()).filter(csv) {
        out.push(Finding::new(&RULE.meta).value(base_name(ctx.path)).arg("canonical", name.canonical()));
    }
}
