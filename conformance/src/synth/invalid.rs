//! Invalid cases: for every rule, files that trigger it, with the exact findings expected (rule, file, line,
//! column). Built by mutating valid scenarios, so each case differs from a valid exchange in one place. The
//! same table drives the rule-trigger tests, the invalid fixture corpus and its manifest.

use crate::billing;
use crate::codec::TextEncoding;
use crate::synth::corpus::{base_units, BaseUnits};
use crate::synth::{GeneratedFile, SynthError};

/// One file of a case, as bytes (some cases are not expressible as records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A finding the validator must report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Expected {
    pub rule: &'static str,
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Case {
    /// `<rule code>-<what>`: stable, used as the fixture folder name
    pub id: String,
    /// the rule this case exists for
    pub rule: &'static str,
    pub description: &'static str,
    pub files: Vec<CaseFile>,
    /// every finding expected, in any order; empty for a near-miss
    pub expected: Vec<Expected>,
}

/// Record-level edits on a set of generated files, then encoding to bytes.
struct Draft {
    files: Vec<GeneratedFile>,
}

impl Draft {
    fn new(files: &[GeneratedFile]) -> Draft {
        Draft { files: files.to_vec() }
    }

    fn index(&self, prefix: &str) -> usize {
        self.files.iter().position(|f| f.kind.code == prefix).unwrap_or(usize::MAX)
    }

    fn file(&mut self, prefix: &str) -> &mut GeneratedFile {
        let index = self.index(prefix);
        &mut self.files[index]
    }

    /// Sets item `id` of record `row` (0-based) of the file of kind `prefix`.
    fn set(mut self, prefix: &str, row: usize, id: &str, value: &str) -> Draft {
        let file = self.file(prefix);
        if let Some(column) = file.kind.index_of(id) {
            file.records[row][column] = value.to_string();
        }
        self
    }

    fn edit(mut self, prefix: &str, change: impl FnOnce(&mut GeneratedFile)) -> Draft {
        change(self.file(prefix));
        self
    }

    fn without(mut self, prefix: &str) -> Draft {
        let index = self.index(prefix);
        self.files.remove(index);
        self
    }

    fn name(&self, prefix: &str) -> String {
        self.files.iter().find(|f| f.kind.code == prefix).map(|f| f.name.clone()).unwrap_or_default()
    }

    fn bytes(&self) -> Result<Vec<CaseFile>, SynthError> {
        self.files
            .iter()
            .map(|f| {
                let bytes = f.bytes().map_err(|e| SynthError::Encode(e.to_string()))?;
                Ok(CaseFile { name: f.name.clone(), bytes })
            })
            .collect()
    }
}

/// The over-limit unit with its 福祉用具貸与 row (the last of 第6表) written twice, 明細判別コード `first` and
/// `second`; the second row on `day` (a サービス利用日) when given, else on the same day.
fn two_rentals(base: &BaseUnits, first: &str, second: &str, day: Option<&str>) -> Draft {
    let last = base.over_limit.iter().find(|f| f.kind.code == "UPPLAN").map_or(0, |f| f.records.len() - 1);
    let draft = Draft::new(&base.over_limit).edit("UPPLAN", |f| {
        let row = f.records[last].clone();
        f.records.push(row);
    });
    let draft = draft.set("UPPLAN", last, "detail_discriminator", first).set(
        "UPPLAN",
        last + 1,
        "detail_discriminator",
        second,
    );
    match day {
        Some(day) => draft.set("UPPLAN", last + 1, "service_date", day),
        None => draft,
    }
}

/// Replaces the first occurrence of `from` in a file's bytes.
fn patch(files: &mut [CaseFile], name: &str, from: &[u8], to: &[u8]) {
    if let Some(file) = files.iter_mut().find(|f| f.name == name) {
        if let Some(at) = file.bytes.windows(from.len()).position(|w| w == from) {
            file.bytes.splice(at..at + from.len(), to.iter().copied());
        }
    }
}

fn sjis(text: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
}

fn expect(rule: &'static str, file: &str, line: Option<u32>, column: Option<u32>) -> Expected {
    Expected { rule, file: file.to_string(), line, column }
}

/// The files of a case and the findings they must give.
type CaseContent = (Vec<CaseFile>, Vec<Expected>);

struct Builder {
    cases: Vec<Case>,
}

impl Builder {
    fn add(
        &mut self,
        rule: &'static str,
        what: &str,
        description: &'static str,
        files: Vec<CaseFile>,
        expected: Vec<Expected>,
    ) {
        self.cases.push(Case { id: format!("{rule}-{what}"), rule, description, files, expected });
    }
}

/// Every invalid case (and near-miss), from the scenarios of `seed`.
pub fn cases(seed: u64) -> Result<Vec<Case>, SynthError> {
    let base = base_units(seed)?;
    let mut b = Builder { cases: Vec::new() };
    encoding_cases(&base, &mut b)?;
    syntax_cases(&base, &mut b)?;
    field_cases(&base, &mut b)?;
    record_cases(&base, &mut b)?;
    name_cases(&base, &mut b)?;
    file_cases(&base, &mut b)?;
    set_cases(&base, &mut b)?;
    Ok(b.cases)
}

fn encoding_cases(base: &BaseUnits, b: &mut Builder) -> Result<(), SynthError> {
    let plan = Draft::new(&base.plan).set("UP1KYO", 0, "intentions_and_assessment", "本人：XX自宅で暮らしたい。");
    let t1 = plan.name("UP1KYO");
    let mut files = plan.bytes()?;
    patch(&mut files, &t1, b"XX", &[0x85, 0x40]);
    b.add(
        "ENC001",
        "unassigned-code",
        "Shift_JIS bytes 85 40 (an unassigned code) inside free text",
        files,
        vec![expect("ENC001", &t1, Some(1), None)],
    );

    let deletes = Draft::new(&base.plan_delete);
    let d = deletes.name("DLT1KYO");
    let mut files = deletes.bytes()?;
    if let Some(last) = files.first_mut() {
        // A record whose last item is cut inside a double-byte character at the very end of the file.
        let end = last.bytes.len() - 2;
        last.bytes.truncate(end);
        last.bytes.extend_from_slice(&[b'0', 0x82]);
    }
    b.add(
        "ENC001",
        "truncated-at-eof",
        "a double-byte character cut off at the end of the file",
        files,
        vec![expect("ENC001", &d, Some(1), None), expect("FLD006", &d, Some(1), Some(4))],
    );

    let utf8 = Draft::new(&base.plan).edit("UP1KYO", |f| f.encoding = TextEncoding::Utf8);
    let t1 = utf8.name("UP1KYO");
    b.add(
        "ENC002",
        "utf8",
        "第1表 written in UTF-8 (the spec requires Shift_JIS)",
        utf8.bytes()?,
        vec![expect("ENC002", &t1, Some(1), None)],
    );
    let bom = Draft::new(&base.plan).edit("UP1KYO", |f| f.encoding = TextEncoding::Utf8Bom);
    b.add(
        "ENC002",
        "utf8-bom",
        "第1表 written in UTF-8 with a BOM",
        bom.bytes()?,
        vec![expect("ENC002", &t1, Some(1), None)],
    );

    let mid = Draft::new(&base.plan)
        .set("UP1KYO", 0, "planner_name", "\u{FEFF}介護　花子")
        .edit("UP1KYO", |f| f.encoding = TextEncoding::Utf8);
    b.add(
        "ENC003",
        "bom-in-middle",
        "a BOM inside a value, as left by concatenating files",
        mid.bytes()?,
        vec![expect("ENC002", &t1, Some(1), None), expect("ENC003", &t1, Some(1), Some(8))],
    );

    let unrepresentable = Draft::new(&base.plan)
        .set("UP1KYO", 0, "planner_name", "𠮷田　花子")
        .set("UP1KYO", 0, "overall_support_policy", "自宅で過ごせるよう支援します〜")
        .edit("UP1KYO", |f| f.encoding = TextEncoding::Utf8);
    b.add(
        "ENC004",
        "outside-ms932",
        "UTF-8 characters without an MS932 code (𠮷, WAVE DASH U+301C)",
        unrepresentable.bytes()?,
        vec![
            expect("ENC002", &t1, Some(1), None),
            expect("ENC004", &t1, Some(1), Some(8)),
            expect("ENC004", &t1, Some(2), Some(24)),
        ],
    );

    let gaiji = Draft::new(&base.plan).set("UP1KYO", 0, "planner_name", "介護　XX子");
    let mut files = gaiji.bytes()?;
    patch(&mut files, &t1, b"XX", &[0xF0, 0x40]);
    b.add(
        "ENC005",
        "user-defined",
        "a 外字 (user-defined area F040) in the planner's name",
        files,
        vec![expect("ENC005", &t1, Some(1), Some(8))],
    );

    for (what, name, description) in [
        ("ibm-extension", "髙橋　花子", "IBM extension 髙 in the planner's name"),
        ("nec-circled-digit", "介護　花子①", "NEC special character ① in the planner's name"),
        ("nec-company-mark", "㈱ケア　花子", "NEC special character ㈱ in the planner's name"),
    ] {
        let draft = Draft::new(&base.plan).set("UP1KYO", 0, "planner_name", name);
        b.add("ENC006", what, description, draft.bytes()?, vec![expect("ENC006", &t1, Some(1), Some(8))]);
    }
    let near = Draft::new(&base.plan).set("UP1KYO", 0, "planner_name", "高橋　花子");
    b.add(
        "ENC006",
        "near-miss-standard-kanji",
        "near miss: 高 (JIS X 0208) is not machine-dependent",
        near.bytes()?,
        vec![],
    );

    let kana = Draft::new(&base.plan).set("UPHOSOKU", 0, "user_name_kana", "ﾀﾅｶ ﾊﾙ");
    let s = kana.name("UPHOSOKU");
    b.add(
        "ENC007",
        "halfwidth-kana",
        "利用者氏名フリガナ in half-width katakana",
        kana.bytes()?,
        vec![expect("ENC007", &s, Some(1), Some(5))],
    );

    let control = Draft::new(&base.plan).set("UP1KYO", 0, "overall_support_policy", "見守り\u{7}と声かけ");
    b.add("ENC008", "bell", "a BEL inside free text", control.bytes()?, vec![expect("ENC008", &t1, Some(2), Some(24))]);
    let tab = Draft::new(&base.plan).set("UP1KYO", 0, "overall_support_policy", "見守り\tと声かけ");
    b.add("ENC010", "tab", "a TAB inside free text", tab.bytes()?, vec![expect("ENC010", &t1, Some(2), Some(24))]);

    let lf = Draft::new(&base.plan);
    let t3 = lf.name("UP3KYO");
    let mut files = lf.bytes()?;
    if let Some(file) = files.iter_mut().find(|f| f.name == t3) {
        // CR never occurs inside a Shift_JIS character, so dropping every CR byte turns CRLF into LF.
        file.bytes.retain(|&byte| byte != b'\r');
    }
    b.add("ENC009", "lf", "第3表 with LF line endings", files, vec![expect("ENC009", &t3, Some(1), None)]);
    Ok(())
}

