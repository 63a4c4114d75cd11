use crate::rules::Rule;

pub static RULES: &[&Rule] = &[];
