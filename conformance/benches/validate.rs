//! Validation speed against its floor, on the same bytes in the same run: the floor is what any reader of these
//! files must do — decode Shift_JIS (encoding_rs) and split records and fields (the `csv` crate), one thread, no
//! checks, as `../shared/bench/rawparse` does. Two inputs: one large 第6表 file (one send unit, so one thread is
//! all the engine can use on it) and a folder-sized set of many units (where units run on every core).
//!
//! The validator reads files in pieces (the default: memory holds a piece and the few items file and set rules
//! read); "whole" reads each file at once and keeps every value, as a preview or a round trip needs.
//!
//! `cargo bench -p conformance --bench validate` prints the ratios first (speed relative to the floor, median of
//! three timed runs each), then criterion's measurements of the same functions.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use conformance::synth::corpus::scale;
use conformance::validate::{validate_files, Options};

/// Users of the one large file: about 200,000 第6表 records.
const ONE_FILE_USERS: usize = 15_000;
/// Users of the many-unit set: a little over 50 MB of ticket units, 35 users each.
const SET_USERS: usize = 15_000;

type Files = Vec<(String, Vec<u8>)>;

fn generated(users: usize, users_per_unit: usize) -> Files {
    scale(users, users_per_unit, 7)
        .expect("scale set generates")
        .into_iter()
        .map(|file| {
            let bytes = file.bytes().expect("generated text is MS932");
            (file.name, bytes)
        })
        .collect()
}

/// The 第6表 of one unit holding every user: one file.
fn one_file() -> Files {
    generated(ONE_FILE_USERS, ONE_FILE_USERS).into_iter().filter(|(name, _)| name.starts_with("UPPLAN_")).collect()
}

/// The floor: Shift_JIS decode and csv parse of every record, one thread; returns the field count.
fn floor(files: &Files) -> usize {
    let mut fields = 0usize;
    for (_, bytes) in files {
        let (text, _) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).unwrap_or(false) {
            fields += record.len();
        }
    }
    fields
}

/// Validates the files on at most `threads` threads (`None`: every core), read in pieces or (`keep_documents`)
/// whole with every value kept; returns the record count.
fn validate(files: &Files, threads: Option<usize>, keep_documents: bool) -> usize {
    let options = Options { threads, keep_documents, ..Options::default() };
    let report = validate_files(files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())), &options);
    // The one-file input is a 第6表 without the rest of its unit (SET001); its file findings must be none.
    assert!(report.files.iter().all(|file| file.findings.is_empty()), "generated files validate clean");
    report.files.iter().map(|file| file.records()).sum()
}

fn median_of_three(mut run: impl FnMut() -> usize) -> Duration {
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(run());
            start.elapsed()
        })
        .collect();
    times.sort();
    times[1]
}

/// One line per way of reading `files`: time and speed relative to the floor.
fn ratios(label: &str, files: &Files) {
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let records = validate(files, Some(1), false);
    eprintln!("{label}: {} file(s), {:.1} MB, {records} records", files.len(), bytes as f64 / 1_048_576.0);
    let floor_time = median_of_three(|| floor(files));
    for (name, time) in [
        ("floor (decode + parse, 1 thread)", floor_time),
        ("validate, 1 thread", median_of_three(|| validate(files, Some(1), false))),
        ("validate, all cores", median_of_three(|| validate(files, None, false))),
        ("validate whole, every value kept", median_of_three(|| validate(files, Some(1), true))),
    ] {
        eprintln!(
            "  {name:<34} {:>8.3} s  {:>7.1} MB/s  speed ÷ floor {:.2}",
            time.as_secs_f64(),
            bytes as f64 / 1_048_576.0 / time.as_secs_f64(),
            floor_time.as_secs_f64() / time.as_secs_f64()
        );
    }
}

fn bench(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!("validate bench on {cores} core(s)");
    for (label, files) in [("one 第6表 file", one_file()), ("many send units", generated(SET_USERS, 35))] {
        ratios(label, &files);
        let total: usize = files.iter().map(|(_, bytes)| bytes.len()).sum();
        let mut group = c.benchmark_group(if files.len() == 1 { "one_file" } else { "unit_set" });
        group.sample_size(10);
        group.throughput(Throughput::Bytes(total as u64));
        group.bench_function("floor_decode_parse_1_thread", |b| b.iter(|| floor(&files)));
        group.bench_function("validate_1_thread", |b| b.iter(|| validate(&files, Some(1), false)));
        group.bench_function("validate_all_cores", |b| b.iter(|| validate(&files, None, false)));
        group.bench_function("validate_whole_1_thread", |b| b.iter(|| validate(&files, Some(1), true)));
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
