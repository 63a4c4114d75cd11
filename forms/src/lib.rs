//! A standard-spec file shown as the form it stands for (第1表, 第2表, 第6表 予定/実績, 第7表), server-rendered HTML
//! that prints on A4 landscape. Labels are the spec's item names and code values come with their meaning, both read
//! from the spec data; what is particular to each form is only which items go where. The relay's page and the
//! office client's local page both show files through it (this crate sits on `conformance` alone, so the client
//! renders forms without linking the relay); [`CSS`] is the forms' stylesheet, which each page serves with its own.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use conformance::billing::{self, RowKind};
use conformance::calendar::{self, days_in_month, holidays, parse_date, parse_month, parse_time};
use conformance::document::Document;
use conformance::report::markup_escape as esc;
use conformance::spec::{spec, ItemType};
use conformance::validate::{validate_files, Options};

/// The forms' styles (sheet, head tables, boxes, grids, their print rules), for a page that shows [`render`]'s HTML.
pub const CSS: &str = include_str!("../forms.css");

/// What a page shows for a file that is not a standard-spec CSV, in Japanese with English beside it.
const NOT_A_FORM: &str = "<p class=\"notice\">このファイルは標準仕様のCSVとして読めないため、様式で表示できません。\
                          元のファイルを開いてください。 / This file cannot be read as a standard-spec CSV; open the \
                          original.</p>";

/// A file as its form, with the person of `supplement` (the 利用者補足情報 of the same send unit, when there is one);
/// bytes that do not read as a standard-spec file give a notice instead. Decoding validates the file whole.
pub fn render(name: &str, bytes: &[u8], supplement: Option<(&str, &[u8])>) -> String {
    let person = supplement.and_then(|(name, bytes)| decode(name, bytes)).and_then(|doc| Person::from_supplement(&doc));
    match decode(name, bytes) {
        Some(doc) => form(&doc, person.as_ref()),
        None => NOT_A_FORM.to_string(),
    }
}

/// A file read whole with its layout (the kind from its name, else from its values), if it reads as one.
pub fn decode(name: &str, bytes: &[u8]) -> Option<Document> {
    let keep = Options { keep_documents: true, ..Options::default() };
    validate_files([(name, bytes)], &keep).files.into_iter().next().and_then(|file| file.document)
}

/// The 利用者補足情報 among `names` that travels with `name` (same ファイル連番, sender and recipient), if any.
pub fn supplement_of<'a>(name: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let unit = |parsed: &conformance::filename::FileName| {
        (parsed.serial.clone(), parsed.sender.clone(), parsed.recipient.clone())
    };
    let wanted = unit(&conformance::filename::parse(name).ok()?);
    names.into_iter().find(|other| {
        *other != name
            && conformance::filename::parse(other)
                .is_ok_and(|parsed| parsed.kind == "UPHOSOKU" && unit(&parsed) == wanted)
    })
}

/// Who the plan is for, from the 利用者補足情報 travelling in the same message (the plan tables carry only the
/// insured number).
#[derive(Debug, Default, Clone)]
pub struct Person {
    pub name: String,
    pub kana: String,
    pub birth_date: String,
}

impl Person {
    pub fn from_supplement(doc: &Document) -> Option<Person> {
        let row = doc.rows().next()?;
        Some(Person {
            name: doc.get(row, "user_name").to_string(),
            kana: doc.get(row, "user_name_kana").to_string(),
            birth_date: doc.get(row, "user_birth_date").to_string(),
        })
    }
}

/// The form body (HTML) for a decoded file: the kind's own layout, or every record as item/value pairs.
pub fn form(doc: &Document, person: Option<&Person>) -> String {
    match doc.kind.code.as_str() {
        "UP1KYO" => table1(doc, person),
        "UP2KYO" => table2(doc, person),
        "UPPLAN" | "UPJSK" => monthly_grid(doc, person),
        "UPSIKYU" => table7(doc, person),
        _ => records(doc),
    }
}

/// The item's name as the spec writes it.
fn label(doc: &Document, id: &str) -> String {
    doc.column(id).and_then(|c| doc.kind.items.get(c)).map_or_else(|| id.to_string(), |item| item.name.clone())
}

