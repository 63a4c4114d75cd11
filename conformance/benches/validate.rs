//! Validation throughput on a large generated file set (≥ 50 MB of monthly ticket units), next to plain `csv`
//! crate parsing of the same bytes, so the ratio validation / parsing is visible.
//!
//! `cargo bench -p conformance --bench validate`

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use conformance::synth::corpus::scale;
use conformance::validate::{validate_files, Options};

/// Users whose ticket units add up to a little over 50 MB.
const USERS: usize = 15_000;

fn data() -> Vec<(String, Vec<u8>)> {
    scale(USERS, 35, 7)
        .expect("scale set generates")
        .into_iter()
        .map(|file| {
            let bytes = file.bytes().expect("generated text is MS932");
            (file.name, bytes)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let files = data();
    let total: usize = files.iter().map(|(_, bytes)| bytes.len()).sum();
    assert!(total >= 50 * 1024 * 1024, "only {total} bytes generated");
    eprintln!("{} files, {:.1} MB", files.len(), total as f64 / 1_048_576.0);

    let mut group = c.benchmark_group("ticket_set_50mb");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("csv_crate_parse", |b| {
        b.iter(|| {
            let mut fields = 0usize;
            for (_, bytes) in &files {
                let mut reader =
                    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes.as_slice());
                let mut record = csv::ByteRecord::new();
                while reader.read_byte_record(&mut record).unwrap_or(false) {
                    fields += record.len();
                }
            }
            fields
        })
    });
    group.bench_function("validate", |b| {
        b.iter(|| {
            let report = validate_files(
                files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())),
                &Options::default(),
            );
            assert_eq!(report.errors(), 0);
            report.files.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
