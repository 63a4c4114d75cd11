//! The standard-spec model: every file kind, its items, the code tables and the send units, loaded from the
//! declarative data in `conformance/spec/` (one TOML file per kind). Parsing, validation, the fixture generator
//! and the generated documentation all read this one description.

pub mod assumptions;
pub mod sentences;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::i18n::{Lang, OwnedText, Text};

/// The most items a join key of `units.toml` may have.
pub const MAX_KEY_ITEMS: usize = 4;

/// The documents a rule or a data file may cite, by the id citations start with.
pub struct Source {
    pub id: &'static str,
    pub title: &'static str,
    /// where the text is read: repository and path of the public text extraction
    pub text: &'static str,
}

pub const SOURCES: &[Source] = &[
    Source {
        id: "S1",
        title: "ケアプランデータ連携標準仕様 本体 第4.1版（令和6年10月 厚生労働省老健局）",
        text: "kt-group1165/honobono_caremanager migrations/_if_careplan_v4_spec.txt",
    },
    Source {
        id: "S2",
        title: "別紙 CSVファイルレイアウト定義書（記載例・注記・コード表・CSVバージョン履歴を含む）",
        text: "kt-group1165/honobono_caremanager migrations/_if_careplan_v4_layout.txt",
    },
];

/// Whether a citation names one of [`SOURCES`] ("S1 §1.3 …", "S2 第6表 No.8 …").
pub fn cites_a_source(cite: &str) -> bool {
    SOURCES.iter().any(|source| cite.strip_prefix(source.id).is_some_and(|rest| rest.starts_with(' ')))
}

/// Whether a rule's citation is known: a sentence of the inventory by its id (a sentence the rule enforces), or a
/// passage of a source in words (context the rule reads without enforcing it as a sentence: the item model, a
/// sentence that bounds its severity).
pub fn cite_is_known(cite: &str) -> bool {
    spec().sentence(cite).is_some() || cites_a_source(cite)
}

/// A citation as a reader sees it: a sentence id becomes its source, place and text; words stay as they are.
pub fn cite_text(cite: &str) -> std::borrow::Cow<'_, str> {
    match spec().sentence(cite) {
        Some((file, sentence)) => {
            let place = match file.source {
                sentences::Source::S1 => format!("S1 {}", sentence.at.strip_prefix("S1 ").unwrap_or(&sentence.at)),
                sentences::Source::S2 => format!("S2 {} {}", file.section, sentence.at),
            };
            format!("{cite}: {place} 「{}」", sentence.text).into()
        }
        None => cite.into(),
    }
}

/// What a CSVバージョン value means for a file today (`versions.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// 第4.1版: the layout this model describes
    Current,
    /// 第4.0版 as first issued: same layout, value superseded by 202407
    #[serde(rename = "alias")]
    DeprecatedAlias,
    /// an edition before v4, with another layout
    Superseded,
}

/// One row of the CSVバージョン history (S2 【CSVバージョン履歴】).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvVersion {
    pub value: String,
    /// 適用開始年月: the first service month (YYYYMM) the version applies to
    pub applies_from: String,
    pub edition: String,
    pub status: VersionStatus,
}

/// The CSVバージョン this model describes: the one `versions.toml` marks current (the loader checks there is
/// exactly one).
pub fn current_csv_version() -> &'static CsvVersion {
    static NONE: CsvVersion = CsvVersion {
        value: String::new(),
        applies_from: String::new(),
        edition: String::new(),
        status: VersionStatus::Current,
    };
    spec().versions.iter().find(|v| v.status == VersionStatus::Current).unwrap_or(&NONE)
}

/// The edition a service month (YYYYMM) falls under: the one with the latest 適用開始年月 on or before it, the
/// current value where two share it (202407 and its alias 202504). `None` before the first edition, and for the
/// plan-bundle placeholder 000000, which names no month.
pub fn edition_for_month(month: &str) -> Option<&'static CsvVersion> {
    spec()
        .versions
        .iter()
        .filter(|version| version.applies_from.as_str() <= month)
        .max_by_key(|version| (version.applies_from.as_str(), version.status == VersionStatus::Current))
}

pub fn csv_version(value: &str) -> Option<&'static CsvVersion> {
    spec().versions.iter().find(|version| version.value == value)
}

/// A set of サービス種類コード that plays one part in the exchange (`parties.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub name: OwnedText,
    pub kinds: Vec<String>,
    /// every kind the code table marks 連携対象 belongs to the role too
    #[serde(default)]
    pub covered: bool,
    pub source: String,
}

/// What a product of one kind must be able to export (`profiles.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: OwnedText,
    /// the role in `parties.toml` whose files the product writes
    pub role: String,
    /// the file kinds it must export
    pub requires: Vec<String>,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfilesFile {
    profile: BTreeMap<String, Profile>,
}