/// A value as a person reads it on the form: code values with their meaning, dates and times written out.
fn shown(doc: &Document, row: usize, id: &str) -> String {
    let value = doc.get(row, id);
    let Some(item) = doc.column(id).and_then(|c| doc.kind.items.get(c)) else { return String::new() };
    if value.is_empty() {
        return String::new();
    }
    if let Some(meaning) = item.codes.as_deref().and_then(|codes| spec().codes(codes)).and_then(|list| list.get(value))
    {
        return format!("{}（{}）", meaning.ja, value);
    }
    match item.ty {
        ItemType::Date => parse_date(value).map_or(value.to_string(), |(y, m, d)| format!("{y}年{m}月{d}日")),
        ItemType::Ym => parse_month(value).map_or(value.to_string(), |(y, m)| format!("{y}年{m}月")),
        ItemType::Time => {
            parse_time(value, true).map_or(value.to_string(), |_| format!("{}:{}", &value[..2], &value[2..]))
        }
        _ => value.to_string(),
    }
}

fn cell(doc: &Document, row: usize, id: &str) -> String {
    format!("<th>{}</th><td data-item=\"{id}\">{}</td>", esc(&label(doc, id)), esc(&shown(doc, row, id)))
}

/// A labelled value in a form's title line.
fn mark(doc: &Document, row: usize, id: &str) -> String {
    format!("<span>{}</span> <b data-item=\"{id}\">{}</b>", esc(&label(doc, id)), esc(&shown(doc, row, id)))
}

fn person_line(doc: &Document, row: usize, person: Option<&Person>) -> String {
    let mut line = String::from("<table class=\"head\"><tr>");
    if let Some(person) = person {
        let _ = write!(
            line,
            "<th>利用者名</th><td class=\"person\"><ruby>{}<rt>{}</rt></ruby> 殿</td>",
            esc(&person.name),
            esc(&person.kana)
        );
        if let Some((y, m, d)) = parse_date(&person.birth_date) {
            let _ = write!(line, "<th>生年月日</th><td>{y}年{m}月{d}日</td>");
        }
    }
    line += &cell(doc, row, "insurer_number");
    line += &cell(doc, row, "insured_number");
    line + "</tr></table>"
}

fn heading(doc: &Document, extra: &str) -> String {
    format!(
        "<header class=\"form-title\"><span class=\"table-no\">{}</span><h1>{}</h1>{extra}</header>",
        esc(&doc.kind.table.ja),
        esc(&doc.kind.title.ja)
    )
}

/// A form read from its first record: the title line with the `marks` items, the person line, then `body` (given
/// that record). A file without records shows as its items.
fn sheet(
    doc: &Document,
    person: Option<&Person>,
    class: &str,
    marks: &[&str],
    body: impl FnOnce(usize) -> String,
) -> String {
    let Some(first) = doc.rows().next() else { return records(doc) };
    let marks: Vec<String> = marks.iter().map(|id| mark(doc, first, id)).collect();
    format!(
        "<article class=\"{class}\">{}{}{}</article>",
        heading(doc, &format!("<p class=\"marks\">{}</p>", marks.join(" "))),
        person_line(doc, first, person),
        body(first)
    )
}

fn boxed(doc: &Document, row: usize, ids: &[&str]) -> String {
    let text: Vec<String> = ids.iter().map(|id| shown(doc, row, id)).filter(|t| !t.is_empty()).collect();
    format!(
        "<section class=\"box\"><h2>{}</h2><p data-item=\"{}\">{}</p></section>",
        esc(&label(doc, ids[0])),
        ids[0],
        esc(&text.join("\n"))
    )
}

