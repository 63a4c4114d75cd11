//! Properties over generated input: every valid record validates clean and survives write → read unchanged;
//! no input, however broken, makes the codec or the validator panic.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use conformance::codec::{encode_records, EncodingChoice, TextEncoding};
use conformance::document::Table;
use conformance::spec::spec;
use conformance::synth::record::arbitrary_record;
use conformance::synth::Rng;
use conformance::validate::{validate_file, validate_files, Options};
use proptest::prelude::*;

/// Reads bytes back into the values of each record.
fn read_back(bytes: &[u8]) -> Vec<Vec<String>> {
    let decoded = conformance::codec::decode(bytes, EncodingChoice::Auto);
    assert!(decoded.undecodable.is_empty(), "undecodable: {:?}", decoded.undecodable);
    let (table, issues, _) = Table::parse(decoded.text);
    assert!(issues.is_empty(), "syntax issues: {issues:?}");
    (0..table.len()).map(|row| table.row_values(row).into_iter().map(String::from).collect()).collect()
}

/// Characters that all have an MS932 code: ASCII with the CSV specials, kana, kanji, NEC/IBM extensions, half-width
/// kana and the CP932 forms of the wave dash and minus.
const MS932_ALPHABET: &str = "aZ09 ,\"\r\n　あんアン介護計画書利用者氏名山田高橋長女①⑳㈱Ⅳ髙﨑ｱﾝﾞ～－∥、。「」";

/// The placeholders of a finding's message template (either language) that the finding gives no value for: a rule
/// raised this way would show a person `{item}` instead of the item.
fn unfilled_placeholders(finding: &conformance::finding::Finding) -> Vec<String> {
    let mut missing = Vec::new();
    for lang in [conformance::i18n::Lang::Ja, conformance::i18n::Lang::En] {
        let template = finding.rule.message.get(lang);
        for part in template.split('{').skip(1) {
            let Some(name) = part.split_once('}').map(|(name, _)| name) else { continue };
            let given = match name {
                "item" => finding.item.is_some(),
                "value" => finding.value.is_some(),
                _ => finding.args.iter().any(|(arg, _)| *arg == name),
            };
            if !given && !missing.iter().any(|m| m == name) {
                missing.push(name.to_string());
            }
        }
    }
    missing
}