/// A sender role → recipient role pair the spec describes for some file kinds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    pub from: String,
    pub to: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub kinds: Vec<String>,
    pub pairs: Vec<Pair>,
}

/// Who may send which kind to whom.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parties {
    pub roles: BTreeMap<String, Role>,
    #[serde(rename = "flow")]
    pub flows: Vec<Flow>,
}

impl Parties {
    /// Whether a サービス種類コード plays `role`.
    pub fn plays(&self, role: &str, service_kind: &str) -> bool {
        self.roles.get(role).is_some_and(|r| {
            r.kinds.iter().any(|k| k == service_kind)
                || (r.covered && spec().service_kind(service_kind).and_then(|k| k.covered) == Some(true))
        })
    }

    /// The pairs the spec describes for a file kind.
    pub fn pairs<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Pair> + 'a {
        self.flows.iter().filter(move |flow| flow.kinds.iter().any(|k| k == kind)).flat_map(|flow| &flow.pairs)
    }

    /// The pair that allows `sender` → `recipient` (サービス種類コード) for a file kind, if any.
    pub fn allowing<'a>(&'a self, kind: &'a str, sender: &str, recipient: &str) -> Option<&'a Pair> {
        self.pairs(kind).find(|pair| self.plays(&pair.from, sender) && self.plays(&pair.to, recipient))
    }
}

/// Item types of README §7 (the spec itself has no type column; these are inferred there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// YYYYMM
    Ym,
    /// YYYYMMDD
    Date,
    /// HHMM
    Time,
    /// unsigned integer, ASCII digits
    Num,
    /// 整数: a signed integer (an optional `-`, then ASCII digits); 減算 service codes carry negative units
    /// (S2 第6表 No.8 「整数」「月初日のみに減算の単位数を設定」, 第7表 No.13 likewise)
    Int,
    /// decimal "99.99"
    Dec,
    /// value from a code table
    Code,
    /// 事業所番号, 10 digits
    Office,
    /// 保険者番号, 6 digits
    Insurer,
    /// 被保険者番号, 10 digits or H + 9 digits
    Insured,
    /// ASCII alphanumeric / hyphen
    An,
    /// 郵便番号 XXX-XXXX
    Postal,
    /// telephone number
    Tel,
    /// free text (フリーテキスト), quoted
    Text,
}

impl ItemType {
    /// Types whose length is inherent, so the spec's 項目長 is an exact length (assumption A-LENGTH).
    pub fn is_fixed_width(self) -> bool {
        matches!(
            self,
            ItemType::Ym | ItemType::Date | ItemType::Time | ItemType::Office | ItemType::Insurer | ItemType::Insured
        )
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let (ja, en) = match self {
            ItemType::Ym => ("年月 (YYYYMM)", "year-month (YYYYMM)"),
            ItemType::Date => ("年月日 (YYYYMMDD)", "date (YYYYMMDD)"),
            ItemType::Time => ("時刻 (HHMM)", "time (HHMM)"),
            ItemType::Num => ("数字", "numeric"),
            ItemType::Int => ("整数（負の数も可）", "integer (may be negative)"),
            ItemType::Dec => ("小数 (99.99)", "decimal (99.99)"),
            ItemType::Code => ("コード", "code"),
            ItemType::Office => ("事業所番号 (10桁)", "office number (10 digits)"),
            ItemType::Insurer => ("保険者番号 (6桁)", "insurer number (6 digits)"),
            ItemType::Insured => ("被保険者番号 (10桁)", "insured number (10 chars)"),
            ItemType::An => ("英数字", "alphanumeric"),
            ItemType::Postal => ("郵便番号 (XXX-XXXX)", "postal code (XXX-XXXX)"),
            ItemType::Tel => ("電話番号", "phone number"),
            ItemType::Text => ("フリーテキスト", "free text"),
        };
        match lang {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

/// The spec's 必須 column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Required {
    /// ○, read with confidence.
    Yes,
    /// (○): the most likely reading of a garbled source; missing values are warnings (assumption A-REQ-LIKELY).
    Likely,
    #[default]
    No,
}

/// Value shapes that the spec describes in its 書式 column beyond the item type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// 日割対象日: 31 characters of `1`/`0`, position d = day d.
    DayFlags,
    /// サービスコード: サービス種類コード (2) + 項目 (4), ASCII upper-case alphanumerics.
    ServiceCode,
    /// 第7表 サービスコード: a service code, kind + AAAA / EEEE / ZZZZ, or 999999.
    ServiceCodeOrTotal,
    /// TAISコード / 福祉用具届出コード: `NNNNN-NNNNNN`.
    EquipmentCode,
    /// 単位数単価: "99.99".
    UnitPrice,
}

impl Format {
    pub fn describe(self, lang: Lang) -> &'static str {
        let (ja, en) = match self {
            Format::DayFlags => ("「1」「0」の31文字（1文字目＝1日）", "31 characters of 1/0 (position d = day d)"),
            Format::ServiceCode => {
                ("サービス種類コード2桁＋項目コード4桁", "2-character service kind + 4-character item")
            }
            Format::ServiceCodeOrTotal => (
                "サービスコード、種類コード＋AAAA/EEEE/ZZZZ、または 999999",
                "service code, kind + AAAA/EEEE/ZZZZ, or 999999",
            ),
            Format::EquipmentCode => ("5桁-6桁（例 00001-000010）", "5 digits, hyphen, 6 digits (e.g. 00001-000010)"),
            Format::UnitPrice => ("99.99 形式（例 11.40）", "99.99 form (e.g. 11.40)"),
        };
        match lang {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

/// Whose data an item holds, for the anonymiser: every item that can hold text (free text, phone, postal code,
/// 被保険者番号) says which, and so does 利用者生年月日; the loader refuses a text item that does not. The
/// classes decide how a value is replaced and which values are replaced alike across files (one 被保険者番号 gets
/// one replacement in every file of a unit, so the joins between them hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Personal {
    /// 氏名: the user's, a family member's, a care manager's, a doctor's
    Name,
    /// 氏名フリガナ
    Kana,
    /// 住所
    Address,
    /// 電話番号 / FAX番号 of a person (or of the user's clinic, which tells the user's illness)
    Phone,
    /// 郵便番号 of a person
    Postal,
    /// 被保険者番号
    Insured,
    /// 生年月日
    BirthDate,
    /// a number an office gives its user (整理番号)
    Identifier,
    /// フリーテキスト written about the user (課題, 目標, 留意事項, 続柄 …): may name anyone
    FreeText,
    /// reviewed and not a person's data: an office's name, address or phone, a product name, a period, a
    /// frequency, the image file's name
    None,
}

impl Personal {
    pub fn is_personal(self) -> bool {
        self != Personal::None
    }