fn syntax_cases(base: &BaseUnits, b: &mut Builder) -> Result<(), SynthError> {
    let deletes = Draft::new(&base.plan_delete);
    let d = deletes.name("DLT1KYO");
    let mut files = deletes.bytes()?;
    files[0].bytes.clear();
    b.add("CSV001", "zero-bytes", "a 0-byte file", files, vec![expect("CSV001", &d, None, None)]);

    let basic = Draft::new(&base.prevention_basic);
    let history = basic.name("UPKIHON_SUB2");
    let mut files = basic.bytes()?;
    if let Some(file) = files.iter_mut().find(|f| f.name == history) {
        file.bytes.clear();
    }
    b.add(
        "CSV010",
        "history-without-rows",
        "利用者基本情報 別表2 of 0 bytes",
        files,
        vec![expect("CSV010", &history, None, None)],
    );

    let plan = Draft::new(&base.plan);
    let t3 = plan.name("UP3KYO");
    let t2 = plan.name("UP2KYO");
    let mut files = plan.bytes()?;
    let last = sjis("同行）\"\r\n");
    patch(&mut files, &t3, &last, &sjis("同行）\r\n"));
    let rows = base.plan.iter().find(|f| f.kind.code == "UP3KYO").map_or(0, |f| f.records.len()) as u32;
    b.add(
        "CSV002",
        "unterminated",
        "the last free text of 第3表 is never closed",
        files,
        vec![expect("CSV002", &t3, Some(rows), Some(13))],
    );

    let mut files = Draft::new(&base.plan).bytes()?;
    patch(&mut files, &t3, &sjis("\"訪問介護\""), &sjis("\"訪問\"介護\""));
    b.add(
        "CSV003",
        "text-after-quote",
        "characters after a closing quote",
        files,
        vec![expect("CSV003", &t3, Some(1), Some(6))],
    );

    let short = Draft::new(&base.plan).edit("UP3KYO", |f| {
        f.records[1].pop();
    });
    b.add(
        "CSV004",
        "missing-item",
        "a 第3表 record with 12 items instead of 13",
        short.bytes()?,
        vec![expect("CSV004", &t3, Some(2), None)],
    );

    let mut files = Draft::new(&base.plan).bytes()?;
    patch(&mut files, &t3, b"\r\n", b"\r\n\r\n");
    b.add(
        "CSV005",
        "blank-line",
        "an empty line between two records",
        files,
        vec![expect("CSV005", &t3, Some(2), None)],
    );

    let mut files = Draft::new(&base.plan).bytes()?;
    if let Some(file) = files.iter_mut().find(|f| f.name == t3) {
        let mut header = sjis("CSVバージョン,保険者番号,被保険者番号,週間サービス計画表作成年月日,居宅サービス計画作成（変更）日,介護サービス内容,曜日,開始時間,終了時間,主な日常生活上の活動,開始時間,終了時間,週単位以外のサービス\r\n");
        header.extend_from_slice(&file.bytes);
        file.bytes = header;
    }
    b.add("CSV006", "header", "a header row before the records", files, vec![expect("CSV006", &t3, Some(1), Some(1))]);

    let mut files = Draft::new(&base.plan).bytes()?;
    patch(
        &mut files,
        &t2,
        &sjis("\"一人での入浴が難しく、清潔を保てない\""),
        &sjis("一人での入浴が難しく、清潔を保てない"),
    );
    b.add(
        "CSV007",
        "unquoted-text",
        "a 課題 not enclosed in quotes",
        files,
        vec![expect("CSV007", &t2, Some(1), Some(7))],
    );

    let mut files = Draft::new(&base.plan_delete).bytes()?;
    files[0].name = "export.CSV".to_string();
    files[0].bytes = b"202407,1,2,3,4,5,6,7,8\r\n".to_vec();
    b.add(
        "CSV008",
        "unknown-layout",
        "a file whose name and 9-item records match no kind",
        files,
        vec![expect("CSV008", "export.CSV", Some(1), None), expect("NAM001", "export.CSV", None, None)],
    );

    // A 第6表 in the 22-item layout of 第3版 (no TAIS / 届出コード / 用具名称), named for a month of 第4.1版.
    let ticket = Draft::new(&base.ticket);
    let plan_name = ticket.name("UPPLAN");
    let mut files = ticket.bytes()?;
    let v3_plan = "202208,139017,0241149189,20250425,202505,1370001002,\"介護　花子\",387,,20250501,,1000,1100,1,111211,,1370002058,\"ヘルパーステーションひまわり\",,0,1370001002,\r\n";
    if let Some(plan) = files.iter_mut().find(|file| file.name == plan_name) {
        plan.bytes = sjis(v3_plan);
    }
    b.add(
        "CSV011",
        "v3-layout-for-202505",
        "a 第6表 in 第3版's 22-item layout (CSVバージョン 202208) named for 2025-05",
        files,
        vec![expect("CSV011", &plan_name, Some(1), Some(1)), expect("CSV012", &plan_name, Some(1), Some(1))],
    );

    let mut files = Draft::new(&base.plan_delete).bytes()?;
    files[0].name = "export.CSV".to_string();
    b.add(
        "CSV009",
        "kind-not-certain",
        "a valid 第1表削除 under a name that gives no kind: four items fit four kinds, none is guessed",
        files,
        vec![expect("CSV009", "export.CSV", Some(1), None), expect("NAM001", "export.CSV", None, None)],
    );
    Ok(())
}