/// 第1表: one sheet per record.
fn table1(doc: &Document, person: Option<&Person>) -> String {
    let mut html = String::new();
    for row in doc.rows() {
        let status = format!(
            "<p class=\"marks\">{} ・ {} ・ {}</p>",
            esc(&shown(doc, row, "plan_category")),
            esc(&shown(doc, row, "certification_status")),
            mark(doc, row, "created_date")
        );
        html += "<article class=\"sheet\">";
        html += &heading(doc, &status);
        html += &person_line(doc, row, person);
        let address: Vec<&str> = ["user_postal_code", "user_address1", "user_address2"]
            .iter()
            .map(|id| doc.get(row, id))
            .filter(|v| !v.is_empty())
            .collect();
        let _ = write!(html, "<table class=\"head\"><tr><th>住所</th><td>{}</td></tr>", esc(&address.join(" ")));
        let _ = write!(html, "<tr>{}</tr>", cell(doc, row, "planner_name"));
        let office: Vec<&str> =
            ["support_office_name", "support_office_postal_code", "support_office_address1", "support_office_address2"]
                .iter()
                .map(|id| doc.get(row, id))
                .filter(|v| !v.is_empty())
                .collect();
        let _ = write!(
            html,
            "<tr><th>居宅介護支援事業者・事業所名及び所在地</th><td>{}</td></tr></table>",
            esc(&office.join(" "))
        );
        let _ = write!(
            html,
            "<table class=\"head\"><tr>{}{}</tr><tr>{}<th>認定の有効期間</th><td>{} ～ {}</td></tr><tr>{}</tr></table>",
            cell(doc, row, "care_plan_date"),
            cell(doc, row, "first_care_plan_date"),
            cell(doc, row, "certification_date"),
            esc(&shown(doc, row, "certification_valid_from")),
            esc(&shown(doc, row, "certification_valid_to")),
            cell(doc, row, "care_level"),
        );
        html += &boxed(doc, row, &["intentions_and_assessment"]);
        html += &boxed(doc, row, &["certification_board_opinion"]);
        html += &boxed(doc, row, &["overall_support_policy"]);
        html += &boxed(doc, row, &["life_support_reason", "life_support_reason_other"]);
        html += "</article>";
    }
    html
}

/// How a grid of records shows them.
struct Grid<'a> {
    ids: &'a [&'a str],
    /// text items whose value repeating the row above (or left empty under it, as the 第2表 hierarchy of 課題 → 目標
    /// → 援助内容 does) is shown once
    merge: &'a [&'a str],
    /// code items that only mark a row as a total (9999999999, 15AAAA): blank on a total row, the code on hover
    markers: &'a [&'a str],
    /// the label of a row that is a total, shown in its first cell
    total_label: &'a dyn Fn(usize) -> Option<String>,
    /// what a code value stands for, shown under it
    meaning: &'a dyn Fn(&str, &str) -> Option<String>,
}

/// `1234567` → `1,234,567`; anything but an integer stays as it is.
fn grouped(value: &str) -> String {
    let (sign, digits) = value.strip_prefix('-').map_or(("", value), |digits| ("-", digits));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return value.to_string();
    }
    let mut out = String::from(sign);
    for (n, digit) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

impl Grid<'_> {
    fn render(&self, doc: &Document) -> String {
        let mut html = String::from("<table class=\"grid\"><thead><tr>");
        for id in self.ids {
            let _ = write!(html, "<th>{}</th>", esc(&label(doc, id)));
        }
        html += "</tr></thead><tbody>";
        let mut previous: Option<usize> = None;
        for row in doc.rows() {
            let total = (self.total_label)(row);
            html += if total.is_some() { "<tr class=\"total\">" } else { "<tr>" };
            for (n, id) in self.ids.iter().enumerate() {
                if let (0, Some(label)) = (n, &total) {
                    let _ = write!(html, "<th scope=\"row\">{}</th>", esc(label));
                    continue;
                }
                html += &self.cell(doc, row, id, previous, total.is_some());
            }
            html += "</tr>";
            previous = Some(row);
        }
        html + "</tbody></table>"
    }

    fn cell(&self, doc: &Document, row: usize, id: &str, previous: Option<usize>, total: bool) -> String {
        let value = shown(doc, row, id);
        if total && self.markers.contains(&id) {
            return format!("<td class=\"cont\" data-item=\"{id}\" title=\"{}\"></td>", esc(&value));
        }
        // Numbers read right-aligned; 整数 items are amounts (units, yen) and get thousands separators.
        match doc.column(id).and_then(|c| doc.kind.items.get(c)).map(|item| item.ty) {
            Some(ItemType::Int) => {
                return format!("<td class=\"num\" data-item=\"{id}\">{}</td>", esc(&grouped(&value)))
            }
            Some(ItemType::Num | ItemType::Dec) => {
                return format!("<td class=\"num\" data-item=\"{id}\">{}</td>", esc(&value))
            }
            _ => {}
        }
        let repeated =
            self.merge.contains(&id) && previous.is_some_and(|p| shown(doc, p, id) == value) && !value.is_empty();
        let class = if value.is_empty() || repeated { " class=\"cont\"" } else { "" };
        if repeated {
            return format!("<td{class} data-item=\"{id}\"></td>");
        }
        let meaning = (self.meaning)(id, &value).map_or(String::new(), |m| format!("<br><small>{}</small>", esc(&m)));
        format!("<td{class} data-item=\"{id}\">{}{meaning}</td>", esc(&value))
    }
}

