//! rgdbserver: a gdbserver for Linux. See README.md.

use rgdbserver::{cli, server};
use std::process::ExitCode;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args_os().skip(1)) {
        Ok(command) => command,
        Err(msg) => {
            eprintln!("rgdbserver: {msg}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let config = match command {
        cli::Command::Help => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        cli::Command::Version => {
            println!("rgdbserver {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        cli::Command::Run(config) => config,
    };
    init_logging(&config);
    match server::run(&config) {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(msg) => {
            eprintln!("rgdbserver: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(config: &server::Config) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"));
    if config.debug {
        builder.filter_module("rgdbserver", log::LevelFilter::Debug);
    }
    if config.remote_debug {
        // gdbstub logs every packet at trace level.
        builder.filter_module("gdbstub", log::LevelFilter::Trace);
    }
    builder.format_timestamp_micros().init();
}