fn csv_kinds() -> Vec<&'static conformance::spec::Kind> {
    spec().kinds.iter().filter(|kind| kind.is_csv()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any record built from the model is free of field and record findings, and writing then reading it gives
    /// the same values back, in Shift_JIS and in UTF-8.
    #[test]
    fn any_valid_record_validates_clean_and_round_trips(seed in any::<u64>(), kind_index in 0usize..17, rows in 1usize..4) {
        let kinds = csv_kinds();
        let kind = kinds[kind_index % kinds.len()];
        let mut rng = Rng::new(seed);
        let records: Vec<Vec<String>> = (0..rows).map(|_| arbitrary_record(kind, &mut rng)).collect();
        for encoding in [TextEncoding::ShiftJis, TextEncoding::Utf8] {
            let bytes = encode_records(kind, &records, encoding).expect("generated text is MS932");
            prop_assert_eq!(read_back(&bytes), records.clone());
        }
        let bytes = encode_records(kind, &records, TextEncoding::ShiftJis).expect("generated text is MS932");
        let report = validate_file("-", &bytes, &Options { kind: Some(kind), ..Options::default() });
        // Relations between records (FIL) are only judged on one record of a kind other than 第7表: several random
        // records may repeat a key or mix months, and a random 第7表 has no totals that add up.
        let relations_are_random = rows > 1 || kind.code == "UPSIKYU";
        let unexpected: Vec<String> = report
            .findings
            .iter()
            .filter(|f| !(relations_are_random && f.rule.code.starts_with("FIL")))
            .map(|f| format!("{} {:?} {}", f.rule.code, f.column, f.message(conformance::i18n::Lang::En)))
            .collect();
        prop_assert!(unexpected.is_empty(), "{}: {:?}", kind.code, unexpected);
    }

    /// Free text with commas, quotes, line breaks and any MS932 character survives the codec.
    #[test]
    fn free_text_round_trips(text in proptest::collection::vec(proptest::sample::select(MS932_ALPHABET.chars().collect::<Vec<_>>()), 0..40)
        .prop_map(|chars| chars.into_iter().collect::<String>())) {
        let kind = spec().kind("UP3KYO").expect("UP3KYO");
        let mut record = vec![String::new(); kind.items.len()];
        record[5] = text;
        let bytes = encode_records(kind, &[record.clone()], TextEncoding::ShiftJis).expect("MS932 text");
        prop_assert_eq!(read_back(&bytes), vec![record]);
    }

    /// Arbitrary bytes under any file name never panic, and every finding points inside the file and has every
    /// part its message names.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), name_index in 0usize..4) {
        let names = [
            "UP1KYO_1370001002_43_1370002058_11_20250425090000.CSV",
            "UPSIKYU_202505_1370001002_43_1370002058_11_20250425090500.CSV",
            "anything.csv",
            "-",
        ];
        let report = validate_file(names[name_index], &bytes, &Options::default());
        // Lines as an editor shows them: CR LF, LF and a lone CR each end one.
        let lines = bytes.windows(2).filter(|w| w[0] == b'\r' && w[1] != b'\n').count()
            + usize::from(bytes.last() == Some(&b'\r'))
            + bytes.iter().filter(|&&b| b == b'\n').count()
            + 1;
        for finding in &report.findings {
            prop_assert!(finding.line.is_none_or(|line| line as usize <= lines), "{} at line {:?} of {lines}", finding.rule.code, finding.line);
            let missing = unfilled_placeholders(finding);
            prop_assert!(missing.is_empty(), "{} raised without {:?}", finding.rule.code, missing);
        }
    }

    /// Mutating one byte of a valid file never panics (structure-aware: the input is almost valid).
    #[test]
    fn mutated_valid_files_never_panic(seed in any::<u64>(), position in any::<usize>(), byte in any::<u8>()) {
        let kinds = csv_kinds();
        let mut rng = Rng::new(seed);
        let kind = kinds[(seed as usize) % kinds.len()];
        let records = vec![arbitrary_record(kind, &mut rng), arbitrary_record(kind, &mut rng)];
        let mut bytes = encode_records(kind, &records, TextEncoding::ShiftJis).expect("MS932 text");
        let at = position % bytes.len();
        bytes[at] = byte;
        let name = format!("{}_000000_1370001002_43_1370002058_11_20250425090000.CSV", kind.code);
        let report = validate_files([(name.as_str(), &bytes[..])], &Options::default());
        let _ = (report.files[0].findings.len(), report.set_findings.len());
    }

    /// Reading in pieces never changes a report: any bytes (arbitrary, or a valid file with one byte changed, so
    /// quotes, line ends and lead bytes land anywhere) cut into pieces of any size give the report reading them
    /// whole gives.
    #[test]
    fn pieces_of_any_size_report_what_the_whole_reports(
        seed in any::<u64>(),
        position in any::<usize>(),
        byte in any::<u8>(),
        noise in proptest::collection::vec(any::<u8>(), 0..600),
        piece in 1usize..300,
    ) {
        let kinds = csv_kinds();
        let mut rng = Rng::new(seed);
        let kind = kinds[(seed as usize) % kinds.len()];
        let records = vec![arbitrary_record(kind, &mut rng), arbitrary_record(kind, &mut rng), arbitrary_record(kind, &mut rng)];
        let mut bytes = encode_records(kind, &records, TextEncoding::ShiftJis).expect("MS932 text");
        let at = position % bytes.len();
        bytes[at] = byte;
        if seed % 3 == 0 {
            bytes = noise;
        }
        let name = format!("{}_000000_1370001002_43_1370002058_11_20250425090000.CSV", kind.code);
        let render = |options: &Options| {
            let report = validate_files([(name.as_str(), &bytes[..])], options);
            conformance::report::json::render(&report, conformance::i18n::Lang::En)
        };
        let whole = render(&Options { keep_documents: true, ..Options::default() });
        prop_assert_eq!(render(&Options { piece_bytes: Some(piece), ..Options::default() }), whole);
    }
}