/// 第2表: needs, goals with their periods, and the services that serve them.
fn table2(doc: &Document, person: Option<&Person>) -> String {
    sheet(doc, person, "sheet", &["plan_document_created_date"], |_| {
        Grid {
            ids: &[
                "issue",
                "long_term_goal",
                "long_term_period",
                "short_term_goal",
                "short_term_period",
                "service_content",
                "insurance_covered",
                "service_kind_text",
                "service_office_name",
                "frequency",
                "period",
            ],
            merge: &["issue", "long_term_goal", "long_term_period", "short_term_goal", "short_term_period"],
            markers: &[],
            total_label: &|_| None,
            meaning: &|_, _| None,
        }
        .render(doc)
    })
}

/// 第7表: the units per service and office, the limit-amount split and the money, with the subtotal and total rows
/// the file carries named in the first column (their marker codes on hover), amounts with thousands separators and
/// each service code over the name of its サービス種類; numbers right-aligned, 整数 amounts grouped by thousands.
fn table7(doc: &Document, person: Option<&Person>) -> String {
    let kind_name = |code: &str| spec().service_kind(billing::service_kind_of(code)).map(|kind| kind.ja.clone());
    sheet(doc, person, "sheet wide", &["target_month"], |_| {
        Grid {
            ids: &[
                "service_office_name",
                "service_office_code",
                "service_code",
                "units",
                "discount_rate",
                "discounted_units",
                "count_or_days",
                "service_units_amount",
                "type_limit_over_units",
                "type_limit_within_units",
                "category_limit_over_units",
                "category_limit_within_units",
                "unit_price",
                "total_cost_insured",
                "benefit_rate",
                "insurance_claim_amount",
                "copay_insured",
                "copay_full",
            ],
            merge: &["service_office_name", "service_office_code"],
            markers: &["service_office_code", "service_code"],
            total_label: &|row| {
                let code = doc.get(row, "service_code");
                let kind = || kind_name(code).unwrap_or_default();
                match billing::row_kind(code) {
                    RowKind::Detail => None,
                    RowKind::KindSubtotal => Some(format!("{} 小計（区分支給限度対象）", kind())),
                    RowKind::OutsideLimitSubtotal => Some(format!("{} 小計（区分支給限度対象外）", kind())),
                    RowKind::Over30Subtotal => Some(format!("{} 小計（30日超過分）", kind())),
                    RowKind::GrandTotal => Some("合計".to_string()),
                }
            },
            meaning: &|id, value| if id == "service_code" { kind_name(value) } else { None },
        }
        .render(doc)
    })
}

/// What makes one line of the 第6表 grid: the same service by the same office at the same time.
const SERVICE_LINE_KEY: [&str; 5] =
    ["start_time", "end_time", "service_code", "service_office_code", "detail_discriminator"];

#[derive(Default)]
struct ServiceLine {
    count_by_day: BTreeMap<u32, u32>,
    /// units × count over the month
    units: u64,
}

/// 第6表 (予定 or 実績): one row per service (office, code, time), one column per day of the month with the count on
/// that day, then the row's total count and units.
fn monthly_grid(doc: &Document, person: Option<&Person>) -> String {
    sheet(doc, person, "sheet wide", &["target_month", "plan_staff_name"], |first| month_table(doc, first))
}

