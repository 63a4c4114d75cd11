//! Validation of send units: files are grouped by the ファイル連番 and the parties in their names.

use crate::finding::Finding;
use crate::rules::ctx::SetCtx;
use crate::rules::{self, Check};
use crate::validate::FileReport;

/// Runs every set rule on the files of one send unit (ファイル連番 `serial`; `serial_shared_with`: the parties of
/// the other units given the same serial).
pub fn check_unit<'a>(serial: &'a str, serial_shared_with: &'a [String], files: Vec<&'a FileReport>) -> Vec<Finding> {
    let ctx = SetCtx { serial, serial_shared_with, files: files.into_iter().map(FileReport::unit_file).collect() };
    let mut findings = Vec::new();
    for rule in rules::all() {
        if let Check::Set { check, .. } = &rule.check {
            check(&ctx, &mut findings);
        }
    }
    findings
}