fn field_cases(base: &BaseUnits, b: &mut Builder) -> Result<(), SynthError> {
    let plan = Draft::new(&base.plan);
    let (t1, t2, t3, s) = (plan.name("UP1KYO"), plan.name("UP2KYO"), plan.name("UP3KYO"), plan.name("UPHOSOKU"));
    let ticket = Draft::new(&base.ticket);
    let (p6, p7, ps) = (ticket.name("UPPLAN"), ticket.name("UPSIKYU"), ticket.name("UPHOSOKU"));
    let deletes = Draft::new(&base.plan_delete);
    let d = deletes.name("DLT1KYO");
    let dp = Draft::new(&base.ticket_delete);
    let dpn = dp.name("DLTPLAN");
    let _ = (t3, ps);
    let o6 = Draft::new(&base.over_limit).name("UPPLAN");
    let rental_row = base.over_limit.iter().find(|f| f.kind.code == "UPPLAN").map_or(0, |f| f.records.len() - 1);

    let one = |draft: Draft, rule: &'static str, file: &str, column: u32| -> Result<CaseContent, SynthError> {
        Ok((draft.bytes()?, vec![expect(rule, file, Some(1), Some(column))]))
    };
    let cases: Vec<(&'static str, &str, &'static str, CaseContent)> = vec![
        (
            "FLD001",
            "planner-name",
            "第1表 No.8 居宅サービス計画作成者氏名 empty",
            one(Draft::new(&base.plan).set("UP1KYO", 0, "planner_name", ""), "FLD001", &t1, 8)?,
        ),
        (
            "FLD002",
            "kana",
            "補足 No.5 利用者氏名フリガナ empty",
            one(Draft::new(&base.plan).set("UPHOSOKU", 0, "user_name_kana", ""), "FLD002", &s, 5)?,
        ),
        (
            "FLD003",
            "fullwidth-digits",
            "第6表 No.8 単位数 in full-width digits",
            one(Draft::new(&base.ticket).set("UPPLAN", 0, "units", "３８７"), "FLD003", &p6, 8)?,
        ),
        (
            "FLD004",
            "too-long",
            "第6表 No.9 前月までの短期入所利用日数 with 6 digits (max 5)",
            one(
                Draft::new(&base.ticket).set("UPPLAN", 0, "short_stay_days_until_prev_month", "123456"),
                "FLD004",
                &p6,
                9,
            )?,
        ),
        (
            "FLD005",
            "day-flags",
            "第6表 No.11 日割対象日 with 5 characters (31 required)",
            one(Draft::new(&base.ticket).set("UPPLAN", 0, "daily_rate_days", "11111"), "FLD005", &p6, 11)?,
        ),
        (
            "FLD006",
            "february-30",
            "第1表 No.18 認定日 20250230",
            one(Draft::new(&base.plan).set("UP1KYO", 0, "certification_date", "20250230"), "FLD006", &t1, 18)?,
        ),
        (
            "FLD007",
            "month-13",
            "第6表削除 No.4 削除対象年月 202513",
            (
                Draft::new(&base.ticket_delete).set("DLTPLAN", 0, "delete_target_month", "202513").bytes()?,
                vec![expect("FLD007", &dpn, Some(1), Some(4)), expect("NAM003", &dpn, Some(1), Some(4))],
            ),
        ),
        (
            "FLD008",
            "hour-25",
            "第6表 No.12 サービス開始時刻 2561",
            one(Draft::new(&base.ticket).set("UPPLAN", 0, "start_time", "2561"), "FLD008", &p6, 12)?,
        ),
        (
            "FLD009",
            "midnight",
            "第3表 No.12 終了時間 2400 for 就寝",
            (
                Draft::new(&base.plan).set("UP3KYO", 6, "activity_end_time", "2400").bytes()?,
                vec![expect("FLD009", &plan.name("UP3KYO"), Some(7), Some(12))],
            ),
        ),
        (
            "FLD010",
            "care-level",
            "第1表 No.21 要介護状態区分 2 instead of 22",
            one(Draft::new(&base.plan).set("UP1KYO", 0, "care_level", "2"), "FLD010", &t1, 21)?,
        ),
        (
            "FLD011",
            "nine-digits",
            "第2表 No.17 サービス事業者コード with 9 digits",
            one(Draft::new(&base.plan).set("UP2KYO", 0, "service_office_code", "137000318"), "FLD011", &t2, 17)?,
        ),
        (
            "FLD012",
            "five-digits",
            "第1表削除 No.2 保険者番号 with 5 digits",
            one(Draft::new(&base.plan_delete).set("DLT1KYO", 0, "insurer_number", "13901"), "FLD012", &d, 2)?,
        ),
        (
            "FLD013",
            "lowercase-h",
            "第1表削除 No.3 被保険者番号 h123456789",
            one(Draft::new(&base.plan_delete).set("DLT1KYO", 0, "insured_number", "h123456789"), "FLD013", &d, 3)?,
        ),
        (
            "FLD014",
            "no-hyphen",
            "補足 No.9 利用者郵便番号 without hyphen",
            one(Draft::new(&base.plan).set("UPHOSOKU", 0, "user_postal_code", "1900001"), "FLD014", &s, 9)?,
        ),
        (
            "FLD015",
            "words",
            "補足 No.12 利用者電話番号 with a word",
            one(Draft::new(&base.plan).set("UPHOSOKU", 0, "user_phone", "042-555-01(自宅)"), "FLD015", &s, 12)?,
        ),
        (
            "FLD016",
            "one-decimal",
            "第7表 No.23 単位数単価 10.4",
            one(Draft::new(&base.ticket).set("UPSIKYU", 0, "unit_price", "10.4"), "FLD016", &p7, 23)?,
        ),
        (
            "FLD017",
            "identifier",
            "第1表 No.28 識別子 filled",
            (
                Draft::new(&base.plan).set("UP1KYO", 0, "identifier", "1").bytes()?,
                // 第1表 No.22 and No.24 hold one line break each, so No.28 starts on physical line 3.
                vec![expect("FLD017", &t1, Some(3), Some(28))],
            ),
        ),
        (
            "FLD018",
            "discriminator",
            "第6表 No.19 明細判別コード with 3 digits (read as 2) on a 福祉用具貸与 row",
            (
                Draft::new(&base.over_limit).set("UPPLAN", rental_row, "detail_discriminator", "123").bytes()?,
                // A lone rental row that carries the code at all is also FIL017's.
                vec![
                    expect("FLD018", &o6, Some(rental_row as u32 + 1), Some(19)),
                    expect("FIL017", &o6, Some(rental_row as u32 + 1), Some(19)),
                ],
            ),
        ),
        (
            "FLD019",
            "wrong-digits",
            "第6表 No.16 TAISコード with 4 digits before the hyphen and 7 after",
            one(Draft::new(&base.ticket).set("UPPLAN", 0, "tais_code", "0001-0000010"), "FLD019", &p6, 16)?,
        ),
        (
            "FLD023",
            "printed-hyphen",
            "第6表 No.16 TAISコード with the full-width hyphen of the spec's example",
            one(Draft::new(&base.ticket).set("UPPLAN", 0, "tais_code", "00001－000010"), "FLD023", &p6, 16)?,
        ),
        (
            "FLD020",
            "202410",
            "CSVバージョン 202410 (does not exist)",
            one(Draft::new(&base.plan_delete).set("DLT1KYO", 0, "csv_version", "202410"), "FLD020", &d, 1)?,
        ),
        (
            "FLD021",
            "202504",
            "CSVバージョン 202504 (v4.0 first issue)",
            one(Draft::new(&base.plan_delete).set("DLT1KYO", 0, "csv_version", "202504"), "FLD021", &d, 1)?,
        ),
        (
            "FLD022",
            "202208",
            "CSVバージョン 202208 (v3)",
            one(Draft::new(&base.plan_delete).set("DLT1KYO", 0, "csv_version", "202208"), "FLD022", &d, 1)?,
        ),
        (
            "FLD024",
            "issue-no-0",
            "第2表 No.6 課題ＮＯ 0 (the spec states １～99)",
            one(Draft::new(&base.plan).set("UP2KYO", 0, "issue_no", "0"), "FLD024", &t2, 6)?,
        ),
    ];
    for (rule, what, description, (files, expected)) in cases {
        b.add(rule, what, description, files, expected);
    }
    b.add(
        "FLD025",
        "zeros",
        "第6表 No.11 日割対象日 of 31 zeros instead of empty",
        Draft::new(&base.ticket).set("UPPLAN", 0, "daily_rate_days", &"0".repeat(31)).bytes()?,
        vec![expect("FLD025", &p6, Some(1), Some(11))],
    );
    b.add(
        "FLD026",
        "15SSSS",
        "第7表 通所介護 subtotal written 15SSSS instead of 15AAAA",
        Draft::new(&base.ticket).set("UPSIKYU", 3, "service_code", "15SSSS").bytes()?,
        // Read as a detail row, it leaves the two 通所介護 rows without their subtotal (FIL006), carries no units of
        // its own (FIL007) and is counted again in the 全合計 (FIL009): the consequences FLD026 names the cause of.
        [
            vec![
                expect("FLD026", &p7, Some(4), Some(9)),
                expect("FIL006", &p7, Some(2), Some(9)),
                expect("FIL007", &p7, Some(4), Some(17)),
            ],
            [18, 22, 24, 26, 28].map(|column| expect("FIL009", &p7, Some(5), Some(column))).to_vec(),
        ]
        .concat(),
    );
    // On the last row, printed last in its group either way (FIL019 reads the groups in print order).
    let last = base.plan.iter().find(|f| f.kind.code == "UP2KYO").map_or(0, |f| f.records.len().saturating_sub(1));
    let top = Draft::new(&base.plan).set("UP2KYO", last, "support_no", "99");
    b.add("FLD024", "near-miss-99", "near miss: 援助内容ＮＯ 99 is the top of １～99", top.bytes()?, vec![]);
    let huge = Draft::new(&base.plan).set("UP2KYO", 0, "service_content", &"入浴介助、".repeat(5 * 1024 * 1024 / 10));
    b.add(
        "FLD004",
        "near-miss-5mb-free-text",
        "near miss: a 5 MB free text (free text has no length limit)",
        huge.bytes()?,
        vec![],
    );
    let near = Draft::new(&base.plan).set("UP3KYO", 6, "activity_end_time", "2359");
    b.add("FLD009", "near-miss-2359", "near miss: 2359 is a valid time", near.bytes()?, vec![]);
    let dp_near = Draft::new(&base.ticket).set("UPPLAN", 0, "start_time", "9999").set("UPPLAN", 0, "end_time", "9999");
    b.add("FLD008", "near-miss-9999", "near miss: 9999 (no time shown) is allowed in 第6表", dp_near.bytes()?, vec![]);
    let _ = dp;
    Ok(())
}

