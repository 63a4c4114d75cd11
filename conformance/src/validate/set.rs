//! Validation of send units: files are grouped by the ファイル連番 in their names.

use std::collections::BTreeMap;

use crate::finding::Finding;
use crate::rules::{self, Check};
use crate::validate::context::SetCtx;
use crate::validate::FileReport;

/// Runs every set rule on each group of files that share a ファイル連番.
pub fn validate_set(files: &[FileReport]) -> Vec<Finding> {
    let mut groups: BTreeMap<&str, Vec<&FileReport>> = BTreeMap::new();
    for file in files {
        if let Some(name) = file.parsed_name() {
            groups.entry(name.serial.as_str()).or_default().push(file);
        }
    }
    let mut findings = Vec::new();
    for (serial, group) in groups {
        let ctx = SetCtx {
            serial,
            files: group,
        };
        for rule in rules::all() {
            if let Check::Set { check } = &rule.check {
                check(&ctx, &mut findings);
            }
        }
    }
    findings
}