    pub fn label(self) -> Text {
        let (ja, en) = match self {
            Personal::Name => ("氏名", "name"),
            Personal::Kana => ("フリガナ", "name in kana"),
            Personal::Address => ("住所", "address"),
            Personal::Phone => ("電話番号", "phone number"),
            Personal::Postal => ("郵便番号", "postal code"),
            Personal::Insured => ("被保険者番号", "insured number"),
            Personal::BirthDate => ("生年月日", "birth date"),
            Personal::Identifier => ("整理番号", "reference number"),
            Personal::FreeText => ("自由記載", "free text"),
            Personal::None => ("個人情報ではない", "not personal"),
        };
        Text { ja, en }
    }
}

/// One item (項目) of a file kind, as the spec's layout table lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// No. (1-based position in the record)
    pub no: u16,
    /// 項目名, exactly as the spec writes it
    pub name: String,
    /// a stable English identifier
    pub id: String,
    #[serde(rename = "type")]
    pub ty: ItemType,
    /// 項目長; `None` = `―` (unlimited free text)
    pub len: Option<u16>,
    /// force an exact length for a type that is not inherently fixed (サービスコード, 日割対象日)
    #[serde(default)]
    pub fixed: bool,
    /// false where the length cell was illegible or contradicted: exceeding it is a warning
    #[serde(default = "yes")]
    pub len_certain: bool,
    #[serde(default)]
    pub required: Required,
    /// name of a table in `codes.toml`
    pub codes: Option<String>,
    pub format: Option<Format>,
    /// special values accepted besides the type's shape (e.g. `000000`, `9999`)
    #[serde(default)]
    pub allow: Vec<String>,
    /// ※使用しない: must be left empty
    #[serde(default)]
    pub unused: bool,
    /// the id of a documented assumption that shapes this item (see `assumptions.rs`)
    pub assumption: Option<String>,
    pub note: Option<String>,
    /// whose data the item holds (required of text-bearing items: see [`Personal`])
    pub personal: Option<Personal>,
    /// the range the spec states for a number (第2表 課題ＮＯ 「１～99」): [lowest, highest], both allowed
    pub range: Option<[u64; 2]>,
    /// the spec asks for this item's content when another item of the record holds one of some codes (利用者基本情報
    /// No.8 「「03:その他」の場合は、「相談方法(その他の内容)」に内容を記載する。」)
    pub filled_when: Option<FilledWhen>,
    /// whose office number the item holds when the spec's 書式 says 「居宅支援事業者番号」 or the like: compared with the
    /// file name's parties (NAM010)
    pub names_office: Option<NamedOffice>,
}

/// Which party of the file name an item names by its office number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamedOffice {
    /// the office that sent the file (更新業者コード: 「予定の場合は居宅介護支援事業者番号、実績の場合はサービス事業者番号」)
    Sender,
    /// the care-manager side of the exchange, whichever way the file travels (プラン担当業者コード, 介護支援事業者コード)
    CareManager,
}