fn record_cases(base: &BaseUnits, b: &mut Builder) -> Result<(), SynthError> {
    let plan = Draft::new(&base.plan);
    let (t1, t2, t3, s) = (plan.name("UP1KYO"), plan.name("UP2KYO"), plan.name("UP3KYO"), plan.name("UPHOSOKU"));
    let ticket = Draft::new(&base.ticket);
    let (p6, p7, ps) = (ticket.name("UPPLAN"), ticket.name("UPSIKYU"), ticket.name("UPHOSOKU"));
    let over = Draft::new(&base.over_limit);
    let o6 = over.name("UPPLAN");
    let actuals = Draft::new(&base.actuals);
    let a = actuals.name("UPJSK");
    let june = Draft::new(&base.june_actuals);
    let j = june.name("UPJSK");
    let _ = s;

    b.add(
        "REC001",
        "certification-swapped",
        "第1表 認定有効期間 start after end",
        Draft::new(&base.plan)
            .set("UP1KYO", 0, "certification_valid_from", "20260331")
            .set("UP1KYO", 0, "certification_valid_to", "20250401")
            .bytes()?,
        vec![expect("REC001", &t1, Some(1), Some(20))],
    );
    b.add(
        "REC002",
        "first-plan-later",
        "第1表 初回居宅サービス計画作成日 after the plan date",
        Draft::new(&base.plan).set("UP1KYO", 0, "first_care_plan_date", "20250501").bytes()?,
        vec![expect("REC002", &t1, Some(1), Some(15))],
    );
    b.add(
        "REC003",
        "reversed-times",
        "第6表 サービス開始時刻 after サービス終了時刻",
        Draft::new(&base.ticket).set("UPPLAN", 0, "start_time", "1100").set("UPPLAN", 0, "end_time", "1000").bytes()?,
        vec![expect("REC003", &p6, Some(1), Some(13))],
    );
    b.add(
        "REC003",
        "near-miss-point-in-time",
        "near miss: an activity at one point in time (start = end)",
        Draft::new(&base.plan).bytes()?,
        vec![],
    );
    b.add(
        "REC004",
        "weekday-missing",
        "第3表 weekly service without 曜日",
        Draft::new(&base.plan).set("UP3KYO", 0, "weekday", "").bytes()?,
        vec![expect("REC004", &t3, Some(1), Some(7))],
    );
    b.add(
        "REC005",
        "goal-number-missing",
        "第2表 援助目標ＮＯ empty",
        Draft::new(&base.plan).set("UP2KYO", 0, "goal_no", "").bytes()?,
        vec![expect("REC005", &t2, Some(1), Some(8))],
    );
    b.add(
        "REC006",
        "next-month",
        "第6表 サービス利用日 in the following month",
        Draft::new(&base.ticket).set("UPPLAN", 0, "service_date", "20250601").bytes()?,
        vec![expect("REC006", &p6, Some(1), Some(10))],
    );
    b.add(
        "REC018",
        "reason-text-missing",
        "第1表 算定理由 3 without その他理由",
        Draft::new(&base.plan).set("UP1KYO", 0, "life_support_reason", "3").bytes()?,
        vec![expect("REC018", &t1, Some(3), Some(26))],
    );
    let basic = Draft::new(&base.prevention_basic);
    let k = basic.name("UPKIHON");
    b.add(
        "REC007",
        "consultation-other-missing",
        "利用者基本情報 相談方法 03 (その他) without 相談方法(その他の内容)",
        Draft::new(&base.prevention_basic)
            .set("UPKIHON", 0, "consultation_method", "03")
            .set("UPKIHON", 0, "consultation_method_other", "")
            .bytes()?,
        vec![expect("REC007", &k, Some(1), Some(9))],
    );
    b.add(
        "REC007",
        "near-miss-situation-noted",
        "near miss: 利用者の現況 02 (入院又は入所中) with its 状況補足, and 相談方法 01 with an その他の内容",
        Draft::new(&base.prevention_basic)
            .set("UPKIHON", 0, "user_situation", "02")
            .set("UPKIHON", 0, "user_situation_note", "令和7年4月から入院中")
            .set("UPKIHON", 0, "consultation_method_other", "訪問")
            .bytes()?,
        vec![],
    );
    let rental_row = base.over_limit.iter().find(|f| f.kind.code == "UPPLAN").map_or(0, |f| f.records.len() - 1);
    b.add(
        "REC008",
        "tais-missing",
        "福祉用具貸与 without TAIS or 届出 code",
        Draft::new(&base.over_limit).set("UPPLAN", rental_row, "tais_code", "").bytes()?,
        vec![expect("REC008", &o6, Some(rental_row as u32 + 1), Some(16))],
    );
    b.add(
        "REC019",
        "tais-and-notification",
        "福祉用具貸与 with both a TAIS code and a 福祉用具届出コード",
        Draft::new(&base.over_limit)
            .set("UPPLAN", rental_row, "equipment_notification_code", "00170-000123")
            .bytes()?,
        vec![expect("REC019", &o6, Some(rental_row as u32 + 1), Some(17))],
    );
    b.add(
        "REC019",
        "near-miss-notification-only",
        "near miss: 福祉用具貸与 with a 福祉用具届出コード and no TAIS code",
        Draft::new(&base.over_limit)
            .set("UPPLAN", rental_row, "tais_code", "")
            .set("UPPLAN", rental_row, "equipment_notification_code", "00170-000123")
            .bytes()?,
        vec![],
    );
    let total_row = base.ticket.iter().find(|f| f.kind.code == "UPSIKYU").map_or(0, |f| f.records.len() - 1);
    b.add(
        "REC009",
        "units-on-total",
        "第7表 全合計 row with 単位数 1200",
        Draft::new(&base.ticket).set("UPSIKYU", total_row, "units", "1200").bytes()?,
        vec![expect("REC009", &p7, Some(total_row as u32 + 1), Some(13))],
    );
    b.add(
        "REC010",
        "both-keys",
        "ticket 補足 with both 作成日 and 対象年月",
        Draft::new(&base.ticket).set("UPHOSOKU", 0, "care_plan_date", "20250425").bytes()?,
        vec![expect("REC010", &ps, Some(1), Some(63))],
    );
    b.add(
        "REC011",
        "not-covered",
        "実績 of 特定施設入居者生活介護 (33, not covered) in a 訪問介護 (11) file",
        Draft::new(&base.actuals).set("UPJSK", 0, "service_code", "331111").bytes()?,
        vec![expect("REC011", &a, Some(1), Some(15)), expect("NAM008", &a, Some(1), Some(15))],
    );
    b.add(
        "REC012",
        "june-31",
        "日割対象日 flags day 31 of June",
        Draft::new(&base.june_actuals).set("UPJSK", 0, "daily_rate_days", &format!("{}1", "0".repeat(30))).bytes()?,
        vec![expect("REC012", &j, Some(1), Some(11))],
    );
    b.add(
        "REC014",
        "home-help-discriminator",
        "第6表 訪問介護 row with 明細判別コード 1",
        Draft::new(&base.ticket).set("UPPLAN", 0, "detail_discriminator", "1").bytes()?,
        vec![expect("REC014", &p6, Some(1), Some(19))],
    );
    b.add(
        "REC014",
        "near-miss-rental-discriminator",
        "near miss: two 福祉用具貸与 rows of one code and units numbered 1 and 2 by 明細判別コード",
        two_rentals(base, "1", "2", None).bytes()?,
        vec![],
    );
    b.add(
        "REC015",
        "slot-2-after-empty-1",
        "利用者補足情報 種類別限度額 slot 2 (No.24–25) filled, slot 1 empty",
        Draft::new(&base.ticket)
            .set("UPHOSOKU", 0, "type_limit_2_service_kind", "17")
            .set("UPHOSOKU", 0, "type_limit_2_limit_units", "5000")
            .bytes()?,
        vec![expect("REC015", &ps, Some(1), Some(24))],
    );
    b.add(
        "REC015",
        "near-miss-slots-1-2",
        "near miss: slots 1 and 2 filled in order, slots 3–9 empty",
        Draft::new(&base.ticket)
            .set("UPHOSOKU", 0, "type_limit_1_service_kind", "17")
            .set("UPHOSOKU", 0, "type_limit_1_limit_units", "5000")
            .set("UPHOSOKU", 0, "type_limit_2_service_kind", "22")
            .set("UPHOSOKU", 0, "type_limit_2_limit_units", "3000")
            .bytes()?,
        vec![],
    );
    b.add(
        "REC016",
        "short-stay-2a",
        "利用者補足情報 種類別限度額 slot 1 of 2A (短期入所療養介護（介護医療院）) instead of 22",
        Draft::new(&base.ticket)
            .set("UPHOSOKU", 0, "type_limit_1_service_kind", "2A")
            .set("UPHOSOKU", 0, "type_limit_1_limit_units", "3000")
            .bytes()?,
        vec![expect("REC016", &ps, Some(1), Some(20))],
    );
    b.add(
        "REC017",
        "end-without-time",
        "第6表 サービス開始時刻 1000 with サービス終了時刻 9999",
        Draft::new(&base.ticket).set("UPPLAN", 0, "end_time", "9999").bytes()?,
        vec![expect("REC017", &p6, Some(1), Some(13))],
    );
    // 訪問介護 111211 turned into 居宅療養管理指導 311111 (outside the 区分支給限度) everywhere, its row still
    // carrying the 給付管理単位数 and the split a kind inside the limit has.
    let annex = base.ticket.iter().find(|f| f.kind.code == "UPSIKYU").map(|f| f.records.clone()).unwrap_or_default();
    let detail = annex.iter().position(|r| r[8] == "111211").unwrap_or(0);
    let outside = Draft::new(&base.ticket)
        .edit("UPPLAN", |f| f.records.iter_mut().filter(|r| r[14] == "111211").for_each(|r| r[14] = "311111".into()))
        .set("UPSIKYU", detail, "service_code", "311111");
    b.add(
        "REC013",
        "managed-units-outside-limit",
        "居宅療養管理指導 (outside the 区分支給限度) with 給付管理単位数",
        outside.bytes()?,
        vec![expect("REC013", &p7, Some(detail as u32 + 1), Some(18))],
    );
    Ok(())
}

