//! Validation of send units: files are grouped by the ファイル連番 in their names.

use std::collections::BTreeMap;

use crate::finding::Finding;
use crate::rules::{self, Check};
use crate::validate::context::SetCtx;
use crate::validate::{parallel_map, FileReport, BYTES_PER_ROW};

/// Runs every set rule on each group of files that share a ファイル連番.
pub fn validate_set(files: &[FileReport]) -> Vec<Finding> {
    let mut groups: BTreeMap<&str, Vec<&FileReport>> = BTreeMap::new();
    for file in files {
        if let Some(name) = file.parsed_name() {
            groups.entry(name.serial.as_str()).or_default().push(file);
        }
    }
    // Send units are independent: check them on every core, keep them in ファイル連番 order.
    let groups: Vec<(&str, Vec<&FileReport>)> = groups.into_iter().collect();
    let rows = |group: &Vec<&FileReport>| {
        group.iter().filter_map(|f| f.document.as_ref()).map(|d| d.table.len()).sum::<usize>()
    };
    parallel_map(&groups, |(_, group)| rows(group) * BYTES_PER_ROW, |(serial, group)| check_unit(serial, group.clone()))
        .into_iter()
        .flatten()
        .collect()
}

/// Runs every set rule on the files of one send unit (ファイル連番 `serial`).
pub fn check_unit<'a>(serial: &'a str, files: Vec<&'a FileReport>) -> Vec<Finding> {
    let ctx = SetCtx { serial, files };
    let mut findings = Vec::new();
    for rule in rules::all() {
        if let Check::Set { check, .. } = &rule.check {
            check(&ctx, &mut findings);
        }
    }
    findings
}
