//! Every place where `../shared/spec/` says "assumption", "inferred" or gives a validator suggestion, named once.
//! Items in `spec/kinds/*.toml` refer to these ids; rules cite them in their documentation. To correct an
//! assumption, change it here and in the rule or data that embodies it (listed in `embodied_by`).

use crate::i18n::Text;

#[derive(Debug)]
pub struct Assumption {
    pub id: &'static str,
    pub text: Text,
    /// where in `../shared/spec/` the assumption or suggestion is stated
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
        source: "README.md §4 (BOM row)",
        embodied_by: &["ENC002", "ENC003"],
    },
    Assumption {
        id: "A-MS932-EXTENSIONS",
        text: Text {
            ja: "NEC特殊文字（0x87xx）とIBM拡張文字（0xFA–0xFC, NEC選定IBM拡張 0xED–0xEE）は MS932 の範囲内なので許容するが、JIS X 0208 だけを扱う受信側で化けるため警告とし、置き換え候補を示す。外字（0xF040–0xF9FC）はエラー。",
            en: "NEC special (0x87xx) and IBM extension characters (0xFA-0xFC, NEC-selected 0xED-0xEE) are inside MS932 and allowed, but warned about because receivers limited to JIS X 0208 garble them; a replacement is suggested. User-defined characters (外字, 0xF040-0xF9FC) are errors.",
        },
        source: "README.md §4 (外字 paragraph)",
        embodied_by: &["ENC005", "ENC006"],
    },
    Assumption {
        id: "A-HALFWIDTH-KANA",
        text: Text {
            ja: "半角カナは MS932 の範囲内だが、受信側で全角に変換されることが多いため警告とする。",
            en: "Half-width katakana are inside MS932 but are commonly converted by receivers, so they are warned about.",
        },
        source: "not in the spec; usual practice in 介護 data exchange",
        embodied_by: &["ENC007"],
    },
    Assumption {
        id: "A-CRLF",
        text: Text {
            ja: "改行コードは CRLF。LF だけの改行も読み込むが警告とする。",
            en: "Line ending is CRLF. LF-only line endings are read but warned about.",
        },
        source: "README.md §4 (line ending)",
        embodied_by: &["ENC009", "codec::write"],
    },
    Assumption {
        id: "A-QUOTING",
        text: Text {
            ja: "フリーテキスト項目は常に \"\" で囲んで出力する（空でも \"\"）。それ以外の項目は囲まずに出力し、囲まれていても読み込む。",
            en: "Free-text items are always written quoted (\"\" when empty); other items are written unquoted and accepted quoted.",
        },
        source: "README.md §4 (quoting rows)",
        embodied_by: &["CSV007", "codec::write"],
    },
    Assumption {
        id: "A-NO-HEADER",
        text: Text {
            ja: "見出し行はない。すべての行がデータ行で、先頭項目は CSVバージョン。",
            en: "There is no header row: every line is a data record whose first item is the CSVバージョン.",
        },
        source: "README.md §4 (header row, inferred with high confidence)",
        embodied_by: &["CSV006"],
    },
    Assumption {
        id: "A-LENGTH",
        text: Text {
            ja: "項目長は文字数の上限。年月・年月日・時刻・事業所番号・保険者番号・被保険者番号・サービスコード・日割対象日・CSVバージョンは項目長ちょうどの長さが必要。",
            en: "項目長 is a maximum number of characters; year-months, dates, times, office, insurer and insured numbers, service codes, 日割対象日 and the CSVバージョン must have exactly that length.",
        },
        source: "README.md §7 (length semantics)",
        embodied_by: &["FLD004", "FLD005"],
    },
    Assumption {
        id: "A-REQ-LIKELY",
        text: Text {
            ja: "原資料で必須の○の位置が読み取りにくい項目（(○)）は、空欄を警告とする。",
            en: "Items whose 必須 mark is the most likely reading of a garbled source ((○)) give a warning when empty.",
        },
        source: "user-supplement.md note A; table6.md 必須 note; table7.md note B",
        embodied_by: &["FLD002"],
    },
    Assumption {
        id: "A-CSV-VERSION",
        text: Text {
            ja: "CSVバージョンは 202407 を受け付ける。202504 は旧表記（第4.0版）として警告、表にない値（例 202410）はエラー、第3版以前の値は旧レイアウトとしてエラー。",
            en: "CSVバージョン 202407 is accepted; 202504 (first issue of v4.0) is a deprecated alias (warning); values not in the history table (e.g. 202410) are errors; editions before v4 describe another layout (error).",
        },
        source: "README.md §6 (validator suggestion)",
        embodied_by: &["FLD020", "FLD021", "FLD022"],
    },
    Assumption {
        id: "A-TIME-2400",
        text: Text {
            ja: "時刻は 0000〜2359。第3表の様式は24:00まであるため 2400 は警告で受け付ける。",
            en: "Times run 0000-2359; the 第3表 grid runs to 24:00, so 2400 is accepted with a warning.",
        },
        source: "README.md §7 (time row)",
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
            ja: "TAISコード・福祉用具届出コードの区切りは半角ハイフン（仕様書の例は全角）。",
            en: "TAIS and 福祉用具届出 codes use an ASCII hyphen (the spec's example shows a full-width one).",
        },
        source: "table6.md last note",
        embodied_by: &["FLD019"],
    },
    Assumption {
        id: "A-LEN-6-19",
        text: Text {
            ja: "第6表 No.19 明細判別コードの項目長は判読できないため 2 とし、超過は警告とする。",
            en: "第6表 No.19 明細判別コード has no legible length; 2 is assumed and exceeding it is a warning.",
        },
        source: "table6.md note D",
        embodied_by: &["FLD018"],
    },
    Assumption {
        id: "A-LEN-7-17",
        text: Text {
            ja: "第7表 No.17 サービス単位金額は項目長 5 と読めるが疑わしいため、超過は警告とする。",
            en: "第7表 No.17 reads as length 5 but is doubtful; exceeding it is a warning.",
        },
        source: "table7.md note A",
        embodied_by: &["FLD018"],
    },
    Assumption {
        id: "A-LEN-7-30",
        text: Text {
            ja: "第7表 No.30 前月までの利用日数は第3.2版の改訂どおり 5 桁まで受け付ける。",
            en: "第7表 No.30 accepts up to 5 digits, per the v3.2 revision.",
        },
        source: "table7.md note C",
        embodied_by: &["FLD004"],
    },
    Assumption {
        id: "A-7-34-36",
        text: Text {
            ja: "第7表 No.34〜36 は書式の対応が確定できないため「10桁の数字または空欄」だけを検査する。",
            en: "第7表 No.34-36 are checked only as \"10 digits or empty\", since their formats cannot be assigned with certainty.",
        },
        source: "table7.md note D",
        embodied_by: &["FLD011"],
    },
    Assumption {
        id: "A-2KYO-HIERARCHY",
        text: Text {
            ja: "第2表の課題NO・援助目標NO・援助内容NOは必須の印がないが、並び順に必要なため空欄は警告、重複はエラーとする。",
            en: "第2表's three hierarchy numbers are not marked required but the print order needs them: empty is a warning, a repeated triple is an error.",
        },
        source: "table2.md 必須 note and practice note",
        embodied_by: &["REC005", "FIL003"],
    },
    Assumption {
        id: "A-YOBO-MARKS",
        text: Text {
            ja: "介護予防の様式には「必須」「必要」の2列があり、片方だけに印がある項目は警告扱いとする。",
            en: "The 介護予防 layouts have two mark columns (必須, 必要); items marked in only one of them are treated as likely required (warning).",
        },
        source: "yobo.md",
        embodied_by: &["FLD002"],
    },
    Assumption {
        id: "A-FILE-NAME",
        text: Text {
            ja: "ファイル名の拡張子は大文字小文字を区別せず照合し、小文字は警告。実績（UPJSK/DLTJSK）も送信元の種類コードを先に書く（仕様書の例は逆）。",
            en: "The extension is matched case-insensitively and lower case is warned about. UPJSK/DLTJSK names also put the sender's own kind first (the spec's example swaps them).",
        },
        source: "README.md §5",
        embodied_by: &["NAM001", "NAM002", "NAM007"],
    },
    Assumption {
        id: "A-7-CALC",
        text: Text {
            ja: "第7表の再計算は、明細行 サービス単位金額＝(割引後単位数または単位数)×回数、種類ごとの集計行（小計、明細が1行ならその行）で 給付管理単位数＝明細の合計、区分支給限度基準を超える単位数＋基準内単位数＝給付管理単位数、費用総額＝基準内単位数×単位数単価（円未満切捨て）、保険請求額＝費用総額×給付率÷100（切捨て）、利用者負担（保険対象分）＝費用総額−保険請求額、全合計行は各集計行の合計、全合計の区分支給限度基準を超える単位数＝max(0, 給付管理単位数の合計−区分支給限度基準額) による。不一致は警告。",
            en: "第7表 is recomputed as: detail サービス単位金額 = (discounted units or units) × count; on each kind's summary row (the AAAA subtotal, or the single detail row) 給付管理単位数 = sum of details and over-limit + within-limit units = 給付管理単位数; cost = within-limit units × unit price (yen, truncated); claim = cost × benefit rate / 100 (truncated); user share = cost − claim; the 全合計 row sums the summary rows and its over-limit units = max(0, total managed units − 区分支給限度基準額). Mismatches are warnings.",
        },
        source: "table7.md row structure; the standard 別表 calculation (not spelled out in the spec)",
        embodied_by: &["FIL007", "FIL008", "FIL009", "FIL010", "SET005", "SET006"],
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