/// When an item must be filled: `item` (an id of the same kind) holds one of `values`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilledWhen {
    pub item: String,
    pub values: Vec<String>,
    /// whether a sentence of the spec asks for it (「…の場合は、…に内容を記載する」), or it is read from the item
    /// model alone (a code 「その他」 beside an item for its text): REC007 (an error) judges the first, REC018 (a
    /// warning) the second
    #[serde(default = "yes")]
    pub stated: bool,
}

fn yes() -> bool {
    true
}

impl Item {
    /// The exact length this item must have, if any.
    pub fn exact_len(&self) -> Option<usize> {
        if self.fixed || self.ty.is_fixed_width() {
            self.len.map(usize::from)
        } else {
            None
        }
    }

    /// The maximum length, for items that are not of exact length.
    pub fn max_len(&self) -> Option<usize> {
        if self.exact_len().is_some() {
            None
        } else {
            self.len.map(usize::from)
        }
    }

    /// A readable English name derived from the identifier.
    pub fn english_name(&self) -> String {
        self.id.replace('_', " ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Content {
    #[default]
    Csv,
    Jpeg,
}

/// A file kind (UP1KYO, UPPLAN, …): its file-name prefix, labels and item layout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    /// the file-name prefix, e.g. `UPPLAN`
    pub code: String,
    /// how the spec names the table (第6表 …)
    pub table: OwnedText,
    pub title: OwnedText,
    /// the S2 section (its 「ファイル 名 称」 heading) this kind was transcribed from
    pub source: String,
    /// whether the file name carries `_<YYYYMM>` after the prefix
    pub month_in_name: bool,
    #[serde(default)]
    pub content: Content,
    /// the item holding the service month (対象年月 / 削除対象年月) a CSVバージョン applies from
    pub service_month: Option<String>,
    /// where kinds share a layout (the same items of the same exact lengths: 第6表 予定 and 実績, the 削除 files
    /// of a date), the one content is read as when no file name says which
    #[serde(default)]
    pub layout_default: bool,
    /// the items that identify a record (S1 §2.3 図表 2.3.1) in a kind with one record per user and key; empty
    /// for kinds with many records per user
    #[serde(default)]
    pub record_key: Vec<String>,
    /// a 別表 that travels with its main file and whose rows are the user's entries (a history, a timetable):
    /// the passage that sends it along, when the spec does not say whether it may hold no rows
    pub rows_may_be_none: Option<String>,
    pub items: Vec<Item>,
    /// item id → 0-based column, built once at load
    #[serde(skip)]
    columns: crate::fasthash::FxHashMap<String, usize>,
}

impl Kind {
    pub fn item(&self, no: u16) -> Option<&Item> {
        self.items.get(usize::from(no).checked_sub(1)?)
    }

    /// The 0-based column of the item with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.columns.get(id).copied()
    }

    pub fn is_csv(&self) -> bool {
        self.content == Content::Csv
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeValue {
    pub code: String,
    pub ja: String,
    /// for サービス種類コード: whether the kind is 連携対象
    pub covered: Option<bool>,
    /// for サービス種類コード: whether the kind counts against the 区分支給限度基準額 (codes.toml says where from)
    pub category_limit: Option<bool>,
    /// for サービス種類コード: whether its 給付管理単位数 may be counted at another rate than the units billed
    /// (大規模型通所系, 小多機・看多機の同一建物: S2 第7表 No.18 但し書き)
    #[serde(default)]
    pub managed_at_other_rate: bool,
    /// for サービス種類コード: a 福祉用具貸与, whose rows carry a TAIS or 届出 code (S2 第6表 No.16–17, 第7表 No.10–11)
    #[serde(default)]
    pub rental_equipment: bool,
    /// for サービス種類コード: a row of S1 §1.4's table (介護予防・総合事業), not of §1.3's (介護給付)
    #[serde(default)]
    pub prevention: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeList {
    pub name: OwnedText,
    pub values: Vec<CodeValue>,
}

impl CodeList {
    pub fn get(&self, code: &str) -> Option<&CodeValue> {
        self.values.iter().find(|value| value.code == code)
    }

    /// "11 初回, 12 紹介, …" for messages and documentation.
    pub fn summary(&self) -> String {
        self.values.iter().map(|v| format!("{} {}", v.code, v.ja)).collect::<Vec<_>>().join(", ")
    }
}

/// The file-name month of the 利用者補足情報 in a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplementMonth {
    /// `000000`: tied to 第1表/第2表/第3表
    Zero,
    /// the service month of the 第6表
    Service,
}

/// Dependent rows of `child` must find a row of `parent` with the same key values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub child: String,
    pub child_key: Vec<String>,
    pub parent: String,
    pub parent_key: Vec<String>,
}

/// A send unit (送信単位): a combination of kinds that travel together under one ファイル連番.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub id: String,
    pub name: OwnedText,
    pub required: Vec<String>,
    #[serde(default)]
    pub optional: Vec<String>,
    pub supplement_month: Option<SupplementMonth>,
    #[serde(default)]
    pub links: Vec<Link>,
}

