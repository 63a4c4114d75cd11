//! `conformance`: the ケアプランデータ連携標準仕様 (care-plan data exchange standard, v4.1) as a library.
//!
//! Data flows one way: bytes ([`codec`]) → decoded records ([`document`]) read with the layout of a kind
//! ([`spec`]) → findings ([`rules`], run by [`validate`]) → reports ([`report`]).

pub mod anonymise;
pub mod billing;
pub mod calendar;
pub mod codec;
pub mod coverage;
pub mod docs;
pub mod document;
pub mod fasthash;
pub mod filename;
pub mod finding;
pub mod hex;
pub mod i18n;
pub mod report;
pub mod rule_meta;
pub mod rules;
pub mod spec;
pub mod synth;
pub mod validate;