/// The grid of [`monthly_grid`], for the month of record `first`.
fn month_table(doc: &Document, first: usize) -> String {
    let month = parse_month(doc.get(first, "target_month"));
    let days = month.map_or(31, |(y, m)| days_in_month(y, m));
    let planned = doc.kind.code == "UPPLAN";
    let mut services: BTreeMap<[String; 5], ServiceLine> = BTreeMap::new();
    let mut total_units = 0u64;
    for row in doc.rows() {
        let key = SERVICE_LINE_KEY.map(|id| doc.get(row, id).to_string());
        let line = services.entry(key).or_default();
        let count = doc.get(row, "service_count").parse::<u32>().unwrap_or(1);
        if let Some((_, _, day)) = parse_date(doc.get(row, "service_date")) {
            *line.count_by_day.entry(day).or_default() += count;
        }
        let units = doc.get(row, "units").parse::<u64>().unwrap_or(0) * u64::from(count);
        line.units += units;
        total_units += units;
    }
    let office_names: BTreeMap<String, String> = doc
        .rows()
        .map(|row| (doc.get(row, "service_office_code").to_string(), doc.get(row, "service_office_name").to_string()))
        .collect();
    let mut html = String::from("<table class=\"grid month\"><thead><tr><th>提供時間帯</th><th>サービスコード</th><th>サービス事業者事業所名</th>",
    );
    for day in 1..=days {
        let weekday = month.map(|(y, m)| calendar::weekday(y, m, day));
        // A 国民の祝日 (and a 振替休日 or 国民の休日) is marked as the paper form's calendar marks it, like a Sunday.
        let holiday = month.and_then(|(y, m)| holidays::holiday(y, m, day));
        let class = match (weekday, holiday) {
            (_, Some(name)) => format!(" class=\"hol\" title=\"{}\"", esc(name)),
            (Some(0), None) => " class=\"sun\"".to_string(),
            (Some(6), None) => " class=\"sat\"".to_string(),
            _ => String::new(),
        };
        let name = weekday.map_or("", |w| ["日", "月", "火", "水", "木", "金", "土"][w as usize % 7]);
        let _ = write!(html, "<th{class}>{day}<br>{name}</th>");
    }
    let _ = write!(html, "<th>合計回数</th><th>{}</th></tr></thead><tbody>", esc(&label(doc, "units")));
    let kind = if planned { "予定" } else { "実績" };
    for ([start, end, code, office, _], ServiceLine { count_by_day, units }) in &services {
        let time = match (parse_time(start, true), parse_time(end, true)) {
            (Some(_), Some(_)) => format!("{}:{}～{}:{}", &start[..2], &start[2..], &end[..2], &end[2..]),
            _ => String::new(),
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}<br><small>{}</small></td>",
            esc(&time),
            esc(code),
            esc(office_names.get(office).map_or("", String::as_str)),
            esc(office)
        );
        for day in 1..=days {
            let count = count_by_day.get(&day).map_or(String::new(), u32::to_string);
            let _ = write!(html, "<td class=\"day\" title=\"{day}日 {kind}\">{count}</td>");
        }
        let _ = write!(
            html,
            "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            count_by_day.values().sum::<u32>(),
            grouped(&units.to_string())
        );
    }
    let _ = write!(
        html,
        "</tbody><tfoot><tr><th colspan=\"{}\">合計単位数（{kind}）</th><td class=\"num\" data-total-units>{}</td></tr></tfoot></table>",
        days + 4,
        grouped(&total_units.to_string())
    );
    html
}

