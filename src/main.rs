//! rgdbserver: a gdbserver for Linux. See README.md.

use rgdbserver::{cli, debug_output, rsp, server};
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
        cli::Command::ListDisableable => {
            println!("{}", rsp::DISABLEABLE);
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
    debug_output::init(
        config.debug,
        config.remote_debug,
        config.debug_timestamps,
        config.debug_file.as_deref(),
    );
}
