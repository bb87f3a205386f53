//! `stratagraph`: the command line. Every job the app does, headless.

mod engine_cmds;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Stratagraph: draw trading strategies as graphs, backtest them, headless.
#[derive(Parser)]
#[command(name = "stratagraph", version, about)]
struct Cli {
    /// The local database file (default: the app's data file).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the node catalog: every node kind with its ports and params.
    Catalog(engine_cmds::CatalogArgs),
    /// Check a strategy graph and list every problem, one a line, each starting with its node.
    Validate(engine_cmds::ValidateArgs),
    /// Backtest a strategy graph on an OHLCV CSV file.
    Backtest(engine_cmds::BacktestArgs),
    /// Market data tools.
    #[command(subcommand)]
    Data(engine_cmds::DataCmd),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<ExitCode, String> = match cli.command {
        Command::Catalog(a) => engine_cmds::catalog(&a),
        Command::Validate(a) => engine_cmds::validate(&a),
        Command::Backtest(a) => engine_cmds::backtest(&a),
        Command::Data(c) => engine_cmds::data(&c),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
