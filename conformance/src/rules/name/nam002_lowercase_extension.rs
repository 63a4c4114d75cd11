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
        ja: "ファイル名「{name}」の拡張子が小文字です。「{canonical}」としてください。",
        en: "File name '{name}' has a lower-case extension; use '{canonical}'.",
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
        "HOSOKU-name-a",
        "KIHON-name-a",
        "S2-name-a",
        "S2-name-b",
        "T1-name-a",
        "T1D-name-a",
        "T2-name-a",
        "T3-name-a",
        "T6-name-a",
        "T6-name-c",
        "T6D-name-a",
        "T6D-name-c",
        "T7-name-a",
        "YOBO-name-a",
        "YSUB-name-a",
        "S2 利用者基本情報 No.62 命名規則「…_枝番（4 桁）.jpg」 with the example 「…_0001.JPG」 (images: either case)",
    ],
    assumptions: ["A-FILE-NAME"],
    check: Check::Name { reads: &[], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    // The image naming rule itself writes `.jpg` and its example `.JPG` (S2 利用者基本情報 No.62): either is right.
    let csv = |name: &&FileName| name.kind().is_some_and(|kind| kind.is_csv());
    if let Some(name) = ctx.parsed_name().filter(|name| name.lowercase_extension()).filter(csv) {
        // The whole name as an argument: a shown value is cut at 60 characters, which would cut off the extension.
        let file = base_name(ctx.path);
        out.push(Finding::new(&RULE.meta).value(file).arg("name", file).arg("canonical", name.canonical()));
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::Lang;
    use crate::validate::{validate_file, Options};

    /// A name longer than the 60 characters a shown value keeps still appears whole, extension included.
    #[test]
    fn a_long_name_is_shown_with_its_extension() {
        let name = "UPHOSOKU_202505_1370001002_43_1370002058_11_20250425090500.csv";
        assert!(name.chars().count() > 60);
        let report = validate_file(name, b"", &Options::default());
        let finding = report.findings.iter().find(|f| f.rule.code == "NAM002").expect("NAM002");
        assert!(finding.message(Lang::Ja).contains(&format!("「{name}」")), "{}", finding.message(Lang::Ja));
    }
}