/// Any other kind: each record as the spec's items and their values.
fn records(doc: &Document) -> String {
    let mut html = String::from("<article class=\"sheet\">");
    html += &heading(doc, "");
    for (n, row) in doc.rows().enumerate() {
        let _ = write!(html, "<table class=\"record\"><caption>レコード {} (行 {})</caption>", n + 1, doc.line(row));
        for item in doc.kind.items.iter().filter(|item| !item.unused) {
            let _ = write!(
                html,
                "<tr><th>No.{} {}</th><td data-item=\"{}\">{}</td></tr>",
                item.no,
                esc(&item.name),
                item.id,
                esc(&shown(doc, row, &item.id))
            );
        }
        html += "</table>";
    }
    html + "</article>"
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;
    use proptest::prelude::*;

    const PLAN: &str = "kaigo2-new-plan";

    fn fixture_bytes(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../fixtures/valid/{PLAN}/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
    }

    fn fixture(name: &str) -> Document {
        decode(name, &fixture_bytes(name)).expect("decodes")
    }

    fn person() -> Person {
        Person::from_supplement(&fixture("UPHOSOKU_000000_1370001002_43_1370002058_11_20250425090000.CSV"))
            .expect("a record")
    }

    /// One line per tag, so a snapshot diff points at the part of the form that changed.
    fn lines(html: &str) -> String {
        html.replace('>', ">\n")
    }

    #[test]
    fn table2_form() {
        let doc = fixture("UP2KYO_1370001002_43_1370002058_11_20250425090000.CSV");
        insta::assert_snapshot!(lines(&form(&doc, Some(&person()))));
    }

    #[test]
    fn table1_form() {
        let doc = fixture("UP1KYO_1370001002_43_1370002058_11_20250425090000.CSV");
        insta::assert_snapshot!(lines(&form(&doc, Some(&person()))));
    }

    #[test]
    fn monthly_grid_counts_each_day_and_totals_units_times_count() {
        let doc = fixture("UPPLAN_202505_1370001002_43_1370002058_11_20250425090500.CSV");
        let expected: u64 = doc
            .rows()
            .map(|row| {
                doc.get(row, "units").parse::<u64>().unwrap_or(0)
                    * doc.get(row, "service_count").parse::<u64>().unwrap_or(1)
            })
            .sum();
        let html = form(&doc, None);
        assert!(html.contains(&format!("data-total-units>{}<", grouped(&expected.to_string()))), "{html}");
        // May 2025 has 31 days and starts on a Thursday.
        assert!(html.contains("<th>1<br>木</th>") && html.contains("<th class=\"sat\">31<br>土</th>"));
        // 5/3 (a Saturday), 5/4 (a Sunday), 5/5 and the 振替休日 5/6 are holidays; 5/7 is a plain Wednesday.
        for (day, weekday, name) in
            [(3, "土", "憲法記念日"), (4, "日", "みどりの日"), (5, "月", "こどもの日"), (6, "火", "休日（振替休日）")]
        {
            assert!(html.contains(&format!("<th class=\"hol\" title=\"{name}\">{day}<br>{weekday}</th>")), "5/{day}");
        }
        assert!(html.contains("<th>7<br>水</th>"));
        assert!(html.contains("サービス利用票（予定）"));
    }

    #[test]
    fn table7_keeps_the_limit_amount_columns_in_spec_words() {
        let doc = fixture("UPSIKYU_202505_1370001002_43_1370002058_11_20250425090500.CSV");
        let html = form(&doc, None);
        for heading in [
            "区分支給限度基準内単位数",
            "区分支給限度基準を超える単位数",
            "保険／事業費請求額",
            "利用者負担（保険／事業対象分）",
        ] {
            assert!(html.contains(heading), "{heading}");
        }
        assert!(
            html.contains("<tr class=\"total\"><th scope=\"row\">通所介護 小計（区分支給限度対象）</th>"),
            "{html}"
        );
        assert!(html.contains("<th scope=\"row\">合計</th>"));
        // amounts read as amounts, the total's marker codes only on hover, a service code with its kind's name
        assert!(html.contains("<td class=\"num\" data-item=\"total_cost_insured\">111,622</td>"), "{html}");
        assert!(!html.contains(">9999999999<") && !html.contains(">999999<") && !html.contains(">15AAAA<"));
        assert!(html.contains("title=\"9999999999\""));
        assert!(html.contains("<td data-item=\"service_code\">111211<br><small>訪問介護</small></td>"), "{html}");
        insta::assert_snapshot!(lines(&html));
    }

    #[test]
    fn amounts_are_grouped_by_thousands() {
        for (value, shown) in
            [("0", "0"), ("999", "999"), ("1000", "1,000"), ("111622", "111,622"), ("-1234567", "-1,234,567")]
        {
            assert_eq!(grouped(value), shown);
        }
        for left in ["", "-", "10.42", "12a", "１２３４"] {
            assert_eq!(grouped(left), left);
        }
    }

    #[test]
    fn other_kinds_list_every_used_item_by_its_spec_name() {
        let doc = fixture("UP3KYO_1370001002_43_1370002058_11_20250425090000.CSV");
        let html = form(&doc, None);
        for item in doc.kind.items.iter().filter(|item| !item.unused) {
            assert!(html.contains(&format!("No.{} {}", item.no, esc(&item.name))), "{}", item.name);
        }
    }

    #[test]
    fn a_file_renders_with_the_person_of_its_unit_and_bytes_that_are_no_file_as_a_notice() {
        let (plan, supplement) = (
            "UP2KYO_1370001002_43_1370002058_11_20250425090000.CSV",
            "UPHOSOKU_000000_1370001002_43_1370002058_11_20250425090000.CSV",
        );
        let html = render(plan, &fixture_bytes(plan), Some((supplement, &fixture_bytes(supplement))));
        assert!(html.contains(&format!("<ruby>{}<rt>", esc(&person().name))), "{html}");
        assert_eq!(html, form(&fixture(plan), Some(&person())));
        let alone = render(plan, &fixture_bytes(plan), None);
        assert!(!alone.contains("<ruby>") && alone.contains("class=\"sheet\""), "{alone}");
        assert_eq!(render("notes.txt", b"\xff\xfe<script>", None), NOT_A_FORM);
    }

    #[test]
    fn the_supplement_is_the_one_of_the_same_unit() {
        let names: Vec<String> = std::fs::read_dir(format!("{}/../fixtures/valid/{PLAN}", env!("CARGO_MANIFEST_DIR")))
            .expect("fixtures")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().to_string())
            .collect();
        let names = || names.iter().map(String::as_str);
        // The plan unit (…090000) and the ticket unit (…090500) each carry their own 利用者補足情報.
        assert_eq!(
            supplement_of("UP1KYO_1370001002_43_1370002058_11_20250425090000.CSV", names()),
            Some("UPHOSOKU_000000_1370001002_43_1370002058_11_20250425090000.CSV")
        );
        assert_eq!(
            supplement_of("UPPLAN_202505_1370001002_43_1370002058_11_20250425090500.CSV", names()),
            Some("UPHOSOKU_202505_1370001002_43_1370002058_11_20250425090500.CSV")
        );
        // The actuals come back the other way without one; a supplement is not its own; a broken name has none.
        assert_eq!(supplement_of("UPJSK_202505_1370002058_11_1370001002_43_20250601100000.CSV", names()), None);
        assert_eq!(supplement_of("UPHOSOKU_000000_1370001002_43_1370002058_11_20250425090000.CSV", names()), None);
        assert_eq!(supplement_of("report.txt", names()), None);
    }

    proptest! {
        /// Whatever the values, every layout renders and escapes them (no tag from a value reaches the page).
        #[test]
        fn any_values_render_escaped(values in proptest::collection::vec("(<x>|[&\"'0-9a-z　-ー、]){0,6}", 40)) {
            for code in ["UP1KYO", "UP2KYO", "UPPLAN", "UPSIKYU", "UP3KYO"] {
                let kind = spec().kind(code).expect("kind");
                let row: Vec<String> = (0..kind.items.len()).map(|i| values[i % values.len()].clone()).collect();
                let line = row.iter().map(|v| format!("\"{}\"", v.replace('"', "\"\""))).collect::<Vec<_>>().join(",");
                let (table, _, _) = conformance::document::Table::parse(line + "\r\n");
                let skipped = vec![false; table.len()];
                let doc = Document::whole(kind, table, skipped);
                let html = form(&doc, None);
                prop_assert!(!html.contains("<x>"), "{}", html);
            }
        }
    }
}