impl Unit {
    pub fn allows(&self, kind: &str) -> bool {
        self.required.iter().chain(&self.optional).any(|k| k == kind)
    }
}

/// The whole model.
#[derive(Debug)]
pub struct Spec {
    pub kinds: Vec<Kind>,
    pub codes: BTreeMap<String, CodeList>,
    pub units: Vec<Unit>,
    pub unit_months: UnitMonths,
    pub annex_rows: AnnexRows,
    pub versions: Vec<CsvVersion>,
    pub parties: Parties,
    /// product profile name (`care-manager`, …) → what it must export
    pub profiles: BTreeMap<String, Profile>,
    /// the sentence inventory of both sources, each sentence with its disposition (read on first use: validation
    /// does not need it, and it is most of the data)
    pub sentences: sentences::Inventory,
}

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("spec data file {file}: {source}")]
    Toml { file: &'static str, source: toml::de::Error },
    #[error("spec data is inconsistent: {0}")]
    Inconsistent(String),
}

macro_rules! kind_sources {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../spec/kinds/", $name, ".toml")))),*]
    };
}

/// Every kind, in the order the documentation lists them.
const KIND_SOURCES: &[(&str, &str)] = kind_sources![
    "UPHOSOKU",
    "UP1KYO",
    "UP2KYO",
    "UP3KYO",
    "UPPLAN",
    "UPJSK",
    "UPSIKYU",
    "DLT1KYO",
    "DLTPLAN",
    "DLTJSK",
    "UPKIHON",
    "UPKIHON_SUB1",
    "UPKIHON_SUB2",
    "UPKIHON_IMAGE",
    "UPYOBO",
    "UPYOBO_SUB",
    "DLTKIHON",
    "DLTYOBO",
];

#[derive(Deserialize)]
struct UnitsFile {
    months: UnitMonths,
    unit: Vec<Unit>,
}

/// The 第7表 rows that are not one service of one office (`annex.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnexRows {
    /// サービスコード of the 全合計 row
    pub grand_total_code: String,
    /// サービス事業所コード of the 全合計 row
    pub grand_total_office: String,
    /// kind + this: 区分支給対象 種類別小計
    pub kind_subtotal_suffix: String,
    /// kind + this: 区分支給対象外 種類別小計
    pub outside_limit_subtotal_suffix: String,
    /// kind + this: 30日超過分 種類別小計
    pub over_30_days_subtotal_suffix: String,
}

/// Which kinds' file-name months a unit's `supplement_month` speaks of.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitMonths {
    /// the kind whose file-name month is 000000 or the service month (利用者補足情報)
    pub supplement: String,
    /// the kind whose file-name month is the unit's service month (第6表)
    pub service: String,
    /// the supplement's file-name month in a plan unit (000000)
    pub plan: String,
}

#[derive(Deserialize)]
struct VersionsFile {
    version: Vec<CsvVersion>,
}

impl Spec {
    /// The sentence of the inventory with this id, and the file it stands in.
    pub fn sentence(&self, id: &str) -> Option<(&sentences::SentenceFile, &sentences::Sentence)> {
        self.sentences.iter().find_map(|file| file.sentences.iter().find(|s| s.id == id).map(|s| (file, s)))
    }

    /// Parse the embedded data files and check that they are consistent with each other.
    pub fn load() -> Result<Spec, SpecError> {
        let mut kinds = Vec::new();
        for (name, text) in KIND_SOURCES {
            let mut kind: Kind = toml::from_str(text).map_err(|source| SpecError::Toml { file: name, source })?;
            kind.columns = kind.items.iter().enumerate().map(|(index, item)| (item.id.clone(), index)).collect();
            if kind.columns.len() != kind.items.len() {
                return Err(SpecError::Inconsistent(format!("{name} repeats an item id")));
            }
            kinds.push(kind);
        }
        let codes: BTreeMap<String, CodeList> = toml::from_str(include_str!("../../spec/codes.toml"))
            .map_err(|source| SpecError::Toml { file: "codes.toml", source })?;
        let units: UnitsFile = toml::from_str(include_str!("../../spec/units.toml"))
            .map_err(|source| SpecError::Toml { file: "units.toml", source })?;
        let annex_rows: AnnexRows = toml::from_str(include_str!("../../spec/annex.toml"))
            .map_err(|source| SpecError::Toml { file: "annex.toml", source })?;
        let versions: VersionsFile = toml::from_str(include_str!("../../spec/versions.toml"))
            .map_err(|source| SpecError::Toml { file: "versions.toml", source })?;
        let parties: Parties = toml::from_str(include_str!("../../spec/parties.toml"))
            .map_err(|source| SpecError::Toml { file: "parties.toml", source })?;
        let profiles: ProfilesFile = toml::from_str(include_str!("../../spec/profiles.toml"))
            .map_err(|source| SpecError::Toml { file: "profiles.toml", source })?;
        let kind_codes: Vec<String> = kinds.iter().map(|kind| kind.code.clone()).collect();
        let spec = Spec {
            sentences: sentences::Inventory::new(kind_codes),
            kinds,
            codes,
            units: units.unit,
            unit_months: units.months,
            annex_rows,
            versions: versions.version,
            parties,
            profiles: profiles.profile,
        };
        spec.check()?;
        Ok(spec)
    }

