//! The engine: bytes → decoded records → document of a kind → findings, for each file and then for each send
//! unit. Rules decide *what* is wrong; this module decides *which* rules run on what.

mod file;
mod set;

use std::collections::BTreeMap;

use crate::codec::{EncodingChoice, TextEncoding};
use crate::document::Document;
use crate::filename::{FileName, NameError};
use crate::finding::{Finding, Severity};
use crate::rules::ctx::UnitFile;
use crate::spec::Kind;

pub use file::{validate_file, validate_reader, PIECE_BYTES};

/// How files are read.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub encoding: EncodingChoice,
    /// the kind to read every file as, instead of detecting it
    pub kind: Option<&'static Kind>,
    /// the most threads to validate send units on; `None`: one per available core. `Some(1)` also reads a file of
    /// several pieces on the checking thread instead of one piece ahead on a second
    pub threads: Option<usize>,
    /// keep every value of every file in its report's [`FileReport::document`] (a preview, a round trip): each
    /// file is then read whole. Otherwise (the default) a file is read a piece at a time, only the items its file
    /// and set rules read are kept, and those are let go once its send unit is checked: memory holds a piece and
    /// those items, however large the file.
    pub keep_documents: bool,
    /// bytes per piece when files are read in pieces (`None`: [`PIECE_BYTES`]); a test reads in tiny pieces to
    /// cut records at every place
    pub piece_bytes: Option<usize>,
}

/// At most this many findings of one rule are kept per file; the rest are counted.
pub const FINDINGS_PER_RULE: usize = 100;

/// Everything learned about one file.
#[derive(Debug)]
pub struct FileReport {
    pub path: String,
    /// `None` when the file was given without a name (standard input)
    pub name: Option<Result<FileName, NameError>>,
    pub encoding: Option<TextEncoding>,
    /// the records read with their kind's layout (`None` when unreadable, or unless [`Options::keep_documents`])
    pub document: Option<Document>,
    /// how many records were read
    pub records: usize,
    /// the kind the records were read as (kept when the records are let go)
    pub read_as: Option<&'static Kind>,
    pub findings: Vec<Finding>,
    /// findings dropped past [`FINDINGS_PER_RULE`], by rule code
    pub suppressed: BTreeMap<&'static str, usize>,
}

impl FileReport {
    /// A report of nothing found yet.
    pub fn new(path: &str) -> FileReport {
        FileReport {
            path: path.to_string(),
            name: (path != "-").then(|| crate::filename::parse(crate::filename::base_name(path))),
            encoding: None,
            document: None,
            records: 0,
            read_as: None,
            findings: Vec::new(),
            suppressed: BTreeMap::new(),
        }
    }

    /// The file as the rules of its send unit see it.
    pub fn unit_file(&self) -> UnitFile<'_> {
        UnitFile { path: &self.path, name: self.name.as_ref(), document: self.document.as_ref() }
    }

    /// The kind the records were read as, else the one the file name gives.
    pub fn kind(&self) -> Option<&'static Kind> {
        self.read_as.or_else(|| self.parsed_name().and_then(FileName::kind))
    }

    pub fn kind_code(&self) -> Option<&'static str> {
        self.kind().map(|kind| kind.code.as_str())
    }

    pub fn parsed_name(&self) -> Option<&FileName> {
        self.unit_file().parsed_name()
    }

    /// The kind the file name declares.
    pub fn name_kind(&self) -> Option<&str> {
        self.unit_file().name_kind()
    }

    pub fn records(&self) -> usize {
        self.records
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity() == severity).count()
            + if severity == Severity::Error {
                self.suppressed
                    .iter()
                    .filter(|(code, _)| crate::rules::find(code).is_some_and(|r| r.meta.severity == Severity::Error))
                    .map(|(_, n)| n)
                    .sum()
            } else {
                0
            }
    }

    /// Keeps the first [`FINDINGS_PER_RULE`] findings of each rule, in file order.
    fn cap_and_sort(&mut self) {
        self.findings.sort_by_key(|f| (f.line.unwrap_or(0), f.column.unwrap_or(0), f.rule.code));
        let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut kept = Vec::with_capacity(self.findings.len());
        for finding in self.findings.drain(..) {
            let count = seen.entry(finding.rule.code).or_default();
            *count += 1;
            if *count <= FINDINGS_PER_RULE {
                kept.push(finding);
            } else {
                *self.suppressed.entry(finding.rule.code).or_default() += 1;
            }
        }
        self.findings = kept;
    }
}

