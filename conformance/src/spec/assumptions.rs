//! Every reading the project chose where the specification is ambiguous, contradicts itself or is silent, named once.
//! Items in `spec/kinds/*.toml` refer to these ids; rules cite them in their documentation. To correct an
//! assumption, change it here and in the rule or data that embodies it (listed in `embodied_by`).

use crate::i18n::Text;

#[derive(Debug)]
pub struct Assumption {
    pub id: &'static str,
    pub text: Text,
    /// the passage of the primary text (S1 本体 第4.1版 / S2 CSVファイルレイアウト定義書) the reading is of
    pub source: &'static str,
    /// the rules or data that implement it
    pub embodied_by: &'static [&'static str],
}

pub static ASSUMPTIONS: &[Assumption] = &[
    Assumption {
        id: "A-SJIS-ONLY",
        text: Text {
            ja: "標準仕様の文字コードは Shift_JIS（MS932）のみ。UTF-8 のファイルや BOM は読み込んで検査するが、適合性のエラーとする。",
            en: "The spec's encoding is Shift_JIS (MS932) only. UTF-8 files and BOMs are read and checked, but are a conformance error.",
        },
        source: "S1 §4.3 ファイルエンコード 「Shift-JIS（MS932）とし」; S2 every table 文字コード (a BOM and UTF-8 are not mentioned)",
        embodied_by: &["ENC002", "ENC003"],
    },
    Assumption {
        id: "A-MS932-EXTENSIONS",
        text: Text {
            ja: "NEC特殊文字（0x87xx）とIBM拡張文字（0xFA–0xFC, NEC選定IBM拡張 0xED–0xEE）は MS932 の範囲内なので許容するが、JIS X 0208 だけを扱う受信側で化けるため警告とし、置き換え候補を示す。外字（0xF040–0xF9FC）はエラー。",
            en: "NEC special (0x87xx) and IBM extension characters (0xFA-0xFC, NEC-selected 0xED-0xEE) are inside MS932 and allowed, but warned about because receivers limited to JIS X 0208 garble them; a replacement is suggested. User-defined characters (外字, 0xF040-0xF9FC) are errors.",
        },
        source: "S1 §4.3 「外字の利用は不可とし、外字や Shift-JIS（MS932）の文字セット外の文字が含まれる場合は Shift-JIS（MS932）の範囲内で有効な文字に変換すること」",
        embodied_by: &["ENC005", "ENC006"],
    },
    Assumption {
        id: "A-HALFWIDTH-KANA",
        text: Text {
            ja: "半角カナは MS932 の範囲内だが、受信側で全角に変換されることが多いため警告とする。",
            en: "Half-width katakana are inside MS932 but are commonly converted by receivers, so they are warned about.",
        },
        source: "not in either source (S1 §4.3 allows every MS932 character); usual practice in 介護 data exchange",
        embodied_by: &["ENC007"],
    },
    Assumption {
        id: "A-CRLF",
        text: Text {
            ja: "改行コードは CRLF。LF だけの改行も読み込むが警告とする。",
            en: "Line ending is CRLF. LF-only line endings are read but warned about.",
        },
        source: "not in either source: S1 §4.2 says only 「CSV（,）とする」",
        embodied_by: &["ENC009", "codec::write"],
    },
    Assumption {
        id: "A-QUOTING",
        text: Text {
            ja: "フリーテキスト項目は常に \"\" で囲んで出力する（空でも \"\"）。それ以外の項目は囲まずに出力し、囲まれていても読み込む。",
            en: "Free-text items are always written quoted (\"\" when empty); other items are written unquoted and accepted quoted.",
        },
        source: "S2 footnote of every table 「※フリーテキストは\"\"（半角）で囲い、改行、半角カンマ（,）は削除しない」 (other items are not mentioned)",
        embodied_by: &["CSV007", "codec::write"],
    },
    Assumption {
        id: "A-NO-HEADER",
        text: Text {
            ja: "見出し行はない。すべての行がデータ行で、先頭項目は CSVバージョン。",
            en: "There is no header row: every line is a data record whose first item is the CSVバージョン.",
        },
        source: "not stated in either source; S2 居宅サービス計画2表(データ配置例) and the 別表 examples show data rows only",
        embodied_by: &["CSV006"],
    },
    Assumption {
        id: "A-LENGTH",
        text: Text {
            ja: "項目長は文字数の上限。年月・年月日・時刻・事業所番号・保険者番号・被保険者番号・サービスコード・日割対象日・CSVバージョンは項目長ちょうどの長さが必要。",
            en: "項目長 is a maximum number of characters; year-months, dates, times, office, insurer and insured numbers, service codes, 日割対象日 and the CSVバージョン must have exactly that length.",
        },
        source: "S2 every table 項目長 column (what the length counts is not stated)",
        embodied_by: &["FLD004", "FLD005"],
    },
    Assumption {
        id: "A-REQ-LIKELY",
        text: Text {
            ja: "原資料で必須の○の位置が読み取りにくい項目（(○)）は、空欄を警告とする。",
            en: "Items whose 必須 mark is the most likely reading of a garbled source ((○)) give a warning when empty.",
        },
        source: "S2 利用者補足情報, 第6表 and 第7表 必須 column (marks whose row cannot be told in the extraction)",
        embodied_by: &["FLD002"],
    },
    Assumption {
        id: "A-CSV-VERSION",
        text: Text {
            ja: "CSVバージョンは 202407 を受け付ける。202504 は旧表記（第4.0版）として警告、表にない値（例 202410）はエラー、第3版以前の値: レコードが第4.1版のレイアウト（ファイル名の種別の項目数）で、ファイル名の対象年月がその版の適用期間にないなら、値の誤りとしてエラー（FLD022）。項目数が違うか、対象年月がその版の適用期間（例 202208 なら2025年3月以前）にあるファイルは、当時の仕様で正しいことがあるが、このツールはその版のレイアウトを知らないため、内容を検査せず「検査していない」と警告する（CSV012）。そのうえでファイル名の対象年月が新しい版の適用開始年月以降ならエラー（CSV011）。",
            en: "CSVバージョン 202407 is accepted; 202504 (first issue of v4.0) is a deprecated alias (warning); values not in the history table (e.g. 202410) are errors; a value of an edition before v4 on records of the v4.1 layout (the name's kind's item count) whose file name's month is outside that edition's period is a wrong value (error, FLD022). A file whose records have another item count, or whose name's month falls in that edition's period (before 2025-04 for 202208), may be right under the spec of its day, but this tool does not know that edition's layouts: its content is not checked and a warning says so (CSV012); it is an error when the name's month is on or after a later edition's first month (CSV011).",
        },
        source: "S2 【CSVバージョン履歴】; S1 更新履歴 No.4.0 (202504) and No.4.1 (202407 「版数を 4.0 版発出月に変更」)",
        embodied_by: &["FLD020", "FLD021", "FLD022", "CSV011", "CSV012"],
    },
    Assumption {
        id: "A-TIME-2400",
        text: Text {
            ja: "時刻は 0000〜2359。第3表の様式は24:00まであるため 2400 は警告で受け付ける。",
            en: "Times run 0000-2359; the 第3表 grid runs to 24:00, so 2400 is accepted with a warning.",
        },
        source: "S2 第3表 No.8・9, No.11・12 書式 HHMM and the 週間サービス計画表 grid (0:00 … 24:00)",
        embodied_by: &["FLD008", "FLD009"],
    },
    Assumption {
        id: "A-OVERNIGHT",
        text: Text {
            ja: "開始時刻が終了時刻より後の行は日をまたぐサービスの可能性があるため、エラーではなく警告とする。",
            en: "A start time after the end time may be an overnight service, so it is a warning, not an error.",
        },
        source: "not stated in the spec",
        embodied_by: &["REC003"],
    },
    Assumption {
        id: "A-TAIS-HYPHEN",
        text: Text {
            ja: "TAISコード・福祉用具届出コードは数字5桁・ハイフン・数字6桁。仕様書は同じ項目に「英数字・項目長 12」と全角ハイフンの例「例:00001－000010」を示し、互いに食い違う。例のとおりに書いた値を拒否すると、仕様に従った出力を誤りとすることになるため、全角ハイフン（U+FF0D、JIS 系の変換では U+2212）は警告（FLD023）とし、半角ハイフンを勧める。桁の形が違えばエラー（FLD019）。",
            en: "TAIS and 福祉用具届出 codes are 5 digits, a hyphen, 6 digits. The spec gives the item both 英数字 of length 12 and the example 「例:00001－000010」 with a full-width hyphen, which contradict each other. Refusing a value written as the example would call output that follows the spec wrong, so the full-width hyphen (U+FF0D, or U+2212 from JIS-mapping converters) is a warning (FLD023) recommending the ASCII hyphen; a wrong shape of digits stays an error (FLD019).",
        },
        source: "S2 第6表 No.16・17, 第7表 No.10・11 「例:00001－000010」 and 項目長 12",
        embodied_by: &["FLD019", "FLD023"],
    },
    Assumption {
        id: "A-LEN-6-19",
        text: Text {
            ja: "第6表 No.19 明細判別コードの項目長は判読できないため 2 とし、超過は警告とする。",
            en: "第6表 No.19 明細判別コード has no legible length; 2 is assumed and exceeding it is a warning.",
        },
        source: "S2 第6表 No.19 明細判別コード (its 項目長 cell is empty in the extraction)",
        embodied_by: &["FLD018"],
    },
    Assumption {
        id: "A-LEN-7-17",
        text: Text {
            ja: "第7表 No.17 サービス単位金額は項目長 5 と読めるが疑わしいため、超過は警告とする。",
            en: "第7表 No.17 reads as length 5 but is doubtful; exceeding it is a warning.",
        },
        source: "S2 第7表 No.17 サービス単位金額 (its 項目長 cell cannot be told in the extraction)",
        embodied_by: &["FLD018"],
    },
    Assumption {
        id: "A-LEN-7-30",
        text: Text {
            ja: "第7表 No.30 前月までの利用日数は第3.2版の改訂どおり 5 桁まで受け付ける。",
            en: "第7表 No.30 accepts up to 5 digits, per the v3.2 revision.",
        },
        source: "S1 更新履歴 No.3.2 「第７表№27「前月までの利用日数」の項目長を「２」から「５」へとする修正」 (No.30 in 第4.1版)",
        embodied_by: &["FLD004"],
    },
    Assumption {
        id: "A-7-34-36",
        text: Text {
            ja: "第7表 No.34〜36 は書式の対応が確定できないため「10桁の数字または空欄」だけを検査する。",
            en: "第7表 No.34-36 are checked only as \"10 digits or empty\", since their formats cannot be assigned with certainty.",
        },
        source: "S2 第7表 No.34–36 (事業所コード, 入力者コード, 更新業者コード: their 書式 cells cannot be assigned with certainty in the extraction)",
        embodied_by: &["FLD011"],
    },
    Assumption {
        id: "A-2KYO-HIERARCHY",
        text: Text {
            ja: "第2表の課題NO・援助目標NO・援助内容NOは必須の印がないが、並び順に必要なため空欄は警告、重複はエラーとする。",
            en: "第2表's three hierarchy numbers are not marked required but the print order needs them: empty is a warning, a repeated triple is an error.",
        },
        source: "S2 第2表 No.6, No.8, No.13 (no 必須 mark) and 居宅サービス計画2表(データ配置例)",
        embodied_by: &["REC005", "FIL003"],
    },
    Assumption {
        id: "A-YOBO-MARKS",
        text: Text {
            ja: "介護予防の様式には「必須」「必要」の2列があり、片方だけに印がある項目は警告扱いとする。",
            en: "The 介護予防 layouts have two mark columns (必須, 必要); items marked in only one of them are treated as likely required (warning).",
        },
        source: "S2 利用者基本情報, 介護予防サービス・支援計画書 and their 別表: the two mark columns 必須 and 必要",
        embodied_by: &["FLD002"],
    },
    Assumption {
        id: "A-FILE-NAME",
        text: Text {
            ja: "ファイル名の拡張子は大文字小文字を区別せず照合し、小文字は警告。実績（UPJSK/DLTJSK）も送信元の種類コードを先に書く（仕様書の例は逆）。",
            en: "The extension is matched case-insensitively and lower case is warned about. UPJSK/DLTJSK names also put the sender's own kind first (the spec's example swaps them).",
        },
        source: "S2 ファイル名規約 「….CSV」 of every table; 利用者基本情報 No.62 命名規則 「….jpg」 with the example 「…_0001.JPG」; S2 第6表（実績） ファイル名規約 例",
        embodied_by: &["NAM001", "NAM002", "NAM007"],
    },
    Assumption {
        id: "A-7-CALC",
        text: Text {
            ja: "第7表の再計算: 明細行 サービス単位金額＝(割引後単位数または単位数)×回数、種類ごとの集計行（小計、明細が1行ならその行）で 費用総額＝基準内単位数×単位数単価（円未満切捨て）、保険請求額＝費用総額×給付率÷100（切捨て）、利用者負担（保険対象分）＝費用総額−保険請求額、利用者負担（全額負担分）＝基準を超える単位数×単位数単価（切捨て）、全合計の区分支給限度基準を超える単位数＝max(0, 給付管理単位数の合計−区分支給限度基準額)。これらは様式の定義なので不一致はエラー。減算の負の単位数も符号どおりに計算する。小計＝明細の合計、全合計＝集計行の合計、第6表との回数の一致は、限度額管理対象外のコードや月単位のコードがサービスコード表（標準仕様の外）で決まるため警告。",
            en: "第7表 is recomputed as: detail サービス単位金額 = (discounted units or units) × count; on each kind's summary row (the AAAA subtotal, or the single detail row) cost = within-limit units × unit price (yen, rounded down), claim = cost × benefit rate / 100 (rounded down), user share = cost − claim, full-pay share = over-limit units × unit price (rounded down); the 全合計's over-limit units = max(0, total managed units − 区分支給限度基準額). These are the form's definitions: a mismatch is an error. Negative 減算 units count with their sign. Subtotal = sum of details, grand total = sum of summaries, and the 第6表 count agreement stay warnings, because which codes are outside the limit or counted per month is set by the service-code table, outside the spec.",
        },
        source: "S2 第7表 No.13–29 and the 別表 form; the calculation itself is the form's, not spelled out in S2",
        embodied_by: &["FIL007", "FIL008", "FIL009", "FIL010", "SET005", "SET006"],
    },
    Assumption {
        id: "A-7-OUTSIDE-LIMIT",
        text: Text {
            ja: "処遇改善加算など区分支給限度額の管理対象外のサービスコードは、明細に並んでも区分支給対象の小計（AAAA）には入らず、区分支給対象外の小計（EEEE、任意出力）として別に集計され、全合計でだけ合わさる。対象外の明細は給付管理単位数が空欄（No.18）で見分け、どの明細も空欄（No.18 の例外）のときは同じ事業所・種類の EEEE 行のサービス単位金額を対象外の額とする。どのコードが対象外かはサービスコード表で決まり標準仕様にないため、小計と明細の合計の不一致は警告にとどめる。",
            en: "Codes outside the benefit limit (処遇改善加算 etc.) may stand among the details but stay out of the AAAA subtotal; they are summed apart (EEEE, optional) and join the limit-managed rows only in the 全合計. A detail outside the limit is told by its empty 給付管理単位数 (No.18); when every detail leaves it empty (No.18's exception), the same office and kind's EEEE row gives the amount outside. Which codes those are is set by the service-code table, not the spec, so a subtotal that differs from the details' sum is only a warning.",
        },
        source: "S2 第7表 No.9 書式 (AAAA / EEEE), No.18 「区分支給限度外のサービスの場合はNull（空） 固定」",
        embodied_by: &["FIL008"],
    },
    Assumption {
        id: "A-7-TYPE-LIMIT",
        text: Text {
            ja: "種類支給限度基準が設定された種類では、給付管理単位数をまず種類支給限度で分け（種類支給限度基準を超える単位数＋種類支給限度基準内単位数＝給付管理単位数）、区分支給限度はその基準内単位数に対して分ける。この順序は別表の記載要領によるもので二つの出典には書かれていないため、種類支給限度基準内単位数が記載された行では、区分の超過分＋基準内が種類支給限度基準内単位数と給付管理単位数のどちらかに一致すればよいとする。",
            en: "Where a 種類支給限度 is set, the managed units are first split at the type limit (type over + type within = managed), and the 区分 limit splits the type-within units. This order comes from the 別表's 記載要領, not from either source, so on a row with 種類支給限度基準内単位数 the 区分 over + within may equal either the type-within or the managed units.",
        },
        source: "S2 第7表 No.18 給付管理単位数, No.19 種類支給限度基準を超える単位数, No.20 種類支給限度基準内単位数, No.21, No.22; S2 利用者補足情報 No.20–55 (種類支給限度の枠)",
        embodied_by: &["FIL010", "FIL013", "FIL014", "SET006"],
    },
    Assumption {
        id: "A-LIMIT-KINDS",
        text: Text {
            ja: "区分支給限度基準額の対象外のサービス種類（居宅療養管理指導 31・34 など）は、第7表に区分支給対象の小計（AAAA）を持たず、その明細の給付管理単位数は空欄（No.18「区分支給限度外のサービスの場合はNull（空） 固定」）、小計は区分支給対象外の種類別小計（EEEE、任意出力）になる。どの種類が対象外かは二つの出典になく、介護保険法第43条・第55条の居宅サービス等区分・介護予防サービス等区分による（spec/codes.toml の category_limit）。出典の外の知識なので、これだけを根拠にエラーとはしない: AAAA を求めないこと、EEEE か明細を全合計に数えることに使い、給付管理単位数の記載は警告（REC013）。",
            en: "A service kind outside the 区分支給限度基準額 (居宅療養管理指導 31 and 34, …) has no 区分支給対象 subtotal (AAAA) in 第7表: its details leave 給付管理単位数 empty (No.18 「区分支給限度外のサービスの場合はNull（空） 固定」) and its subtotal is the 区分支給対象外 one (EEEE, optional). Which kinds are outside is in neither source but in the 居宅サービス等区分 / 介護予防サービス等区分 of 介護保険法 §43 and §55 (spec/codes.toml `category_limit`). Being outside knowledge, it never makes an error alone: it lifts the AAAA requirement, counts the EEEE row (or the details) in the 全合計, and a 給付管理単位数 written on such a kind is a warning (REC013).",
        },
        source: "S2 第7表 No.9 書式 (AAAA 「サービスコードが複数行の場合は必須」 / EEEE 「任意出力」), No.18; 介護保険法第43条・第55条 (居宅サービス等区分・介護予防サービス等区分)",
        embodied_by: &["FIL006", "FIL009", "REC013"],
    },
    Assumption {
        id: "A-7-OTHER-RATE",
        text: Text {
            ja: "大規模型通所系サービス（通所介護 15、通所リハビリテーション 16）と、小多機・看多機（73、75、77）の同一建物に居住する者のサービスでは、区分支給限度に数える給付管理単位数が請求する単位数と異なる率（通常規模型・同一建物以外）で数えられる（No.18 の但し書きがこれらのサービスを含む場合を別扱いにしている）。その数え方と、区分支給限度基準を超える単位数・基準内単位数への分け方は別表の記載要領によるもので二つの出典にないため、これらの種類の集計行では、超過のない行の「超える単位数＋基準内単位数」は給付管理単位数とサービス単位金額（請求単位数）のどちらに一致してもよく、超過のある行の分け方は判定しない（FIL013）。小計の給付管理単位数は明細のサービス単位金額の合計と明細の給付管理単位数の合計のどちらに一致してもよい（FIL008）。",
            en: "For 大規模型 通所系 services (通所介護 15, 通所リハビリテーション 16) and for 小多機 / 看多機 (73, 75, 77) residents of the same building, the 給付管理単位数 counted against the limit is at another rate (通常規模型 / 同一建物以外) than the units billed (No.18's proviso treats files containing these services apart). How they are counted and split into over- and within-limit units comes from the 別表's 記載要領, in neither source, so on these kinds' summary rows with nothing over the limit, over + within may equal either the managed units or the サービス単位金額 (the billed units), and a row over the limit is not judged (FIL013); a subtotal's managed units may equal either the sum of its details' amounts or of their managed units (FIL008).",
        },
        source: "S2 第7表 No.18 「但し、大規模型通所系サービス、および小多機、看多機の同一建物に居住する者のサービスが含まれない場合は、出力側のシステム仕様に準じて給付管理単位数、またはNullを選択可能とする。」",
        embodied_by: &["FIL008", "FIL013"],
    },
    Assumption {
        id: "A-7-FIXED-COPAY",
        text: Text {
            ja: "定額利用者負担単価金額（No.27）のある種類は、利用者負担が定額（単価×回数）で、保険請求額は費用総額から定額負担を引いた額になり、費用総額×給付率にはならない。その計算は二つの出典に書かれていないため、この種類では保険請求額を給付率から再計算せず、利用者負担＝費用総額−保険請求額だけを検査する。",
            en: "A kind with a 定額利用者負担単価金額 (No.27) has a fixed user share (unit amount × count), so its claim is the cost less that share, not cost × benefit rate. Neither source spells this out, so for such a kind the claim is not recomputed from the benefit rate; only user share = cost − claim is checked.",
        },
        source: "S2 第7表 No.27 定額利用者負担単価金額, No.24–28",
        embodied_by: &["FIL010"],
    },
    Assumption {
        id: "A-7-DISCOUNT",
        text: Text {
            ja: "割引後単位数＝単位数×割引後率÷100 を1単位未満四捨五入で求める。端数処理は標準仕様に書かれていないため、不一致は警告。",
            en: "Discounted units = units × 割引後率 / 100, rounded half up. The spec does not state the rounding, so a mismatch is a warning.",
        },
        source: "S2 第7表 No.14–15 (no rounding stated)",
        embodied_by: &["FIL011"],
    },
    Assumption {
        id: "A-FREE-TEXT-EMPTY",
        text: Text {
            ja: "フリーテキストは \"\" で囲むのが仕様（エラー）。ただし空の値を囲まずに ,, と書くことは、仕様の文が値のあるテキストについて述べていると読み、指摘しない。",
            en: "Free text must be quoted (an error when it is not). An empty value written as ,, is not reported: the footnote is read as speaking of text that is there.",
        },
        source: "S2 footnote of every table 「フリーテキストは\"\"（半角）で囲い」",
        embodied_by: &["CSV007"],
    },
    Assumption {
        id: "A-JSK-EXAMPLE-KINDS",
        text: Text {
            ja: "レイアウト定義書の実績・実績削除のファイル名の例（UPJSK_201912_0300000005_43_0300000100_11_… / DLTJSK_…）は、送信元のサービス事業所の種類を 43、送信先の居宅介護支援事業所を 11 と書いており、ファイル名規約の本文（送信元のサービス種類が先）と食い違う。本文に従い、この例は誤り（NAM007）と判定する。",
            en: "The layout's example names for actuals (UPJSK_201912_0300000005_43_0300000100_11_… and DLTJSK_…) give the sending provider kind 43 and the receiving care manager 11, against the naming rule's text (the sender's own kind first). The rule text is followed: the example is judged wrong (NAM007).",
        },
        source: "S2 第6表（実績）・実績削除 ファイル名規約 例",
        embodied_by: &["NAM007", "fixtures::spec-examples"],
    },
    Assumption {
        id: "A-ONE-KIND-PER-FILE",
        text: Text {
            ja: "第4版からは実績ファイルは事業所番号＋サービス種類ごとに作る（ファイル作成単位、§5.1.2.1「サービス種類コード＋事業所番号毎にまとめ送信する」、ファイル名に送信元のサービス種類）。§5.1.2.1 の図は訪問介護と福祉用具貸与の実績を1つのファイルに描き、「複数サービスを1ファイルで送信していた場合」と書くが、これはファイル名に種類を持たなかった第3版までの送り方の説明と読み、第4.1版の規則に従う。",
            en: "From v4 on, an actuals file is made per office number + service kind (ファイル作成単位; §5.1.2.1 「サービス種類コード＋事業所番号毎にまとめ送信する」; the sender's kind in the name). The §5.1.2.1 figure draws 訪問介護 and 福祉用具貸与 actuals in one file and says 「複数サービスを1ファイルで送信していた場合」; that is read as describing the practice before v4, whose names had no kind, and the v4.1 rule is followed.",
        },
        source: "S1 §5.1.2.1 (text and figure); S2 第6表 ファイル作成単位",
        embodied_by: &["NAM008"],
    },
    Assumption {
        id: "A-KIND-FROM-NAME",
        text: Text {
            ja: "ファイル種別はファイル名の接頭辞（名前の他の部分が誤っていても）か `--kind` で決める。どちらもないときは項目数から推定せず、項目の検査を行わない（CSV009）。",
            en: "The kind comes from the file name's prefix (even when the rest of the name is malformed) or from `--kind`. With neither, it is not guessed from the item count and no item is checked (CSV009).",
        },
        source: "S2 ファイル名規約 (the prefix is the only place the spec names a file's kind)",
        embodied_by: &["CSV009"],
    },
    Assumption {
        id: "A-EXAMPLES-ILLUSTRATE",
        text: Text {
            ja: "レイアウト定義書のデータ配置例・別表の例は帳票のイメージを示すもの（「レコード内容は帳票出力時のイメージで表現している。(実データ上はコード値とする)」）で、値は規則どおりではない: CSVバージョン 201910・202404、9桁の被保険者番号、「12:00」形式の時刻、6桁の相談日、「H12年10月」など。例の並び（どの項目に何が入るか、1行目と2行目の関係）は仕様として読み、値の形は各項目の書式に従って判定する。spec-examples の各例の期待する指摘はこの読み方による。",
            en: "The layout's data-placement examples and annex examples picture the printed form (「レコード内容は帳票出力時のイメージで表現している。(実データ上はコード値とする)」); their values do not follow the rules: CSVバージョン 201910 and 202404, 9-digit 被保険者番号, times as 12:00, 6-digit 相談日, 「H12年10月」. The examples' arrangement (which item holds what, how rows relate) is read as the spec; value shapes are judged by each item's 書式. The expected findings of every spec example follow this reading.",
        },
        source: "S2 居宅サービス計画2表・3表(データ配置例), (補足)別表の構成について",
        embodied_by: &["fixtures::spec-examples"],
    },
    Assumption {
        id: "A-UPKIHON-NAME",
        text: Text {
            ja: "本体 §3.4 の例は利用者基本情報を UPKIHON_000000_… と年月付きで書くが、レイアウト定義書のファイル名規約と例（UPKIHON_0300000100_43_…）には年月がない。レイアウト定義書（ファイル名規約の定義そのもの）に従い、年月のない名前を正しいとし、§3.4 の例の形は NAM001 とする。",
            en: "S1 §3.4 writes the basic-information file as UPKIHON_000000_… with a month; the layout's naming rule and example (UPKIHON_0300000100_43_…) have none. The layout, which defines the naming, is followed: the name without a month is correct and the §3.4 form is NAM001.",
        },
        source: "S1 §3.4 例; S2 利用者基本情報 ファイル名規約",
        embodied_by: &["NAM001", "fixtures::spec-examples"],
    },
    Assumption {
        id: "A-RENTAL-67",
        text: Text {
            ja: "第6表 No.19 明細判別コードの「「17:福祉用具貸与」以外の場合は「Null（空）」とする」は 17 だけを挙げるが、介護予防福祉用具貸与（67）も同じ福祉用具貸与で、同じ用具が複数ある明細を番号で分ける必要は同じである。67 の行の明細判別コードは拒否しない（REC014 は 17 と 67 以外の行だけを誤りとする）。",
            en: "第6表 No.19's 「「17:福祉用具貸与」以外の場合は「Null（空）」とする」 names only 17, but 介護予防福祉用具貸与 (67) is the same rental and needs the same numbering of identical items; a 明細判別コード on a 67 row is not refused (REC014 reports rows of kinds other than 17 and 67).",
        },
        source: "S2 第6表 No.19 明細判別コード",
        embodied_by: &["REC014"],
    },
    Assumption {
        id: "A-ANNEX-PRINCIPLE",
        text: Text {
            ja: "利用者基本情報の別表1・別表2と、介護予防サービス・支援計画書の別表は「1ファイルに対して1ファイル…を原則とする」と書かれる。「原則」の語は例外を思わせるが、S1 §3.3（別表を合わせて送付する）と §3.4（送信単位）が同じことを例外なく定めているため、送信単位に別表がない（SET001）・同じ別表が二つある（SET008）はエラーとする。",
            en: "The annexes of 利用者基本情報 (別表1, 別表2) and of the 介護予防サービス・支援計画書 say 「1ファイルに対して1ファイル…を原則とする」. 「原則」 suggests exceptions, but S1 §3.3 (the annexes are sent along) and §3.4 (the send units) state the same without any, so a unit without its annex (SET001) or with two of one (SET008) is an error.",
        },
        source: "S2 利用者基本情報（別表1）（別表2）・支援計画書（別表） (補足)別表の構成について; S1 §3.3, §3.4",
        embodied_by: &["SET001", "SET008"],
    },
    Assumption {
        id: "A-EXAMPLE-NAMES",
        text: Text {
            ja: "S1 §2.4・§3.4 の例のファイル名は送信元事業所番号が9桁（123456789）、§2.5・§3.5 の例の連番は15桁で、S2 のファイル名規約（事業所番号 10 桁、YYYYMMDDHHMMSS 14 桁）と食い違う。規約は文で定められ例は誤植と読めるため、規約に従い、例の形の名前は NAM001 とする。",
            en: "The example file names of S1 §2.4 and §3.4 have a 9-digit sender office (123456789) and the examples of §2.5 and §3.5 a 15-digit serial, against S2's naming rule (office number 10 digits, YYYYMMDDHHMMSS 14 digits). The rule is stated in words and the examples read as typos, so the rule is followed and a name of the examples' form is NAM001.",
        },
        source: "S1 §2.4 例, §2.5 例, §3.4 例, §3.5 例; S2 ファイル名規約",
        embodied_by: &["NAM001"],
    },
    Assumption {
        id: "A-END-TIME-PAIR",
        text: Text {
            ja: "第6表 No.13 サービス終了時刻の「※サービス開始時刻と同様」は、時間表示の無いサービスの 9999 を開始と終了の両方に書く（どちらか一方だけではない）と読む。明文ではないため、片方だけが 9999 の行は警告（REC017）。",
            en: "第6表 No.13's 「※サービス開始時刻と同様」 is read as: a service without a time display writes 9999 in both the start and the end time, not in one of them. Not stated in so many words, so a row with only one 9999 is a warning (REC017).",
        },
        source: "S2 第6表 No.12 「時間表示の無いサービス：9999」, No.13 「※サービス開始時刻と同様」",
        embodied_by: &["REC017"],
    },
    Assumption {
        id: "A-YSUB-ITEMS",
        text: Text {
            ja: "介護予防サービス・支援計画書（別表）の「課題の入力について、NO以外の項目は最初の行のみに内容を記載して2回目以降は空欄とする」の課題の項目は No.6〜9、「支援計画の入力について…」の支援計画の項目は No.11〜13 と、項目の並びと記載例から読む。記載例の下の文なので、違反は警告（FIL015）。",
            en: "In the 介護予防サービス・支援計画書 annex, 「課題の入力について、NO以外の項目は最初の行のみに内容を記載して2回目以降は空欄とする」 is read as the 課題 items No.6–9 and the matching 支援計画 sentence as No.11–13, from the item order and the example. The sentences stand under the 記載例, so a repeat is a warning (FIL015).",
        },
        source: "S2 介護予防サービス・支援計画書（別表）支援計画 記載例",
        embodied_by: &["FIL015"],
    },
    Assumption {
        id: "A-FORWARD-WITH-PLAN",
        text: Text {
            ja: "S1 §5.2.2.1「委託元の地域包括支援センターへ実績表を送信する場合は、…実績票に予定情報を付けて共有する」の「予定情報を付けて」が、予定（UPPLAN）を別のファイル・別の送付で送ることか、実績のファイルに予定を並べることかは書かれておらず、§3.4 の送信単位に予定と実績の組はない。そのため、委託を受けた居宅介護支援事業所（43）から地域包括支援センター（46）への実績は、送る向きを受け付け（NAM007）、複数のサービス種類を含むことを許し（NAM008 の対象外）、予定が付いているかは判定しない。",
            en: "In S1 §5.2.2.1 「…実績票に予定情報を付けて共有する」 (actuals an entrusted office forwards to its 地域包括支援センター), whether 「予定情報を付けて」 means the 予定 (UPPLAN) in a file and send of its own or 予定 rows in the actuals file is not written, and §3.4 has no send unit of 予定 with 実績. So actuals from an entrusted 43 to its 46 are accepted in that direction (NAM007), may hold several service kinds (outside NAM008), and whether a 予定 goes with them is not judged.",
        },
        source: "S1 §5.2.2.1 実績票作成・更新時; S1 §3.4 インターフェースファイルの送信単位について",
        embodied_by: &["NAM008"],
    },
];

pub fn find(id: &str) -> Option<&'static Assumption> {
    ASSUMPTIONS.iter().find(|a| a.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule an assumption names cites it back, and every cited assumption names the rule.
    #[test]
    fn assumptions_and_rules_point_at_each_other() {
        for assumption in ASSUMPTIONS {
            for code in assumption.embodied_by.iter().filter(|c| !c.contains("::")) {
                let rule = crate::rules::find(code);
                assert!(rule.is_some(), "{} names unknown rule {code}", assumption.id);
                let cites = rule.is_some_and(|r| r.meta.assumptions.contains(&assumption.id));
                assert!(cites, "{code} does not cite {}", assumption.id);
            }
        }
        for rule in crate::rules::all() {
            for id in rule.meta.assumptions {
                let named = find(id).is_some_and(|a| a.embodied_by.contains(&rule.meta.code));
                assert!(named, "{} cites {id}, which does not name it", rule.meta.code);
            }
        }
    }
}
