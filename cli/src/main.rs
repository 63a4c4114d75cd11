//! `careplan-conformance`: validate standard-spec CSV files and explain the rule catalogue.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use conformance::codec::EncodingChoice;
use conformance::coverage;
use conformance::i18n::Lang;
use conformance::report;
use conformance::rule_meta::{DocSection, DocText};
use conformance::rules;
use conformance::spec::{assumptions, spec};
use conformance::synth::fixtures::SEED;
use conformance::synth::invalid;
use conformance::validate::{validate_readers, Options, Report};
use suites as suite;
use suites::provenance::{verify, HashingReader, InputCheck, InputDigest, Provenance};

/// ケアプランデータ連携標準仕様（第4.1版, CSVバージョン 202407）の適合性検査
///
/// Conformance tools for the care-plan data exchange standard (v4.1): validate exported CSV files against the
/// specification and look up the rules behind every finding.
#[derive(Parser)]
#[command(name = "careplan-conformance", version, propagate_version = true)]
struct Cli {
    /// Language of messages: ja or en (default: ja when LANG/LC_ALL starts with "ja", else en)
    #[arg(long, global = true, value_enum)]
    lang: Option<Lang>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
struct Reading {
    /// Read every file as this kind (UP1KYO, UPPLAN, …) instead of detecting it from name and content
    #[arg(long)]
    kind: Option<String>,
    /// Encoding of the input; `auto` detects Shift_JIS or UTF-8 and reports which
    #[arg(long, value_enum, default_value_t = EncodingChoice::Auto)]
    encoding: EncodingChoice,
    /// Show a progress bar (default: when more than 20 files and stderr is a terminal)
    #[arg(long)]
    progress: bool,
}

impl Reading {
    fn options(&self) -> Result<Options> {
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
struct SuiteOutput {
    /// Report format
    #[arg(long, value_enum, default_value_t = SuiteFormat::Human)]
    format: SuiteFormat,
    /// Also write <suite>.json, .junit.xml, .txt and .html into this folder
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Show a progress bar (default: on a terminal, for long runs)
    #[arg(long)]
    progress: bool,
    /// The software the report is about, e.g. "ケアソフトA 3.2.1": written into every report
    #[arg(long, value_name = "NAME VERSION")]
    product: Option<String>,
}

/// How `validate` reports.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
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
enum SuiteFormat {
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
enum ListFormat {
    Human,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    match run(cli.command, lang) {
        Ok(code) => code,
        Err(error) => {
            let prefix = match lang {
                Lang::Ja => "エラー",
                Lang::En => "error",
            };
            eprintln!("{prefix}: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command, lang: Lang) -> Result<ExitCode> {
    match command {
        Command::Validate { paths, format, reading, allow_empty } => {
            let options = reading.options()?;
            let (report, _) = validate_paths(&paths, &options, reading.progress, allow_empty, Digests::Skip)?;
            let text = match format {
                Format::Human => report::human::render(&report, lang),
                Format::Json => report::json::render(&report, lang) + "\n",
                Format::Junit => report::junit::render(&report, lang),
            };
            emit(&text)?;
            Ok(if report.errors() > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Anonymise { paths, out, key, reading } => {
            anonymise_paths(&paths, &out, key.as_deref(), &reading.options()?, reading.progress)
        }
        Command::Rules { format } => {
            emit(&list_rules(format, lang)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Relay { url, ca, offices, negative_dir, max_body, output } => {
            let target = relay_target(url.clone(), &ca, &offices, negative_dir.as_deref(), max_body)?;
            let bar = progress_bar(suite::relay::CASES.len(), output.progress || std::io::stderr().is_terminal());
            let report = suite::relay::run(&target, lang, &|id| {
                bar.set_message(id.to_string());
                bar.inc(1);
            });
            bar.finish_and_clear();
            let report = report.with_provenance(Provenance::now(output.product.clone(), None, Vec::new()));
            let code = finish_suite(&report, &output, lang)?;
            // A relay case skipped for want of --negative-dir or --max-body was not checked: not a pass.
            if report.summary.skipped > 0 && code == ExitCode::SUCCESS {
                eprintln!(
                    "{} 件の検査を省略しました（--negative-dir と --max-body を指定してください） / {} cases skipped \
                     (give --negative-dir and --max-body)",
                    report.summary.skipped, report.summary.skipped
                );
                return Ok(ExitCode::from(1));
            }
            Ok(code)
        }
        Command::ExportCheck { paths, profile, output } => {
            let mut target = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ");
            if let Some(name) = &profile {
                target.push_str(&format!(" (profile {name})"));
            }
            let profile_name = profile;
            let profile = match &profile_name {
                Some(name) => Some(spec().profiles.get(name).with_context(|| {
                    let known: Vec<&str> = spec().profiles.keys().map(String::as_str).collect();
                    format!(
                        "製品の種類 {name} はありません unknown profile {name}; 種類 profiles: {}",
                        known.join(", ")
                    )
                })?),
                None => None,
            };
            let (report, inputs) = validate_paths(&paths, &Options::default(), output.progress, false, Digests::Take)?;
            let provenance = Provenance::now(output.product.clone(), profile_name, inputs);
            let scorecard = suite::export::scorecard(&report, &target, profile, lang).with_provenance(provenance);
            finish_suite(&scorecard, &output, lang)
        }
        Command::Roundtrip { original, reexported, output } => {
            // The round trip compares every value: keep them.
            let keep = Options { keep_documents: true, ..Options::default() };
            let (before, mut inputs) =
                validate_paths(std::slice::from_ref(&original), &keep, output.progress, false, Digests::Take)?;
            let (after, reexported_inputs) =
                validate_paths(std::slice::from_ref(&reexported), &keep, output.progress, false, Digests::Take)?;
            inputs.extend(reexported_inputs);
            let target = format!("{} → {}", original.display(), reexported.display());
            let provenance = Provenance::now(output.product.clone(), None, inputs);
            let report = suite::roundtrip::compare(&before, &after, &target, lang).with_provenance(provenance);
            finish_suite(&report, &output, lang)
        }
        Command::ClientCheck { recording, min_poll_interval, output } => {
            let text =
                std::fs::read_to_string(&recording).with_context(|| format!("cannot read {}", recording.display()))?;
            let records = suite::client::read(&text).map_err(|e| anyhow::anyhow!("{}: {e}", recording.display()))?;
            let min_poll_ms = (min_poll_interval * 1000.0).max(0.0) as u64;
            let inputs = vec![InputDigest::of(&recording.display().to_string(), text.as_bytes())];
            let report = suite::client::check(&records, min_poll_ms, &recording.display().to_string(), lang)
                .with_provenance(Provenance::now(output.product.clone(), None, inputs));
            finish_suite(&report, &output, lang)
        }
        Command::VerifyReport { report, base } => {
            let text = std::fs::read_to_string(&report)
                .with_context(|| format!("読めません cannot read {}", report.display()))?;
            #[derive(serde::Deserialize)]
            struct Saved {
                provenance: Option<Provenance>,
            }
            let saved: Saved = serde_json::from_str(&text).with_context(|| {
                format!("{} は JSON の報告書ではありません is not a JSON suite report", report.display())
            })?;
            let Some(provenance) = saved.provenance else {
                bail!(
                    "{} に入力ファイルの一覧がありません has no input manifest (made before reports carried one?)",
                    report.display()
                );
            };
            let mut changed = 0;
            for (path, check) in verify(&provenance, &base) {
                match check {
                    InputCheck::Same => println!("  ✓ {path}"),
                    InputCheck::Changed { sha256 } => {
                        changed += 1;
                        println!("  ✗ {path}: 内容が違います changed (SHA-256 {sha256})");
                    }
                    InputCheck::Missing => {
                        changed += 1;
                        println!("  ✗ {path}: ありません missing");
                    }
                }
            }
            let total = provenance.inputs.len();
            if changed == 0 {
                println!("照合 verified: {total} 件すべて報告書と同じです all {total} inputs are the ones the report certified ({}, {})", provenance.tool, provenance.generated_at);
                Ok(ExitCode::SUCCESS)
            } else {
                println!("照合 NOT verified: {changed} / {total} 件が報告書と違います inputs differ from the report");
                Ok(ExitCode::from(1))
            }
        }
        Command::Coverage { format } => {
            let cases = invalid::cases(SEED).context("cannot generate the invalid cases")?;
            let matrix = coverage::compute(&cases);
            match format {
                ListFormat::Json => emit(&(serde_json::to_string_pretty(&matrix)? + "\n"))?,
                ListFormat::Human => emit(&coverage_text(&matrix, lang))?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { code } => {
            let Some(rule) = rules::find(&code) else {
                bail!("規則 {code} はありません no rule {code}; 一覧 list: `careplan-conformance rules`");
            };
            emit(&explain(&rule.meta, lang))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes to standard output; a reader that went away (`| head`) ends the output quietly instead of failing.
/// Reads the files, anonymises them under one key, checks the copies show the originals' findings, and only then
/// writes them (with the report) into `out`, never over a file that is there.
fn anonymise_paths(
    paths: &[PathBuf],
    out: &Path,
    key: Option<&str>,
    options: &Options,
    progress: bool,
) -> Result<ExitCode> {
    if paths.iter().any(|path| path.as_os_str() == "-") {
        bail!("標準入力は使えません: ファイルかフォルダを指定してください / standard input cannot be anonymised: give files or folders");
    }
    let files = collect(paths)?;
    if files.is_empty() {
        bail!("伏せるファイルがありません / no .CSV or .JPG file to anonymise in the paths given");
    }
    // The names the copies get: a file's name, or its path below the folder given.
    let mut named: Vec<(PathBuf, PathBuf)> = Vec::new();
    for path in paths {
        let below = if path.is_dir() { Some(path.as_path()) } else { None };
        for file in collect(std::slice::from_ref(path))? {
            let relative = match below {
                Some(dir) => file.strip_prefix(dir).map(Path::to_path_buf).unwrap_or_else(|_| file.clone()),
                None => PathBuf::from(file.file_name().unwrap_or_default()),
            };
            if named.iter().any(|(_, taken)| *taken == relative) {
                bail!(
                    "{} が二度あります / two inputs would both be written as {}",
                    relative.display(),
                    relative.display()
                );
            }
            named.push((file, relative));
        }
    }
    let secret: Vec<u8> = match key {
        Some(key) => key.as_bytes().to_vec(),
        None => {
            let mut random = [0u8; 32];
            getrandom::getrandom(&mut random).map_err(|error| {
                anyhow::anyhow!("乱数を得られません / no random key available ({error}); give --key")
            })?;
            random.to_vec()
        }
    };
    let key_given = key.is_some();
    let key = conformance::anonymise::Key::new(&secret);
    let bar = progress_bar(named.len(), progress || (named.len() > 20 && std::io::stderr().is_terminal()));
    let mut originals = Vec::new();
    for (file, relative) in &named {
        let bytes = std::fs::read(file).with_context(|| format!("読めません cannot read {}", file.display()))?;
        originals.push((relative.to_string_lossy().to_string(), bytes));
    }
    let mut anonymiser = conformance::anonymise::Anonymiser::new(&key, options);
    let mut copies = Vec::new();
    for (path, bytes) in &originals {
        bar.set_message(path.clone());
        copies.push(anonymiser.file(path, bytes));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let originals = originals.iter().map(|(path, bytes)| (path.as_str(), bytes.as_slice()));
    let findings = match conformance::anonymise::check_copies(originals, &copies, options) {
        Ok(findings) => findings,
        Err(difference) => {
            eprintln!(
                "伏せたファイルの検証結果が元と異なるため、何も書き出しませんでした（不具合として報告してください）。\n\
                 The anonymised files do not show the originals' findings, so nothing was written (please report this): {difference}"
            );
            return Ok(ExitCode::from(1));
        }
    };
    let report = conformance::anonymise::report_text(&copies, key_given);
    let outputs: Vec<(PathBuf, &[u8])> = copies
        .iter()
        .map(|copy| (out.join(&copy.path), copy.bytes.as_slice()))
        .chain([(out.join("anonymised-report.txt"), report.as_bytes())])
        .collect();
    if let Some((existing, _)) = outputs.iter().find(|(path, _)| path.exists()) {
        bail!(
            "{} はすでにあります。空のフォルダを指定してください / {} already exists: give an empty or new folder",
            existing.display(),
            existing.display()
        );
    }
    for (path, bytes) in &outputs {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("作れません cannot create {}", parent.display()))?;
        }
        std::fs::write(path, bytes).with_context(|| format!("書けません cannot write {}", path.display()))?;
    }
    emit(&format!(
        "{report}\n{} 件のファイルを {} に書き出しました。検証結果（規則・行・列・項目）は元のファイルと同じです（{} 件）。\n\
         Wrote {} files to {}; their findings (rule, line, column, item) are the originals' ({} findings).\n",
        copies.len(),
        out.display(),
        findings,
        copies.len(),
        out.display(),
        findings
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn emit(text: &str) -> Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Expands folders into their .CSV/.JPG files (sorted), keeps explicit files as given.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" || path.is_file() {
            files.push(path.clone());
        } else if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)
                .with_context(|| format!("フォルダを読めません cannot read folder {}", path.display()))?;
            found.sort();
            files.extend(found);
        } else {
            bail!("{}: ファイルもフォルダもありません no such file or folder", path.display());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("jpg"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// A progress bar on stderr of `len` steps, or a hidden one.
fn progress_bar(len: usize, show: bool) -> indicatif::ProgressBar {
    let bar = if show { indicatif::ProgressBar::new(len as u64) } else { indicatif::ProgressBar::hidden() };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Whether to take the SHA-256 of every input, for a suite report's provenance (`validate` has none to fill).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Digests {
    Take,
    Skip,
}

/// Validates the files and their send units on all cores, each file opened when its unit's turn comes and read a
/// piece at a time (the progress bar counts files validated); with `Digests::Take`, the SHA-256 of each input as it
/// is read. A file that cannot be read stops the run with no report (exit 2): a partial report would look like a
/// clean one.
fn validate_paths(
    paths: &[PathBuf],
    options: &Options,
    progress: bool,
    allow_empty: bool,
    digests: Digests,
) -> Result<(Report, Vec<InputDigest>)> {
    let files = collect(paths)?;
    if files.is_empty() && !allow_empty {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "検査するファイルがありません（{} に .CSV / .JPG ファイルがありません）。出力したファイルのあるフォルダを指定してください。\n\
             no file to check: {} holds no .CSV or .JPG file — give the files or folders your software exported \
             (--allow-empty accepts none, for pipelines)",
            shown.join(" "),
            shown.join(" ")
        );
    }
    let bar = progress_bar(files.len(), progress || (files.len() > 20 && std::io::stderr().is_terminal()));
    let file_done = |path: &str| {
        bar.set_message(path.to_string());
        bar.inc(1);
    };
    let shown: Vec<String> = files.iter().map(|path| path.to_string_lossy().to_string()).collect();
    // The suites certify what they read: each input is hashed as it is read.
    let taken: Vec<Arc<Mutex<Option<InputDigest>>>> = files.iter().map(|_| Arc::default()).collect();
    let open = |index: usize| -> std::io::Result<Box<dyn Read + Send>> {
        let reader: Box<dyn Read + Send> = if shown[index] == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(std::fs::File::open(&files[index])?)
        };
        Ok(match digests {
            Digests::Take => Box::new(HashingReader::new(reader, &shown[index], Arc::clone(&taken[index]))),
            Digests::Skip => reader,
        })
    };
    let sizes: Vec<u64> = files.iter().map(|path| std::fs::metadata(path).map_or(0, |m| m.len())).collect();
    let report = validate_readers(&shown, &sizes, open, options, file_done).map_err(|(index, error)| {
        anyhow::Error::new(error).context(format!("読めません cannot read {}", shown[index]))
    })?;
    let digests = taken.iter().filter_map(|slot| slot.lock().ok().and_then(|digest| digest.clone())).collect();
    bar.finish_and_clear();
    Ok((report, digests))
}

fn list_rules(format: ListFormat, lang: Lang) -> Result<String> {
    Ok(match format {
        ListFormat::Json => {
            let rules: Vec<serde_json::Value> = rules::all()
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "code": rule.meta.code,
                        "name": rule.meta.name,
                        "severity": rule.meta.severity,
                        "level": rule.meta.level,
                        "title": rule.meta.title.get(lang),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&rules)? + "\n"
        }
        ListFormat::Human => {
            let mut out = String::new();
            for rule in rules::all() {
                let meta = &rule.meta;
                out.push_str(&format!(
                    "{}  {:<8} {:<30} {}\n",
                    meta.code,
                    meta.severity.label(lang),
                    meta.name,
                    meta.title.get(lang)
                ));
            }
            out
        }
    })
}

/// Prints a suite report in `format`, writes all formats into `out_dir` when given; exit 1 unless it passed (no
/// case failed and one passed).
fn finish_suite(report: &suite::SuiteReport, output: &SuiteOutput, lang: Lang) -> Result<ExitCode> {
    if let Some(dir) = output.out_dir.as_deref() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let name = report.suite;
        for (file, text) in [
            (format!("{name}.json"), report.json()),
            (format!("{name}.junit.xml"), report.junit()),
            (format!("{name}.txt"), report.human(lang)),
            (format!("{name}.html"), report.html(lang)),
        ] {
            std::fs::write(dir.join(&file), text).with_context(|| format!("cannot write {file}"))?;
        }
    }
    emit(&match output.format {
        SuiteFormat::Human => report.human(lang),
        SuiteFormat::Json => report.json(),
        SuiteFormat::Junit => report.junit(),
        SuiteFormat::Html => report.html(lang),
    })?;
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn relay_target(
    url: String,
    ca: &Path,
    offices: &[String],
    negative_dir: Option<&Path>,
    max_body: Option<usize>,
) -> Result<suite::relay::RelayTarget> {
    let read = |path: &Path| std::fs::read(path).with_context(|| format!("cannot read {}", path.display()));
    let mut identities = Vec::new();
    for spec in offices {
        let Some((number, files)) = spec.split_once('=') else { bail!("--office {spec}: expected NUMBER=CERT,KEY") };
        let Some((cert, key)) = files.split_once(',') else { bail!("--office {spec}: expected NUMBER=CERT,KEY") };
        identities.push(suite::relay::OfficeIdentity {
            number: number.to_string(),
            identity_pem: [read(Path::new(cert))?, read(Path::new(key))?].concat(),
        });
    }
    let mut negative = Vec::new();
    if let Some(dir) = negative_dir {
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "key"))
            .collect();
        names.sort();
        for key in names {
            let cert = key.with_extension("pem");
            let name = key.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            negative.push((name, [read(&cert)?, read(&key)?].concat()));
        }
    }
    Ok(suite::relay::RelayTarget { url, ca_pem: read(ca)?, offices: identities, negative, max_body })
}

/// One line of sentence counts: total, then each disposition.
fn sentence_counts(counts: &coverage::SentenceCounts, lang: Lang) -> String {
    let [enforced, assumption, not_checkable, unenforced] = match lang {
        Lang::Ja => ["検査", "解釈", "検査不能", "未検査"],
        Lang::En => ["enforced", "assumption", "not checkable", "unenforced"],
    };
    format!(
        "{:>4}  {enforced} {:>3}  {assumption} {:>3}  {not_checkable} {:>3}  {unenforced} {:>3}",
        counts.total, counts.enforced, counts.assumption, counts.not_checkable, counts.unenforced
    )
}

fn coverage_text(matrix: &coverage::Coverage, lang: Lang) -> String {
    let heading = |ja: &'static str, en: &'static str| if lang == Lang::Ja { ja } else { en };
    let mut out = format!(
        "{}: {}  ({} {}, {} {}, {} {}, {} {})\n",
        heading(
            "標準仕様の文（S1 本体・S2 レイアウト定義書）",
            "Sentences of the specification (S1 本体, S2 レイアウト定義書)"
        ),
        matrix.sentences_total,
        heading("規則が検査", "enforced by rules"),
        matrix.sentences_enforced,
        heading("解釈のみ", "a stated reading only"),
        matrix.sentences_assumption,
        heading("ファイルでは検査できない", "not checkable in a file"),
        matrix.sentences_not_checkable,
        heading("まだ検査していない", "not enforced yet"),
        matrix.sentences_unenforced,
    );
    out.push_str(&format!("\n{}\n", heading("部分ごと（S2 の表、S1 の節）", "Per part (S2 table, S1 section)")));
    for part in &matrix.sentence_parts {
        out.push_str(&format!("  {:?} {:<44} {}\n", part.source, part.part, sentence_counts(&part.counts, lang)));
    }
    out.push_str(&format!(
        "\n{}\n",
        heading(
            "種類ごと（その表の文と、全表共通の文）",
            "Per kind (its table's sentences and those every table repeats)"
        )
    ));
    for (kind, counts) in &matrix.sentences_by_kind {
        out.push_str(&format!("  {kind:<14} {}\n", sentence_counts(counts, lang)));
    }
    for (title, notes) in [
        (heading("まだ検査していない文", "Sentences not enforced yet"), &matrix.sentences_unenforced_list),
        (heading("ファイルでは検査できない文", "Sentences no file can show"), &matrix.sentences_not_checkable_list),
    ] {
        out.push_str(&format!("\n{title} ({})\n", notes.len()));
        for note in notes {
            out.push_str(&format!(
                "  {} {:?} {} 「{}」\n      {}\n",
                note.id, note.source, note.at, note.text, note.reason
            ));
        }
    }
    out.push_str(&format!("\n{}\n", heading("項目ごとの検査規則", "Rules per item")));
    let mut kind = "";
    for item in &matrix.items {
        if item.kind != kind {
            kind = item.kind;
            out.push_str(&format!("\n{kind}\n"));
        }
        let checks: Vec<String> = item.checks.iter().map(|(code, _)| code.to_string()).collect();
        let checks = if checks.is_empty() { "—".to_string() } else { checks.join(" ") };
        out.push_str(&format!("  No.{:<3} {:<40} {checks}\n", item.no, item.name));
    }
    let (items, rules, cited) = match lang {
        Lang::Ja => ("検査される項目", "テスト用ファイルのある規則", "標準仕様の出典を示す規則"),
        Lang::En => ("items checked", "rules with a fixture", "rules citing the spec"),
    };
    out.push_str(&format!(
        "\n{items}: {}/{}\n{rules}: {}/{}\n{cited}: {}/{}\n",
        matrix.items_checked,
        matrix.items_total,
        matrix.rules_with_fixture,
        matrix.rules_total,
        matrix.rules_cited,
        matrix.rules_total
    ));
    for code in &matrix.rules_uncited {
        out.push_str(&format!("  not cited: {code}\n"));
    }
    for item in &matrix.items_unchecked {
        out.push_str(&format!("  unchecked: {} No.{} {}\n", item.kind, item.no, item.name));
    }
    for code in &matrix.rules_without_fixture {
        out.push_str(&format!("  no fixture: {code}\n"));
    }
    out
}

fn explain(meta: &rules::RuleMeta, lang: Lang) -> String {
    let heading = |ja: &'static str, en: &'static str| if lang == Lang::Ja { ja } else { en };
    let mut out = format!(
        "{} {} — {}\n{}: {}   {}: {}\n\n",
        meta.code,
        meta.name,
        meta.title.get(lang),
        heading("重大度", "Severity"),
        meta.severity.label(lang),
        heading("レベル", "Level"),
        meta.level.label(lang),
    );
    for DocSection { heading, text } in meta.doc_sections() {
        out.push_str(&match text {
            DocText::Prose(text) => format!("## {}\n{}\n\n", heading.get(lang), text.get(lang)),
            DocText::Example(example) => format!("## {}\n{example}\n", heading.get(lang)),
        });
    }
    out.push_str(&format!("\n## {}\n", heading("出典（標準仕様）", "Source (the specification)")));
    for cite in meta.cites {
        out.push_str(&format!("- {cite}\n"));
    }
    if !meta.assumptions.is_empty() {
        out.push_str(&format!("\n## {}\n", heading("前提とした解釈", "Documented assumptions")));
        for id in meta.assumptions {
            if let Some(assumption) = assumptions::find(id) {
                out.push_str(&format!("- {id}: {}\n", assumption.text.get(lang)));
            }
        }
    }
    out
}
