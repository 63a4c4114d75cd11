//! Encoding rules (ENC): bytes and characters measured against Shift_JIS / MS932.

pub mod enc001_undecodable_bytes;
pub mod enc002_utf8_encoding;
pub mod enc003_byte_order_mark;
pub mod enc004_unrepresentable_character;
pub mod enc005_gaiji;
pub mod enc006_machine_dependent_character;
pub mod enc007_halfwidth_katakana;
pub mod enc008_control_character;
pub mod enc009_line_ending;
pub mod enc010_tab;

use crate::codec::chars::CharClass;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::Rule;

pub static RULES: &[&Rule] = &[
    &enc001_undecodable_bytes::RULE,
    &enc002_utf8_encoding::RULE,
    &enc003_byte_order_mark::RULE,
    &enc004_unrepresentable_character::RULE,
    &enc005_gaiji::RULE,
    &enc006_machine_dependent_character::RULE,
    &enc007_halfwidth_katakana::RULE,
    &enc008_control_character::RULE,
    &enc009_line_ending::RULE,
    &enc010_tab::RULE,
];

/// The field check of a character rule: its finding at the first character of `class` in the value.
pub(crate) fn check_class(
    ctx: &FieldCtx<'_>,
    findings: &mut Vec<Finding>,
    class: CharClass,
    finding: fn(&FieldCtx<'_>, char, usize, usize) -> Finding,
) {
    if let Some(odd) = ctx.odd_character(class) {
        findings.push(finding(ctx, odd.c, odd.position, odd.more));
    }
}

/// A finding about character `c` at 1-based character `position` of a value, with `more` further ones of the
/// same class in that value.
pub(crate) fn character_finding(
    rule: &'static Rule,
    ctx: &FieldCtx<'_>,
    c: char,
    position: usize,
    more: usize,
) -> Finding {
    let (more_ja, more_en) = if more > 0 {
        (format!("（ほかに{more}文字）"), format!(" (and {more} more)"))
    } else {
        (String::new(), String::new())
    };
    ctx.finding(rule)
        .arg("char", c.to_string())
        .arg("codepoint", format!("U+{:04X}", c as u32))
        .arg("position", position.to_string())
        .arg2("more", more_ja, more_en)
}