fn name_cases(base: &BaseUnits, b: &mut Builder) -> Result<(), SynthError> {
    let deletes = Draft::new(&base.plan_delete);
    let d = deletes.name("DLT1KYO");
    let renamed = |from: &str, to: &str| -> Result<Vec<CaseFile>, SynthError> {
        let mut files = Draft::new(&base.plan_delete).bytes()?;
        files[0].name = d.replace(from, to);
        Ok(files)
    };
    let (cm, hh) = (&base.care_manager, &base.home_help);

    let bad = d.replacen(&cm.number, &cm.number[1..], 1);
    b.add(
        "NAM001",
        "nine-digit-office",
        "送信元事業所番号 with 9 digits",
        renamed(&cm.number, &cm.number[1..])?,
        vec![expect("NAM001", &bad, None, None)],
    );
    let lower = d.replace(".CSV", ".csv");
    b.add(
        "NAM002",
        "lowercase",
        "extension .csv",
        renamed(".CSV", ".csv")?,
        vec![expect("NAM002", &lower, None, None)],
    );

    let ticket_delete = Draft::new(&base.ticket_delete);
    let dp = ticket_delete.name("DLTPLAN");
    let mut files = ticket_delete.bytes()?;
    let wrong = dp.replacen("_202505_", "_202504_", 1);
    files[0].name = wrong.clone();
    b.add(
        "NAM003",
        "month",
        "DLTPLAN named 202504 holding 202505",
        files,
        vec![expect("NAM003", &wrong, Some(1), Some(4))],
    );

    let mut files = Draft::new(&base.plan_delete).bytes()?;
    let as_actuals = format!("DLTJSK_202505_{}_11_{}_43_20250602090000.CSV", hh.number, cm.number);
    files[0].name = as_actuals.clone();
    b.add(
        "NAM004",
        "content-is-dlt1kyo",
        "a 第1表削除 record in a file named DLTJSK",
        files,
        vec![expect("NAM004", &as_actuals, Some(1), None)],
    );

    let mut files = Draft::new(&base.plan_delete).bytes()?;
    let legacy = format!("DLT1KYO_{}_{}_20250430120000.CSV", cm.number, hh.number);
    files[0].name = legacy.clone();
    b.add(
        "NAM005",
        "v3-pattern",
        "file name without service-kind codes (v3)",
        files,
        vec![expect("NAM005", &legacy, None, None)],
    );

    let mut files = Draft::new(&base.plan_delete).bytes()?;
    let same = format!("DLT1KYO_{}_43_{}_43_20250430120000.CSV", cm.number, cm.number);
    files[0].name = same.clone();
    b.add(
        "NAM006",
        "same-office",
        "sender and recipient share office number and service kind (a 43 is no recipient of plans either)",
        files,
        vec![expect("NAM006", &same, None, None), expect("NAM007", &same, None, None)],
    );
    let mut files = Draft::new(&base.plan_delete).bytes()?;
    files[0].name = format!("DLT1KYO_{}_43_{}_11_20250430120000.CSV", cm.number, cm.number);
    b.add(
        "NAM006",
        "near-miss-multi-service-office",
        "near miss: one office number holding 居宅介護支援 (43) and 訪問介護 (11) sends to itself",
        files,
        vec![],
    );

    let actuals = Draft::new(&base.actuals);
    let a = actuals.name("UPJSK");
    let mut files = actuals.bytes()?;
    let swapped =
        a.replacen(&format!("_{}_11_{}_43_", hh.number, cm.number), &format!("_{}_43_{}_11_", hh.number, cm.number), 1);
    files[0].name = swapped.clone();
    b.add(
        "NAM007",
        "swapped-kinds",
        "実績 named with the kinds swapped, as in the spec's own example",
        files,
        vec![expect("NAM007", &swapped, None, None)],
    );
    let mut files = actuals.bytes()?;
    files[0].name =
        a.replacen(&format!("_{}_11_{}_43_", hh.number, cm.number), &format!("_{}_43_{}_46_", cm.number, hh.number), 1);
    b.add(
        "NAM007",
        "near-miss-forward-to-center",
        "near miss: an entrusted 居宅介護支援事業所 (43) forwards actuals to its 地域包括支援センター (46), S1 §5.2.2.1",
        files,
        vec![],
    );
    let mut files = Draft::new(&base.plan_delete).bytes()?;
    files[0].name = d.replacen("_43_", "_73_", 1);
    b.add(
        "NAM007",
        "near-miss-small-multifunction-sender",
        "near miss: a 小規模多機能型居宅介護 (73) withdraws a plan, S1 §1.3",
        files,
        vec![],
    );
    b.add(
        "NAM008",
        "nursing-in-home-help-actuals",
        "訪問介護 (11) actuals with a 訪問看護 (13) record",
        Draft::new(&base.actuals).set("UPJSK", 0, "service_code", "131111").bytes()?,
        vec![expect("NAM008", &a, Some(1), Some(15))],
    );
    b.add(
        "NAM009",
        "other-office-in-actuals",
        "訪問介護 actuals of the sender's kind whose 3rd record names another office (the 通所介護's number)",
        Draft::new(&base.actuals).set("UPJSK", 2, "service_office_code", &base.day_service.number).bytes()?,
        vec![expect("NAM009", &a, Some(3), Some(20))],
    );
    let ticket = Draft::new(&base.ticket);
    let p6 = ticket.name("UPPLAN");
    b.add(
        "NAM010",
        "plan-office-of-another",
        "第6表 No.6 プラン担当業者コード of another office than the sending care manager",
        ticket.set("UPPLAN", 0, "plan_office_code", "1370009999").bytes()?,
        vec![expect("NAM010", &p6, Some(1), Some(6))],
    );
    // The care plan sent by a 小規模多機能型居宅介護 (73, a care-manager office only, S1 §1.3).
    let from_73 = |recipient_kind: &str| -> Result<Vec<CaseFile>, SynthError> {
        let mut files = Draft::new(&base.plan).bytes()?;
        for file in &mut files {
            file.name = file.name.replacen(
                "_1370001002_43_1370002058_11_",
                &format!("_1370001002_73_1370002058_{recipient_kind}_"),
                1,
            );
        }
        Ok(files)
    };
    let to_63 = from_73("63")?;
    let expected = to_63.iter().map(|file| expect("NAM012", &file.name, None, None)).collect();
    b.add(
        "NAM012",
        "care-manager-only-to-prevention",
        "a care plan from a 73 (§1.3 only) to a 63 介護予防訪問看護 (§1.4)",
        to_63,
        expected,
    );
    b.add(
        "NAM012",
        "near-miss-care-manager-only-to-home-help",
        "near miss: the same care plan from the 73 to a 11 訪問介護 (§1.3)",
        from_73("11")?,
        vec![],
    );
    // 利用者基本情報 No.62 names the unit's family image; another value also leaves the image unnamed (SET009).
    let basic = Draft::new(&base.prevention_basic);
    let (kihon, image) = (basic.name("UPKIHON"), basic.name("UPKIHON_IMAGE"));
    let unmatched = |kihon: &str, image: &str| {
        vec![
            expect("NAM011", kihon, Some(1), Some(62)),
            expect("SET009", kihon, Some(1), Some(62)),
            expect("SET009", image, None, None),
        ]
    };
    b.add(
        "NAM011",
        "not-a-file-name",
        "利用者基本情報 No.62 家族構成 画像ファイル名 = 家族構成図あり",
        Draft::new(&base.prevention_basic).set("UPKIHON", 0, "family_image_file", "家族構成図あり").bytes()?,
        unmatched(&kihon, &image),
    );
    let other_serial = image.replacen("_20250420100000_", "_20250419090000_", 1);
    b.add(
        "NAM011",
        "other-serial",
        "利用者基本情報 No.62 names an image of another YYYYMMDDHHMMSS than its own file",
        Draft::new(&base.prevention_basic).set("UPKIHON", 0, "family_image_file", &other_serial).bytes()?,
        unmatched(&kihon, &image),
    );
    b.add(
        "NAM011",
        "near-miss-lower-case-extension",
        "near miss: No.62 names the unit's image with the extension .jpg, as the naming rule writes it",
        Draft::new(&base.prevention_basic)
            .set("UPKIHON", 0, "family_image_file", &image.replace(".JPG", ".jpg"))
            .bytes()?,
        vec![],
    );
    Ok(())
}

