//! The command line as clap reads it: the commands, their options, and the option groups several share. Resolving
//! an option into what the library takes (a kind code into its layout) happens here, once.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use conformance::codec::EncodingChoice;
use conformance::i18n::Lang;
use conformance::spec::spec;
use conformance::validate::Options;

/// ケアプランデータ連携標準仕様（第4.1版, CSVバージョン 202407）の適合性検査
///
/// Conformance tools for the care-plan data exchange standard (v4.1): validate exported CSV files against the
/// specification and look up the rules behind every finding.
#[derive(Parser)]
#[command(name = "careplan-conformance", version, propagate_version = true)]
pub struct Cli {
    /// Language of messages: ja or en (default: ja when LANG/LC_ALL starts with "ja", else en)
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Validate files and the send units they form. 出力ファイルを検査します。
    ///
    /// Each PATH is a file, a folder (its .CSV/.JPG files, recursively) or `-` for standard input. Files sharing a
    /// ファイル連番 in their names are also checked together as one send unit.
    ///
    /// Exit status: 0 when there is no error finding, 1 when there is one, 2 on usage or read errors — and when
    /// the paths hold no file to check (a run that checked nothing is no pass; --allow-empty accepts it).
    Validate {
        /// Files or folders to validate
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Report format
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        #[command(flatten)]
        reading: Reading,
        /// Accept paths that hold no .CSV or .JPG file (exit 0 with an empty report)
        #[arg(long)]
        allow_empty: bool,
    },
    /// Copy files with the 利用者's personal data replaced, to share a file that shows a bug. 個人情報を伏せたコピーを作ります。
    ///
    /// Names (kanji and kana), addresses, phone numbers, postal codes, 被保険者番号, 生年月日 and free text — the
    /// items the spec data marks personal — are replaced with fictional values of the same character class and
    /// length; the same value gets the same replacement in every file, so a send unit's files still join. Codes,
    /// dates, amounts and every other byte stay as they were. The copies are validated against the originals
    /// before this ends: the findings (rule, line, column, item) must be the same. OUT gets the files (same names)
    /// and anonymised-report.txt, which says what was replaced.
    ///
    /// Exit status 0 when the copies are written and show the same findings, 1 when they do not (nothing is kept),
    /// 2 on usage or read errors.
    Anonymise {
        /// Files or folders (their .CSV/.JPG files, recursively)
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Folder to write the anonymised files to (created; files already there are not overwritten)
        #[arg(long)]
        out: PathBuf,
        /// Secret for the replacements: the same key gives the same output (default: a random key, so the output
        /// cannot be traced back)
        #[arg(long, env = "CAREPLAN_ANONYMISE_KEY", hide_env_values = true)]
        key: Option<String>,
        #[command(flatten)]
        reading: Reading,
    },
    /// List the rule catalogue. 規則の一覧を表示します。
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Run the relay-protocol suite against a relay. 中継サーバーの適合性試験を実行します。
    ///
    /// Needs three registered offices (sender = care manager, recipient = provider, a third office), each given as
    /// NUMBER=CERT.pem,KEY.pem. Exit status 0 when no case fails, 1 when one does, 2 on usage errors.
    Relay {
        /// Base URL of the relay, e.g. https://127.0.0.1:8443
        #[arg(long)]
        url: String,
        /// CA certificate the relay's server certificate chains to
        #[arg(long)]
        ca: PathBuf,
        /// An office: NUMBER=CERT.pem,KEY.pem (repeat; the first sends, the second receives, the third watches)
        #[arg(long = "office", required = true)]
        offices: Vec<String>,
        /// Folder with certificates the relay must refuse (NAME.pem + NAME.key each), e.g. pki/negative
        #[arg(long)]
        negative_dir: Option<PathBuf>,
        /// The relay's body limit in bytes, to check that larger bodies get 413
        #[arg(long)]
        max_body: Option<usize>,
        #[command(flatten)]
        output: SuiteOutput,
    },
    /// Check what your software exported: validation with a scorecard per file kind. 出力ファイルの種別ごとの判定。
    ///
    /// With --profile, every kind a product of that kind must export has to be there: a missing one fails. Paths
    /// that hold no file to check are an error (exit 2), not a pass.
    ExportCheck {
        /// Folders or files your software exported
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// What your product is, which sets the kinds it must export: care-manager (居宅介護支援),
        /// provider (居宅サービス事業所), prevention-manager (地域包括支援センター等); see conformance/spec/profiles.toml
        #[arg(long)]
        profile: Option<String>,
        #[command(flatten)]
        output: SuiteOutput,
    },
    /// Compare our corpus with your software's re-export of it, item by item. 取り込み・再出力の比較。
    ///
    /// Import fixtures/valid into your software, export it again, and compare: differences are classed as harmless
    /// reformatting (full-width/half-width, spaces, leading zeros) or meaningful (changed, lost, added, truncated,
    /// missing or extra records).
    Roundtrip {
        /// The files you imported (e.g. fixtures/valid)
        #[arg(long)]
        original: PathBuf,
        /// What your software exported after importing them
        #[arg(long)]
        reexported: PathBuf,
        #[command(flatten)]
        output: SuiteOutput,
    },
    /// Check that the files a report certified are the files in hand. 報告書の入力ファイルを照合します。
    ///
    /// Reads the SHA-256 manifest of a suite's JSON report and compares every input with the file at the same path
    /// below BASE. Exit status 0 when all match, 1 when one changed or is missing, 2 when the report has no
    /// manifest.
    VerifyReport {
        /// A suite report in JSON (`--format json`, or <suite>.json from --out-dir)
        report: PathBuf,
        /// Where the report's relative input paths start (default: the current folder)
        #[arg(default_value = ".")]
        base: PathBuf,
    },
    /// Check your client's behaviour from a relay recording (`careplan-refserver serve --record FILE`).
    /// 通信記録からクライアントの振る舞いを検査します。
    ClientCheck {
        /// The recording (JSON lines)
        recording: PathBuf,
        /// Shortest allowed interval between two inbox polls of one office, in seconds
        #[arg(long, default_value_t = 10.0)]
        min_poll_interval: f64,
        #[command(flatten)]
        output: SuiteOutput,
    },
    /// Show which rules check each item of every file kind, and which fixtures trigger each rule.
    /// 各項目を検査する規則と、各規則を発生させるテスト用ファイルを表示します。
    Coverage {
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Print a rule's documentation: what it checks, why it matters, an example and how to fix it.
    /// 規則の説明を表示します。
    Explain {
        /// Rule code (e.g. FLD006) or name (e.g. invalid-date)
        code: String,
    },
}

/// How files are read (`validate`, `anonymise`).
#[derive(clap::Args)]
pub struct Reading {
    /// Read every file as this kind (UP1KYO, UPPLAN, …) instead of detecting it from name and content
    #[arg(long)]
    pub kind: Option<String>,
    /// Encoding of the input; `auto` detects Shift_JIS or UTF-8 and reports which
    #[arg(long, value_enum, default_value_t = EncodingChoice::Auto)]
    pub encoding: EncodingChoice,
    /// Show a progress bar (default: when more than 20 files and stderr is a terminal)
    #[arg(long)]
    pub progress: bool,
}

impl Reading {
    pub fn options(&self) -> Result<Options> {
        let kind = self
            .kind
            .as_ref()
            .map(|code| {
                spec().kind(&code.to_ascii_uppercase()).with_context(|| {
                    let known: Vec<&str> = spec().kinds.iter().map(|k| k.code.as_str()).collect();
                    format!("種別 {code} はありません unknown kind {code}; 種別 known kinds: {}", known.join(", "))
                })
            })
            .transpose()?;
        Ok(Options { encoding: self.encoding, kind, ..Options::default() })
    }
}

/// How a suite reports.
#[derive(clap::Args)]
pub struct SuiteOutput {
    /// Report format
    #[arg(long, value_enum, default_value_t = SuiteFormat::Human)]
    pub format: SuiteFormat,
    /// Also write <suite>.json, .junit.xml, .txt and .html into this folder
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// Show a progress bar (default: on a terminal, for long runs)
    #[arg(long)]
    pub progress: bool,
    /// The software the report is about, e.g. "ケアソフトA 3.2.1": written into every report
    #[arg(long, value_name = "NAME VERSION")]
    pub product: Option<String>,
}

/// How `validate` reports.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// grouped by file, for a terminal
    Human,
    /// one JSON object (stable schema)
    Json,
    /// JUnit XML for CI
    #[value(alias = "xml")]
    Junit,
}

/// How a suite reports.
#[derive(Clone, Copy, ValueEnum)]
pub enum SuiteFormat {
    /// case by case, for a terminal
    Human,
    /// one JSON object with the provenance
    Json,
    /// JUnit XML for CI
    #[value(alias = "xml")]
    Junit,
    /// one self-contained HTML page, printable on A4
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}
