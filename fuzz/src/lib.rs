//! What each `cargo fuzz` target does with its input, as plain functions the targets call under libFuzzer
//! (`cargo xtask fuzz` replays `fuzz/regressions/<target>/` through them first). Each function must return for any
//! input; a panic is the bug the fuzzer reports.

use std::sync::OnceLock;

use conformance::codec::{encode_records, TextEncoding};
use conformance::synth::GeneratedFile;
use conformance::validate::{validate_files, Options};

/// File names the codec target reads its bytes under: one per kind family, plus no known name at all.
const NAMES: [&str; 5] = [
    "UPPLAN_202505_1370001002_43_1370002058_11_20250425090500.CSV",
    "UP1KYO_1370001002_43_1370002058_11_20250425090000.CSV",
    "UPJSK_202505_1370002058_11_1370001002_43_20250601100000.CSV",
    "UPSIKYU_202505_1370001002_43_1370002058_11_20250425090500.CSV",
    "unknown.csv",
];

/// Arbitrary bytes as one file (the first byte picks its name) and, split at a 0xFF byte, as a two-file unit.
pub fn codec_validator(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let name = NAMES[pick as usize % NAMES.len()];
    let _ = validate_files([(name, bytes)], &Options::default());
    if let Some(split) = bytes.iter().position(|&b| b == 0xFF) {
        let (first, second) = bytes.split_at(split);
        let _ = validate_files([(NAMES[0], first), (NAMES[3], &second[1..])], &Options::default());
    }
}

/// The valid units the structure-aware target mutates (plan, ticket and actuals of the corpus's first scenario).
/// The generator failing is a setup fault, not a finding: it stops the run at once instead of turning every input
/// into a no-op.
#[allow(clippy::panic)]
fn base_units() -> &'static [Vec<GeneratedFile>] {
    static UNITS: OnceLock<Vec<Vec<GeneratedFile>>> = OnceLock::new();
    UNITS.get_or_init(|| {
        match conformance::synth::corpus::base_units(conformance::synth::fixtures::SEED) {
            Ok(units) => vec![units.plan, units.ticket, units.actuals, units.over_limit],
            Err(error) => panic!("the fuzz target cannot generate its base units: {error}"),
        }
    })
}

/// A valid unit with one field replaced: the first four bytes pick unit, file, record and field, the rest is the
/// new value (as text, lossily). The unit is written in Shift_JIS (UTF-8 where the value cannot be) and validated.
pub fn mutated_records(data: &[u8]) {
    let units = base_units();
    let [unit, file, record, field, value @ ..] = data else { return };
    let Some(unit) = units.get(*unit as usize % units.len().max(1)) else { return };
    let mut unit = unit.clone();
    let file_index = *file as usize % unit.len().max(1);
    let Some(target) = unit.get_mut(file_index) else { return };
    if let Some(row) = target.records.len().checked_sub(1).map(|last| *record as usize % (last + 1)) {
        let row = &mut target.records[row];
        if !row.is_empty() {
            let column = *field as usize % row.len();
            row[column] = String::from_utf8_lossy(value).into_owned();
        }
    }
    let encoded: Vec<(String, Vec<u8>)> = unit
        .iter()
        .map(|f| {
            let bytes = f.bytes().or_else(|_| encode_records(f.kind, &f.records, TextEncoding::Utf8));
            (f.name.clone(), bytes.unwrap_or_default())
        })
        .collect();
    let _ = validate_files(encoded.iter().map(|(n, b)| (n.as_str(), b.as_slice())), &Options::default());
}

/// A send's body as the relay reads it: the input up to the first newline is the Content-Type header, the rest
/// the body, delivered in chunks cut at every 0xFE byte (multipart parsers fail at chunk edges).
pub fn request_parsing(data: &[u8]) {
    let (header, body) = match data.iter().position(|&b| b == b'\n') {
        Some(newline) => (&data[..newline], &data[newline + 1..]),
        None => (data, &[][..]),
    };
    let content_type = String::from_utf8_lossy(header).into_owned();
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
        body.split(|&b| b == 0xFE).map(|chunk| Ok(bytes::Bytes::copy_from_slice(chunk))).collect();
    let config = refserver::api::ApiConfig { max_body: 64 * 1024, max_files: 16, ..Default::default() };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().build() else { return };
    let _ = runtime.block_on(refserver::api::parse_upload(&content_type, futures_util::stream::iter(chunks), &config));
}