    fn check(&self) -> Result<(), SpecError> {
        let fail = |msg: String| Err(SpecError::Inconsistent(msg));
        for (name, _) in KIND_SOURCES {
            if self.kind(name).is_none() {
                return fail(format!("{name}.toml declares another code"));
            }
        }
        for code in [&self.unit_months.supplement, &self.unit_months.service] {
            if self.kind(code).is_none() {
                return fail(format!("units.toml [months] names unknown kind {code}"));
            }
        }
        for kind in &self.kinds {
            if let Some(id) = kind.record_key.iter().find(|id| kind.index_of(id).is_none()) {
                return fail(format!("{} names record key item {id}, which it does not have", kind.code));
            }
            if let Some(id) = kind.service_month.as_ref().filter(|id| kind.index_of(id).is_none()) {
                return fail(format!("{} names service month item {id}, which it does not have", kind.code));
            }
            for (index, item) in kind.items.iter().enumerate() {
                if usize::from(item.no) != index + 1 {
                    return fail(format!("{} item {} is out of order", kind.code, item.no));
                }
                if let Some(codes) = &item.codes {
                    if !self.codes.contains_key(codes) {
                        return fail(format!("{} No.{} names unknown code table {codes}", kind.code, item.no));
                    }
                }
                if let Some(id) = &item.assumption {
                    if assumptions::find(id).is_none() {
                        return fail(format!("{} No.{} names unknown assumption {id}", kind.code, item.no));
                    }
                }
                if let Some(when) = &item.filled_when {
                    if kind.index_of(&when.item).is_none() || when.values.is_empty() {
                        return fail(format!(
                            "{} No.{} is filled when {} holds {:?}, which is no item of the kind or no value",
                            kind.code, item.no, when.item, when.values
                        ));
                    }
                }
                if item.range.is_some_and(|[low, high]| low > high) {
                    return fail(format!(
                        "{} No.{} states a range whose lowest is above its highest",
                        kind.code, item.no
                    ));
                }
                if item.ty == ItemType::Code && item.codes.is_none() {
                    return fail(format!("{} No.{} is a code without a code table", kind.code, item.no));
                }
                let holds_text =
                    matches!(item.ty, ItemType::Text | ItemType::Tel | ItemType::Postal | ItemType::Insured);
                if holds_text && item.personal.is_none() {
                    return fail(format!(
                        "{} No.{} can hold personal data but says nothing of it (`personal`)",
                        kind.code, item.no
                    ));
                }
            }
        }
        let current: Vec<&str> =
            self.versions.iter().filter(|v| v.status == VersionStatus::Current).map(|v| v.value.as_str()).collect();
        if current.len() != 1 {
            return fail(format!("versions.toml must mark exactly one version current; it marks {current:?}"));
        }
        if let Some(v) = self.versions.iter().find(|v| crate::calendar::parse_month(&v.applies_from).is_none()) {
            return fail(format!("versions.toml: {} applies from '{}', not a YYYYMM", v.value, v.applies_from));
        }
        if let Some(kind) =
            self.codes("service_kind").and_then(|kinds| kinds.values.iter().find(|k| k.category_limit.is_none()))
        {
            return fail(format!(
                "codes.toml: service kind {} does not say whether it counts against the 区分支給限度 (category_limit)",
                kind.code
            ));
        }
        for (id, role) in &self.parties.roles {
            if let Some(code) = role.kinds.iter().find(|code| self.service_kind(code).is_none()) {
                return fail(format!("parties.toml role {id} names unknown service kind {code}"));
            }
            if !cites_a_source(&role.source) {
                return fail(format!("parties.toml role {id} cites no source"));
            }
        }
        for flow in &self.parties.flows {
            if let Some(kind) = flow.kinds.iter().find(|kind| self.kind(kind).is_none()) {
                return fail(format!("parties.toml names unknown kind {kind}"));
            }
            for pair in &flow.pairs {
                for role in [&pair.from, &pair.to] {
                    if !self.parties.roles.contains_key(role) {
                        return fail(format!("parties.toml pair names unknown role {role}"));
                    }
                }
                if !cites_a_source(&pair.source) {
                    return fail(format!("parties.toml pair {} → {} cites no source", pair.from, pair.to));
                }
            }
        }
        for (id, profile) in &self.profiles {
            if !cites_a_source(&profile.source) {
                return fail(format!("profiles.toml profile {id} cites no source"));
            }
            // A product must export only what its role sends.
            for kind in &profile.requires {
                if !self.parties.pairs(kind).any(|pair| pair.from == profile.role) {
                    return fail(format!(
                        "profiles.toml profile {id} requires {kind}, which its role {} does not send",
                        profile.role
                    ));
                }
            }
        }
        if let Some(kind) = self.kinds.iter().find(|kind| self.parties.pairs(&kind.code).next().is_none()) {
            return fail(format!("parties.toml says nothing of who sends {}", kind.code));
        }
        for unit in &self.units {
            for kind in unit.required.iter().chain(&unit.optional) {
                if self.kind(kind).is_none() {
                    return fail(format!("unit {} names unknown kind {kind}", unit.id));
                }
            }
            for link in &unit.links {
                if link.child_key.len() != link.parent_key.len() || link.child_key.len() > MAX_KEY_ITEMS {
                    return fail(format!(
                        "unit {} has a key of more than {MAX_KEY_ITEMS} items or of unequal lengths",
                        unit.id
                    ));
                }
                for (kind, key) in [(&link.child, &link.child_key), (&link.parent, &link.parent_key)] {
                    let Some(k) = self.kind(kind) else {
                        return fail(format!("unit {} links unknown kind {kind}", unit.id));
                    };
                    if let Some(missing) = key.iter().find(|id| k.index_of(id).is_none()) {
                        return fail(format!("unit {} key item {missing} is not in {kind}", unit.id));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn kind(&self, code: &str) -> Option<&Kind> {
        self.kinds.iter().find(|kind| kind.code == code)
    }

    pub fn codes(&self, name: &str) -> Option<&CodeList> {
        self.codes.get(name)
    }

    /// The サービス種類コード table entry for a kind code.
    pub fn service_kind(&self, code: &str) -> Option<&CodeValue> {
        self.codes("service_kind")?.get(code)
    }

    /// Whether a サービス種類コード's 給付管理単位数 may be counted at another rate than its billed units (A-7-OTHER-RATE).
    pub fn managed_at_other_rate(&self, service_kind: &str) -> bool {
        self.service_kind(service_kind).is_some_and(|k| k.managed_at_other_rate)
    }

    /// Whether a サービス種類コード stands outside the 区分支給限度基準額 (居宅療養管理指導 and the like): its 第7表
    /// rows have no AAAA subtotal and no 給付管理単位数. An unknown kind is not said to be outside.
    pub fn outside_category_limit(&self, service_kind: &str) -> bool {
        self.service_kind(service_kind).and_then(|k| k.category_limit) == Some(false)
    }

    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|unit| unit.id == id)
    }

    /// All CSV kinds whose records have exactly this many columns.
    /// The CSV kind a record's values fit: of the kinds with as many items as there are values, the one with the
    /// most values of their item's exact length (a YYYYMM against a date: 削除対象年月 vs 作成日); among kinds whose
    /// layouts fit alike, the one the spec data marks [`Kind::layout_default`].
    pub fn kind_of_record(&self, values: &[&str]) -> Option<&Kind> {
        let fits = |kind: &Kind| {
            kind.items.iter().zip(values).filter(|(item, value)| item.exact_len() == Some(value.len())).count()
        };
        let mut best: Option<((usize, bool), &Kind)> = None;
        for kind in self.kinds_with_columns(values.len()) {
            let score = (fits(kind), kind.layout_default);
            if best.is_none_or(|(top, _)| score > top) {
                best = Some((score, kind));
            }
        }
        best.map(|(_, kind)| kind)
    }

    pub fn kinds_with_columns(&self, columns: usize) -> impl Iterator<Item = &Kind> {
        self.kinds.iter().filter(move |kind| kind.is_csv() && kind.items.len() == columns)
    }
}

static SPEC: LazyLock<Spec> = LazyLock::new(|| match Spec::load() {
    Ok(spec) => spec,
    // The data is compiled in and `tests::embedded_spec_loads` proves it parses, so this cannot happen in a
    // released binary; there is no input that can reach it.
    Err(error) => panic!("embedded spec data is broken: {error}"),
});

/// The model, parsed once.
pub fn spec() -> &'static Spec {
    &SPEC
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_spec_loads() {
        let spec = Spec::load().map_err(|e| e.to_string());
        assert!(spec.is_ok(), "{spec:?}");
        let sentences =
            spec.as_ref().map(|spec| spec.sentences.load().map(|files| files.len()).map_err(|e| e.to_string()));
        assert!(matches!(sentences, Ok(Ok(files)) if files > 0), "{sentences:?}");
    }

    /// A second look at the `personal` marks, by the item names: a person's name, address, phone, birth date or
    /// insured number is marked personal unless the item is an office's; the loader already demands a mark.
    #[test]
    fn items_named_for_personal_data_are_marked_personal() {
        let mut checked = 0;
        for kind in &spec().kinds {
            for item in &kind.items {
                let personal_words = ["氏名", "住所", "電話", "Fax", "郵便番号", "生年月日", "被保険者番号", "医師"];
                let office_words = ["事業者", "事業所", "センター"];
                let named = personal_words.iter().any(|w| item.name.contains(w));
                let office = office_words.iter().any(|w| item.name.contains(w)) && !item.name.contains("担当者");
                if named && !office {
                    checked += 1;
                    assert!(
                        item.personal.is_some_and(Personal::is_personal),
                        "{} No.{} {} should be marked personal",
                        kind.code,
                        item.no,
                        item.name
                    );
                }
            }
        }
        assert!(checked > 40, "{checked} items checked");
    }

    /// Kinds that content alone cannot tell apart (the same width and exact lengths) name one default between
    /// them, so reading content never depends on the order kinds are listed in.
    #[test]
    fn kinds_sharing_a_layout_name_one_default() {
        let mut groups: BTreeMap<Vec<Option<usize>>, Vec<&Kind>> = BTreeMap::new();
        for kind in spec().kinds.iter().filter(|kind| kind.is_csv()) {
            groups.entry(kind.items.iter().map(Item::exact_len).collect()).or_default().push(kind);
        }
        for kinds in groups.values().filter(|kinds| kinds.len() > 1) {
            let codes: Vec<&str> = kinds.iter().map(|kind| kind.code.as_str()).collect();
            let defaults = kinds.iter().filter(|kind| kind.layout_default).count();
            assert_eq!(defaults, 1, "{codes:?} share a layout: exactly one is layout_default");
        }
        for kind in spec().kinds.iter().filter(|kind| kind.layout_default) {
            let shared = groups.values().any(|kinds| kinds.len() > 1 && kinds.iter().any(|k| k.code == kind.code));
            assert!(shared, "{} is layout_default but shares its layout with no kind", kind.code);
        }
    }

    #[test]
    fn a_record_is_read_as_the_kind_its_values_fit() {
        let kind = |values: &[&str]| spec().kind_of_record(values).map(|kind| kind.code.as_str());
        assert_eq!(kind(&["202407", "139017", "0241149189", "202505"]), Some("DLTPLAN"));
        assert_eq!(kind(&["202407", "139017", "0241149189", "20250425"]), Some("DLT1KYO"));
        let ticket = ["x"; 25];
        assert_eq!(kind(&ticket), Some("UPPLAN"));
        assert_eq!(kind(&["x"; 3]), None);
    }

    #[test]
    fn item_counts_match_the_spec_tables() {
        let expected = [
            ("UPHOSOKU", 63),
            ("UP1KYO", 28),
            ("UP2KYO", 22),
            ("UP3KYO", 13),
            ("UPPLAN", 25),
            ("UPJSK", 25),
            ("UPSIKYU", 37),
            ("DLT1KYO", 4),
            ("DLTPLAN", 4),
            ("DLTJSK", 6),
            ("UPKIHON", 71),
            ("UPKIHON_SUB1", 7),
            ("UPKIHON_SUB2", 11),
            ("UPYOBO", 57),
            ("UPYOBO_SUB", 17),
            ("DLTKIHON", 4),
            ("DLTYOBO", 4),
        ];
        for (code, count) in expected {
            assert_eq!(spec().kind(code).map(|k| k.items.len()), Some(count), "{code}");
        }
    }

    #[test]
    fn fixed_and_maximum_lengths_follow_the_length_assumption() {
        let plan = spec().kind("UPPLAN").map(|k| (k.item(5).cloned(), k.item(15).cloned(), k.item(8).cloned()));
        let Some((Some(month), Some(service_code), Some(units))) = plan else {
            panic!("UPPLAN items missing");
        };
        assert_eq!(month.exact_len(), Some(6));
        assert_eq!(service_code.exact_len(), Some(6));
        assert_eq!(units.exact_len(), None);
        assert_eq!(units.max_len(), Some(6));
    }

    #[test]
    fn uncovered_service_kinds_are_marked() {
        assert_eq!(spec().service_kind("33").and_then(|k| k.covered), Some(false));
        assert_eq!(spec().service_kind("11").and_then(|k| k.covered), Some(true));
        assert_eq!(spec().service_kind("2A").and_then(|k| k.covered), Some(true));
        // 居宅療養管理指導 is 連携対象 but outside the 区分支給限度; a short stay in a 特定施設 is inside it.
        assert!(spec().outside_category_limit("31") && spec().outside_category_limit("34"));
        assert!(!spec().outside_category_limit("11") && !spec().outside_category_limit("27"));
    }
}