/// A validation run: every file, then every send unit.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<FileReport>,
    pub set_findings: Vec<Finding>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.files.iter().map(|f| f.count(severity)).sum::<usize>()
            + self.set_findings.iter().filter(|f| f.severity() == severity).count()
    }

    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    /// Every finding, file-level first.
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.files.iter().flat_map(|f| f.findings.iter()).chain(&self.set_findings)
    }
}

/// Validates named files (path, bytes) and the send units they form. The files of one unit are validated
/// together and the unit's set rules run right after, while its records are still in the CPU's caches; units are
/// independent, so they are checked on every available core. The report keeps the input order of files and the
/// ファイル連番 order of set findings.
pub fn validate_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>, options: &Options) -> Report {
    validate_files_with_progress(files, options, |_| {})
}

/// [`validate_files`], calling `file_done` with each file's path as soon as that file is validated (from
/// whichever thread validated it), for a progress bar.
pub fn validate_files_with_progress<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    options: &Options,
    file_done: impl Fn(&str) + Sync,
) -> Report {
    let inputs: Vec<(&str, &[u8])> = files.into_iter().collect();
    let units = send_units(inputs.iter().map(|(path, _)| *path));
    let validate_one = |index: usize| {
        let (path, bytes) = inputs[index];
        Ok::<_, std::convert::Infallible>(validate_file(path, bytes, options))
    };
    let Ok(checked) = check_units(&units, |index| inputs[index].1.len(), validate_one, options, &file_done);
    let mut collected = Collected::new(inputs.len());
    collected.add(&units, checked);
    collected.report()
}

/// Validates files opened only when their send unit's turn comes and read a piece at a time ([`validate_reader`]),
/// units on every available core (`sizes` weigh them): memory holds, per thread, one piece and what the rules of
/// one unit keep, however many and however large the files. The report is the one [`validate_files`] gives for
/// the same bytes; an error opening or reading an input stops the run with the input's index.
pub fn validate_readers(
    paths: &[String],
    sizes: &[u64],
    open: impl Fn(usize) -> std::io::Result<Box<dyn std::io::Read + Send>> + Sync,
    options: &Options,
    file_done: impl Fn(&str) + Sync,
) -> Result<Report, (usize, std::io::Error)> {
    let units = send_units(paths.iter().map(String::as_str));
    let size = |index: usize| usize::try_from(sizes.get(index).copied().unwrap_or(0)).unwrap_or(usize::MAX);
    let validate_one = |index: usize| {
        let path = paths[index].as_str();
        open(index).and_then(|mut reader| validate_reader(path, &mut reader, options)).map_err(|error| (index, error))
    };
    let checked = check_units(&units, size, validate_one, options, &file_done)?;
    let mut collected = Collected::new(paths.len());
    collected.add(&units, checked);
    Ok(collected.report())
}

/// One unit's file reports (in its members' order) and its set findings.
type CheckedUnit = (Vec<FileReport>, Vec<Finding>);

/// The files of each unit validated in order by `validate_one` (each reported to `file_done`), then the unit's set
/// rules; units on every available core, weighed by their files' `size`s. The first error of any unit is returned.
fn check_units<E: Send>(
    units: &[SendUnit],
    size: impl Fn(usize) -> usize,
    validate_one: impl Fn(usize) -> Result<FileReport, E> + Sync,
    options: &Options,
    file_done: &(impl Fn(&str) + Sync),
) -> Result<Vec<CheckedUnit>, E> {
    let weight = |unit: &SendUnit| unit.members.iter().fold(0usize, |total, &index| total.saturating_add(size(index)));
    let checked = parallel_map(units, options.threads, weight, |unit| {
        let mut reports = Vec::with_capacity(unit.members.len());
        for &index in &unit.members {
            let report = validate_one(index)?;
            file_done(&report.path);
            reports.push(report);
        }
        Ok(check_unit(unit, reports, options))
    });
    checked.into_iter().collect()
}