fn file_cases(base: &BaseUnits, b: &mut Builder) -> Result<(), SynthError> {
    let plan = Draft::new(&base.plan);
    let (t2, t3) = (plan.name("UP2KYO"), plan.name("UP3KYO"));
    let ticket = Draft::new(&base.ticket);
    let p7 = ticket.name("UPSIKYU");
    let a = Draft::new(&base.actuals).name("UPJSK");
    let d = Draft::new(&base.plan_delete).name("DLT1KYO");
    let annex = base.ticket.iter().find(|f| f.kind.code == "UPSIKYU").map(|f| f.records.clone()).unwrap_or_default();
    let row_of = |code: &str| annex.iter().position(|r| r[8] == code).unwrap_or(0);
    let (detail_11, subtotal_15, total) = (row_of("111211"), row_of("15AAAA"), row_of("999999"));
    let line = |row: usize| Some(row as u32 + 1);

    b.add(
        "FIL001",
        "mixed-versions",
        "第3表 row 2 with CSVバージョン 202504",
        Draft::new(&base.plan).set("UP3KYO", 1, "csv_version", "202504").bytes()?,
        vec![expect("FIL001", &t3, Some(2), Some(1)), expect("FLD021", &t3, Some(2), Some(1))],
    );
    b.add(
        "FIL002",
        "two-months",
        "実績 with a record of the next month",
        Draft::new(&base.actuals)
            .set("UPJSK", 1, "target_month", "202506")
            .set("UPJSK", 1, "service_date", "20250602")
            .bytes()?,
        vec![expect("FIL002", &a, Some(2), Some(5)), expect("NAM003", &a, Some(2), Some(5))],
    );
    b.add(
        "FIL003",
        "duplicate-line",
        "第2表 two rows numbered 1-1-1",
        Draft::new(&base.plan).set("UP2KYO", 1, "support_no", "1").bytes()?,
        vec![expect("FIL003", &t2, Some(2), Some(13))],
    );
    b.add(
        "FIL004",
        "duplicate-delete",
        "第1表削除 with the same record twice",
        Draft::new(&base.plan_delete).edit("DLT1KYO", |f| f.records.push(f.records[0].clone())).bytes()?,
        vec![expect("FIL004", &d, Some(2), Some(3))],
    );
    b.add(
        "FIL005",
        "no-grand-total",
        "第7表 without its 全合計 row",
        Draft::new(&base.ticket)
            .edit("UPSIKYU", |f| {
                f.records.remove(total);
            })
            .bytes()?,
        vec![expect("FIL005", &p7, Some(1), Some(3))],
    );
    b.add(
        "FIL006",
        "no-subtotal",
        "第7表 without the 15AAAA subtotal of two 通所介護 rows",
        Draft::new(&base.ticket)
            .edit("UPSIKYU", |f| {
                f.records.remove(subtotal_15);
            })
            .bytes()?,
        {
            let mut expected = vec![expect("FIL006", &p7, line(row_of("151321")), Some(9))];
            // The grand total still counts the removed subtotal.
            for column in [18, 22, 24, 26, 28] {
                expected.push(expect("FIL009", &p7, line(total - 1), Some(column)));
            }
            expected
        },
    );
    b.add(
        "FIL007",
        "amount",
        "第7表 detail サービス単位金額 that is not units × count",
        Draft::new(&base.ticket).set("UPSIKYU", detail_11, "service_units_amount", "3500").bytes()?,
        vec![expect("FIL007", &p7, line(detail_11), Some(17))],
    );
    // A number of the annex (単位数単価 in hundredths), by item id.
    let annex_kind = base.ticket.iter().find(|f| f.kind.code == "UPSIKYU").map(|f| f.kind);
    let num = |row: usize, id: &str| -> i64 {
        let column = annex_kind.and_then(|k| k.index_of(id));
        column.and_then(|c| annex.get(row)?.get(c)?.replace('.', "").parse().ok()).unwrap_or(0)
    };
    let managed = |row: usize| num(row, "benefit_managed_units");
    b.add(
        "FIL008",
        "subtotal",
        "第7表 15AAAA 給付管理単位数 not the sum of its details",
        Draft::new(&base.ticket)
            .set("UPSIKYU", subtotal_15, "benefit_managed_units", &(managed(subtotal_15) - 35).to_string())
            .set("UPSIKYU", total, "benefit_managed_units", &(managed(total) - 35).to_string())
            .bytes()?,
        // Over 0 + within 7335 is the billed amount, which a 通所介護 (possibly 大規模型) may split instead of its
        // managed units (A-7-OTHER-RATE), so FIL013 does not join in.
        vec![expect("FIL008", &p7, line(subtotal_15), Some(18))],
    );
    b.add(
        "FIL009",
        "grand-total",
        "第7表 全合計 利用者負担（全額負担分） not the sum",
        Draft::new(&base.ticket).set("UPSIKYU", total, "copay_full", "1").bytes()?,
        vec![expect("FIL009", &p7, line(total), Some(29))],
    );
    b.add(
        "FIL010",
        "unit-price",
        "第7表 費用総額 that does not follow from the unit price",
        Draft::new(&base.ticket).set("UPSIKYU", detail_11, "unit_price", "10.43").bytes()?,
        vec![expect("FIL010", &p7, line(detail_11), Some(24))],
    );
    // 種類支給限度 and 定額: the kind's summary is its single 111211 row (A-7-TYPE-LIMIT, A-7-FIXED-COPAY).
    let managed_11 = num(detail_11, "benefit_managed_units");
    b.add(
        "FIL014",
        "type-split",
        "第7表 種類支給限度基準を超える単位数 + 基準内単位数 that is not the 給付管理単位数",
        Draft::new(&base.ticket)
            .set("UPSIKYU", detail_11, "type_limit_over_units", "100")
            .set("UPSIKYU", detail_11, "type_limit_within_units", &(managed_11 - 50).to_string())
            .bytes()?,
        vec![expect("FIL014", &p7, line(detail_11), Some(20))],
    );
    // Rewrites items of the 111211 row and moves the 全合計 by the same differences.
    let rewrite = |values: &[(&str, i64)]| -> Draft {
        values.iter().fold(Draft::new(&base.ticket), |draft, &(id, value)| {
            let moved = num(total, id) + value - num(detail_11, id);
            draft.set("UPSIKYU", detail_11, id, &value.to_string()).set("UPSIKYU", total, id, &moved.to_string())
        })
    };
    let price = num(detail_11, "unit_price");
    let type_over = 500;
    let within = managed_11 - type_over;
    let cost = billing::total_cost(within, price);
    let claim = billing::insurance_claim(cost, 90);
    b.add(
        "FIL013",
        "split",
        "第7表 訪問介護 (inside the limit, billed as managed) with 18 units over the limit beside all its managed units within it",
        Draft::new(&base.ticket).set("UPSIKYU", detail_11, "category_limit_over_units", "18").bytes()?,
        // The 18 units over would also be paid in full (No.29), and the 全合計 no longer adds up the over-limit units.
        vec![
            expect("FIL013", &p7, line(detail_11), Some(22)),
            expect("FIL010", &p7, line(detail_11), Some(29)),
            expect("FIL009", &p7, line(total), Some(21)),
        ],
    );
    b.add(
        "FIL013",
        "near-miss-type-limit",
        "near miss: 500 units over a 種類支給限度; the 区分 split is of the 4,000-odd units within it, paid in full above it",
        rewrite(&[
            ("category_limit_within_units", within),
            ("total_cost_insured", cost),
            ("insurance_claim_amount", claim),
            ("copay_insured", cost - claim),
            ("copay_full", billing::total_cost(type_over, price)),
        ])
        .set("UPSIKYU", detail_11, "type_limit_over_units", &type_over.to_string())
        .set("UPSIKYU", detail_11, "type_limit_within_units", &within.to_string())
        .bytes()?,
        vec![],
    );
    let fixed_copay = 100 * num(detail_11, "count_or_days");
    let cost_11 = num(detail_11, "total_cost_insured");
    b.add(
        "FIL010",
        "near-miss-fixed-copay",
        "near miss: a 定額利用者負担 of 100 yen per visit; the claim is the cost less the fixed share, not cost × 給付率",
        rewrite(&[("insurance_claim_amount", cost_11 - fixed_copay), ("copay_insured", fixed_copay)])
            .set("UPSIKYU", detail_11, "fixed_copay_unit_amount", "100")
            .bytes()?,
        vec![],
    );
    let units_11 = annex.get(detail_11).map(|r| r[12].clone()).unwrap_or_default();
    b.add(
        "FIL011",
        "discount",
        "第7表 割引後率 95 with 割引後単位数 equal to the undiscounted 単位数",
        Draft::new(&base.ticket)
            .set("UPSIKYU", detail_11, "discount_rate", "95")
            .set("UPSIKYU", detail_11, "discounted_units", &units_11)
            .bytes()?,
        vec![expect("FIL011", &p7, line(detail_11), Some(15))],
    );
    let ticket_delete = Draft::new(&base.ticket_delete);
    let dp = ticket_delete.name("DLTPLAN");
    let early = dp.replacen("_202505_", "_202503_", 1);
    let mut files = ticket_delete.set("DLTPLAN", 0, "delete_target_month", "202503").bytes()?;
    files[0].name = early.clone();
    b.add(
        "FIL012",
        "version-before-its-month",
        "第6表削除 for service month 202503 in CSVバージョン 202407, which applies from 202504",
        files,
        vec![expect("FIL012", &early, Some(1), Some(1))],
    );
    // 別表: a second row under the same 課題ＮＯ 1 and 支援計画ＮＯ 1 for a second 利用サービス.
    let sub = Draft::new(&base.prevention_plan).name("UPYOBO_SUB");
    let second_service = |repeat: bool| {
        Draft::new(&base.prevention_plan).edit("UPYOBO_SUB", |f| {
            let mut row = f.records[0].clone();
            for (index, item) in f.kind.items.iter().enumerate() {
                let keep = matches!(item.no, 1..=5 | 10 | 14..=17) || repeat;
                if !keep {
                    row[index] = String::new();
                }
                if item.id == "service_no" {
                    row[index] = "2".into();
                }
            }
            f.records.push(row);
        })
    };
    b.add(
        "FIL015",
        "issue-and-plan-repeated",
        "支援計画書別表: the second row of 課題ＮＯ 1 / 支援計画ＮＯ 1 repeats the 課題 and 支援計画 items",
        second_service(true).bytes()?,
        vec![expect("FIL015", &sub, Some(2), Some(6)), expect("FIL015", &sub, Some(2), Some(11))],
    );
    b.add(
        "FIL015",
        "near-miss-numbers-only",
        "near miss: the second row of 課題ＮＯ 1 / 支援計画ＮＯ 1 carries only the NOs and its 利用サービス",
        second_service(false).bytes()?,
        vec![],
    );
    let o6 = Draft::new(&base.over_limit).name("UPPLAN");
    let rental = base.over_limit.iter().find(|f| f.kind.code == "UPPLAN").map_or(0, |f| f.records.len() as u32);
    b.add(
        "FIL016",
        "rental-rows-unnumbered",
        "two 福祉用具貸与 rows of one code, units and day, 明細判別コード both empty",
        two_rentals(base, "", "", None).bytes()?,
        vec![expect("FIL016", &o6, Some(rental), Some(19)), expect("FIL016", &o6, Some(rental + 1), Some(19))],
    );
    b.add(
        "FIL016",
        "rental-rows-2-3",
        "two 福祉用具貸与 rows of one code, units and day numbered 2 and 3 (not from 1)",
        two_rentals(base, "2", "3", None).bytes()?,
        vec![expect("FIL016", &o6, Some(rental + 1), Some(19))],
    );
    b.add(
        "FIL016",
        "near-miss-numbered-2-1",
        "near miss: two 福祉用具貸与 rows of one code, units and day numbered 2 and 1",
        two_rentals(base, "2", "1", None).bytes()?,
        vec![],
    );
    b.add(
        "FIL017",
        "lone-rental-numbered",
        "the only 福祉用具貸与 row of its code and units with 明細判別コード 1",
        Draft::new(&base.over_limit).set("UPPLAN", rental as usize - 1, "detail_discriminator", "1").bytes()?,
        vec![expect("FIL017", &o6, Some(rental), Some(19))],
    );
    b.add(
        "FIL017",
        "near-miss-pair-on-two-days",
        "near miss: two 福祉用具貸与 rows of one code and units on different days, numbered 1 and 2",
        two_rentals(base, "1", "2", Some("20250515")).bytes()?,
        vec![],
    );
    // 第2表: row 2 is 課題ＮＯ 1 / 援助目標ＮＯ 1 / 援助内容ＮＯ 2 with its 課題 left empty (aggregated).
    let issue_1 = base
        .plan
        .iter()
        .find(|f| f.kind.code == "UP2KYO")
        .and_then(|f| Some(f.records.first()?.get(f.kind.index_of("issue")?)?.clone()))
        .unwrap_or_default();
    b.add(
        "FIL019",
        "issue-differs",
        "第2表: the second row of 課題ＮＯ 1 carries another 課題 than the first",
        Draft::new(&base.plan).set("UP2KYO", 1, "issue", "転倒が心配").bytes()?,
        vec![expect("FIL019", &t2, Some(2), Some(7))],
    );
    b.add(
        "FIL019",
        "first-row-empty",
        "第2表: the 課題 of 課題ＮＯ 1 only on its second row",
        Draft::new(&base.plan).set("UP2KYO", 0, "issue", "").set("UP2KYO", 1, "issue", &issue_1).bytes()?,
        vec![expect("FIL019", &t2, Some(2), Some(7))],
    );
    b.add(
        "FIL019",
        "near-miss-issue-repeated",
        "near miss: the second row of 課題ＮＯ 1 repeats the first row's 課題",
        Draft::new(&base.plan).set("UP2KYO", 1, "issue", &issue_1).bytes()?,
        vec![],
    );
    // 別表: a second row of 課題ＮＯ 1 carrying only its numbers and a 利用サービス.
    let annex_row = |plan_no: &'static str, service_no: &'static str| {
        Draft::new(&base.prevention_plan).edit("UPYOBO_SUB", |f| {
            let mut row = f.records[0].clone();
            for (index, item) in f.kind.items.iter().enumerate() {
                match item.id.as_str() {
                    "support_plan_no" => row[index] = plan_no.into(),
                    "service_no" => row[index] = service_no.into(),
                    _ if !matches!(item.no, 1..=5 | 15..=17) => row[index] = String::new(),
                    _ => {}
                }
            }
            f.records.push(row);
        })
    };
    b.add(
        "FIL018",
        "support-plan-no-skipped",
        "支援計画書別表: 課題ＮＯ 1 with 支援計画ＮＯ 1 and 3 (2 skipped)",
        annex_row("3", "1").bytes()?,
        vec![expect("FIL018", &sub, Some(2), Some(10))],
    );
    b.add(
        "FIL018",
        "service-no-repeated",
        "支援計画書別表: 課題ＮＯ 1 / 支援計画ＮＯ 1 with 利用サービスＮＯ 1 twice",
        annex_row("1", "1").bytes()?,
        vec![expect("FIL018", &sub, Some(2), Some(14))],
    );
    b.add(
        "FIL018",
        "near-miss-next-support-plan",
        "near miss: 課題ＮＯ 1 with 支援計画ＮＯ 1 and 2, each with 利用サービスＮＯ 1",
        annex_row("2", "1").bytes()?,
        vec![],
    );
    Ok(())
}

