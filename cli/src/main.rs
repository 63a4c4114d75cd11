//! `careplan-conformance`: validate standard-spec CSV files and explain the rule catalogue.
//!
//! [`args`] is the command line; each command runs in its own module of [`commands`], over the shared [`inputs`]
//! (files expanded and validated) and [`output`] (what is printed). This file only dispatches.

mod args;
mod commands;
mod inputs;
mod output;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use conformance::i18n::Lang;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    match run(cli.command, lang) {
        Ok(code) => code,
        Err(error) => {
            let prefix = match lang {
                Lang::Ja => "エラー",
                Lang::En => "error",
            };
            eprintln!("{prefix}: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command, lang: Lang) -> Result<ExitCode> {
    match command {
        Command::Validate { paths, format, reading, allow_empty } => {
            commands::validate::run(&paths, format, &reading, allow_empty, lang)
        }
        Command::Anonymise { paths, out, key, reading } => {
            commands::anonymise::run(&paths, &out, key.as_deref(), &reading)
        }
        Command::Rules { format } => commands::rules::run(format, lang),
        Command::Relay { url, ca, offices, negative_dir, max_body, output } => {
            commands::relay::run(url, &ca, &offices, negative_dir.as_deref(), max_body, &output, lang)
        }
        Command::ExportCheck { paths, profile, output } => commands::export_check::run(&paths, profile, &output, lang),
        Command::Roundtrip { original, reexported, output } => {
            commands::roundtrip::run(&original, &reexported, &output, lang)
        }
        Command::ClientCheck { recording, min_poll_interval, output } => {
            commands::client_check::run(&recording, min_poll_interval, &output, lang)
        }
        Command::VerifyReport { report, base } => commands::verify_report::run(&report, &base),
        Command::Coverage { format } => commands::coverage::run(format, lang),
        Command::Explain { code } => commands::explain::run(&code, lang),
    }
}