/// The set rules of one unit over its files' reports; the kept items are let go after unless the caller keeps
/// every value.
fn check_unit(unit: &SendUnit, mut reports: Vec<FileReport>, options: &Options) -> CheckedUnit {
    let findings = unit
        .serial
        .as_deref()
        .map_or_else(Vec::new, |serial| set::check_unit(serial, &unit.serial_shared_with, reports.iter().collect()));
    if !options.keep_documents {
        reports.iter_mut().for_each(|report| report.document = None);
    }
    (reports, findings)
}

/// File reports put back in input order, set findings in unit order.
struct Collected {
    files: Vec<Option<FileReport>>,
    set_findings: Vec<Finding>,
}

impl Collected {
    fn new(inputs: usize) -> Collected {
        Collected { files: std::iter::repeat_with(|| None).take(inputs).collect(), set_findings: Vec::new() }
    }

    fn add(&mut self, units: &[SendUnit], checked: Vec<CheckedUnit>) {
        for (unit, (reports, findings)) in units.iter().zip(checked) {
            for (&index, report) in unit.members.iter().zip(reports) {
                self.files[index] = Some(report);
            }
            self.set_findings.extend(findings);
        }
    }

    fn report(self) -> Report {
        Report { files: self.files.into_iter().flatten().collect(), set_findings: self.set_findings }
    }
}

/// One send unit of the inputs: the files whose names give one ファイル連番 and one sender and recipient
/// ([`FileName::send_unit`](crate::filename::FileName::send_unit)), or a file whose name does not parse, alone.
pub(crate) struct SendUnit {
    pub serial: Option<String>,
    /// the parties of the other units with the same serial
    pub serial_shared_with: Vec<String>,
    /// indexes of the inputs, in input order
    pub members: Vec<usize>,
}

/// The inputs grouped into send units, in 連番 order; files whose name does not parse come last, each alone.
fn send_units<'a>(paths: impl Iterator<Item = &'a str>) -> Vec<SendUnit> {
    let mut units: BTreeMap<String, (crate::filename::FileName, Vec<usize>)> = BTreeMap::new();
    let mut loose = Vec::new();
    for (index, path) in paths.enumerate() {
        let name = (path != "-").then(|| crate::filename::parse(crate::filename::base_name(path)).ok()).flatten();
        match name {
            Some(name) => units.entry(name.send_unit()).or_insert_with(|| (name, Vec::new())).1.push(index),
            None => loose.push(SendUnit { serial: None, serial_shared_with: Vec::new(), members: vec![index] }),
        }
    }
    let named: Vec<(crate::filename::FileName, Vec<usize>)> = units.into_values().collect();
    let shared_with = |name: &crate::filename::FileName| -> Vec<String> {
        named
            .iter()
            .filter(|(other, _)| other.serial == name.serial && other.send_unit() != name.send_unit())
            .map(|(other, _)| other.parties())
            .collect()
    };
    let grouped: Vec<SendUnit> = named
        .iter()
        .map(|(name, members)| SendUnit {
            serial: Some(name.serial.clone()),
            serial_shared_with: shared_with(name),
            members: members.clone(),
        })
        .collect();
    grouped.into_iter().chain(loose).collect()
}

/// Below this many bytes one thread is quicker than starting more: a relay validates thousands of small uploads
/// a second, a vendor's folder of monthly files is megabytes.
const PARALLEL_MIN_WORK: usize = 1 << 20;

/// `f` over `items` on up to `available_parallelism` (or `most_threads`) threads when their `weight`s add up to enough work to pay
/// for the threads; results in input order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    most_threads: Option<usize>,
    weight: impl Fn(&T) -> usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let available = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let cores = most_threads.map_or(available, |most| most.clamp(1, available));
    let worth_it = items.iter().map(weight).sum::<usize>() >= PARALLEL_MIN_WORK;
    let threads = if worth_it { cores.min(items.len()).max(1) } else { 1 };
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(index) else { break };
                        out.push((index, f(item)));
                    }
                    out
                })
            })
            .collect();
        // A worker only panics if `f` does: re-raise it here rather than lose its results silently.
        workers.into_iter().map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    for (index, result) in done.into_iter().flatten() {
        results[index] = Some(result);
    }
    results.into_iter().flatten().collect()
}