fn set_cases(base: &BaseUnits, b: &mut Builder) -> Result<(), SynthError> {
    let plan = Draft::new(&base.plan);
    let (t1, t2, t3, s) = (plan.name("UP1KYO"), plan.name("UP2KYO"), plan.name("UP3KYO"), plan.name("UPHOSOKU"));
    let ticket = Draft::new(&base.ticket);
    let (p6, p7, ps) = (ticket.name("UPPLAN"), ticket.name("UPSIKYU"), ticket.name("UPHOSOKU"));
    let annex = base.ticket.iter().find(|f| f.kind.code == "UPSIKYU").map(|f| f.records.clone()).unwrap_or_default();
    let total = annex.iter().position(|r| r[8] == "999999").unwrap_or(0);
    let detail_11 = annex.iter().position(|r| r[8] == "111211").unwrap_or(0);

    b.add(
        "SET001",
        "no-table3",
        "a plan sent without 第3表",
        Draft::new(&base.plan).without("UP3KYO").bytes()?,
        vec![expect("SET001", &t1, None, None)],
    );

    let mut files = Draft::new(&base.plan).bytes()?;
    let mut extra = Draft::new(&base.ticket_delete).bytes()?;
    let serial = t1.rsplit('_').next().unwrap_or("").trim_end_matches(".CSV").to_string();
    let stray = extra[0].name.rsplit_once('_').map(|(head, _)| format!("{head}_{serial}.CSV")).unwrap_or_default();
    extra[0].name = stray;
    files.append(&mut extra);
    b.add(
        "SET002",
        "plan-and-delete",
        "a 第6表削除 under the same ファイル連番 as a plan",
        files,
        vec![expect("SET002", &t1, None, None)],
    );

    b.add(
        "SET003",
        "plan-date",
        "第2表 with another 居宅サービス計画作成（変更）日 than 第1表",
        Draft::new(&base.plan).set("UP2KYO", 0, "care_plan_date", "20250426").bytes()?,
        vec![expect("SET003", &t2, Some(1), Some(5))],
    );

    let mut files = Draft::new(&base.plan).bytes()?;
    let other = format!("_{}_15_", base.day_service.number);
    let moved = t3.replacen(&format!("_{}_11_", base.home_help.number), &other, 1);
    if let Some(file) = files.iter_mut().find(|f| f.name == t3) {
        file.name = moved.clone();
    }
    let first = Draft::new(&base.plan).name("UP1KYO");
    b.add(
        "SET004",
        "other-recipient",
        "第3表 addressed to another office under the same ファイル連番: two units, each lacking what the other has",
        files,
        vec![
            expect("SET001", &first, None, None),
            expect("SET004", &first, None, None),
            expect("SET001", &moved, None, None),
            expect("SET004", &moved, None, None),
        ],
    );

    let first_home_help = base
        .ticket
        .iter()
        .find(|f| f.kind.code == "UPPLAN")
        .and_then(|f| f.records.iter().position(|r| r[14] == "111211"))
        .unwrap_or(0);
    b.add(
        "SET005",
        "one-visit-less",
        "第6表 lists one visit fewer than 第7表 counts",
        Draft::new(&base.ticket)
            .edit("UPPLAN", |f| {
                f.records.remove(first_home_help);
            })
            .bytes()?,
        vec![expect("SET005", &p7, Some(detail_11 as u32 + 1), Some(16))],
    );

    b.add(
        "SET006",
        "limit",
        "補足 区分支給限度基準額 lower than the units managed, 第7表 shows no excess",
        Draft::new(&base.ticket).set("UPHOSOKU", 0, "benefit_limit_units", "10000").bytes()?,
        vec![expect("SET006", &p7, Some(total as u32 + 1), Some(21))],
    );

    let mut files = Draft::new(&base.ticket).bytes()?;
    let renamed = ps.replacen("_202505_", "_202504_", 1);
    if let Some(file) = files.iter_mut().find(|f| f.name == ps) {
        file.name = renamed.clone();
    }
    b.add(
        "SET007",
        "supplement-month",
        "ticket 補足 named with another month",
        files,
        vec![expect("SET007", &renamed, None, None), expect("NAM003", &renamed, Some(1), Some(63))],
    );

    let mut files = Draft::new(&base.plan).bytes()?;
    if let Some(copy) = files.iter().find(|f| f.name == t3).cloned() {
        files.push(CaseFile { name: copy.name.replace(".CSV", ".csv"), bytes: copy.bytes });
    }
    let lower = t3.replace(".CSV", ".csv");
    b.add(
        "SET008",
        "two-table3",
        "two 第3表 files in one send unit",
        files,
        vec![expect("SET008", &lower, None, None), expect("NAM002", &lower, None, None)],
    );
    let basic = Draft::new(&base.prevention_basic);
    let (kihon, image) = (basic.name("UPKIHON"), basic.name("UPKIHON_IMAGE"));
    b.add(
        "SET009",
        "image-not-named",
        "a family image in the unit while 利用者基本情報 No.62 is empty",
        Draft::new(&base.prevention_basic).set("UPKIHON", 0, "family_image_file", "").bytes()?,
        vec![expect("SET009", &image, None, None)],
    );
    b.add(
        "SET009",
        "named-image-missing",
        "利用者基本情報 No.62 names a family image the unit does not carry",
        Draft::new(&base.prevention_basic).without("UPKIHON_IMAGE").bytes()?,
        vec![expect("SET009", &kihon, Some(1), Some(62))],
    );
    b.add(
        "SET009",
        "near-miss-no-image",
        "near miss: no family image, and No.62 left empty",
        Draft::new(&base.prevention_basic)
            .without("UPKIHON_IMAGE")
            .set("UPKIHON", 0, "family_image_file", "")
            .bytes()?,
        vec![],
    );
    // 第7表 訪問介護 discounted to 95 %: 第6表 carries the discounted units (near miss) or the undiscounted ones.
    let detail_11 = annex.iter().position(|r| r[8] == "111211").unwrap_or(0);
    let units_11 = annex.get(detail_11).and_then(|r| r[12].parse::<i64>().ok()).unwrap_or(0);
    let count_11 = annex.get(detail_11).and_then(|r| r[15].parse::<i64>().ok()).unwrap_or(0);
    let after_units = billing::discounted_units(units_11, 95);
    let (after, amount) =
        (after_units.to_string(), billing::detail_amount(units_11, Some(after_units), count_11).to_string());
    let discounted = |plan_units: &str| {
        let plan_rows: Vec<usize> = base
            .ticket
            .iter()
            .find(|f| f.kind.code == "UPPLAN")
            .map(|f| (0..f.records.len()).filter(|&row| f.records[row][14] == "111211").collect())
            .unwrap_or_default();
        let draft = Draft::new(&base.ticket)
            .set("UPSIKYU", detail_11, "discount_rate", "95")
            .set("UPSIKYU", detail_11, "discounted_units", &after)
            .set("UPSIKYU", detail_11, "service_units_amount", &amount);
        (plan_rows.iter().fold(draft, |draft, &row| draft.set("UPPLAN", row, "units", plan_units)), plan_rows)
    };
    let (undiscounted, rows) = discounted(&units_11.to_string());
    b.add(
        "SET010",
        "plan-units-undiscounted",
        "第7表 111211 discounted to 95 %, 第6表 rows of 111211 with the undiscounted 単位数",
        undiscounted.bytes()?,
        vec![expect("SET010", &p6, rows.first().map(|&row| row as u32 + 1), Some(8))],
    );
    b.add(
        "SET010",
        "near-miss-plan-units-discounted",
        "near miss: the same 第7表 discount, 第6表 rows of 111211 with the 割引後単位数",
        discounted(&after).0.bytes()?,
        vec![],
    );
    // The over-limit ticket (訪問介護, 通所介護, 福祉用具貸与) addressed to another office of the same kind.
    let readdressed = |office: &str, kind: &str| -> Result<Vec<CaseFile>, SynthError> {
        let mut files = Draft::new(&base.over_limit).bytes()?;
        for file in &mut files {
            file.name = file.name.replacen("_1370004274_17_", &format!("_{office}_{kind}_"), 1);
        }
        Ok(files)
    };
    let unrelated = readdressed("1370009999", "17")?;
    let named = |prefix: &str| unrelated.iter().find(|f| f.name.starts_with(prefix)).map(|f| f.name.clone());
    let (o6, o7, os) = (named("UPPLAN_"), named("UPSIKYU_"), named("UPHOSOKU_"));
    b.add(
        "SET011",
        "recipient-named-by-no-row",
        "a ticket to office 1370009999 (17) whose user has rows of three other offices only",
        unrelated.clone(),
        [o6, o7, os].into_iter().flatten().map(|name| expect("SET011", &name, Some(1), Some(3))).collect(),
    );
    b.add(
        "SET011",
        "near-miss-recipient-on-some-rows",
        "near miss: the same ticket to the 訪問介護 office, which its user's 訪問介護 rows name",
        readdressed("1370002058", "11")?,
        vec![],
    );
    let _ = (s, p6);
    Ok(())
}
