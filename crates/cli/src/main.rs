//! `stratagraph`: the command line. Every job the app does, headless.

mod cluster_cmds;
mod edu_cmds;
mod engine_cmds;
mod paper_cmds;
mod report_cmd;
mod research_cmds;
mod server_sweep;
mod store_cmds;
mod sweep_cmds;
mod sync_cmds;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

/// mimalloc keeps freed pages for reuse; glibc's allocator returns large buffers to the kernel
/// and gets them back zeroed on every run, which halves backtest speed.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Strategies and their versions in the local database.
    #[command(subcommand)]
    Strategy(store_cmds::StrategyCmd),
    /// Backtest runs recorded in the local database.
    #[command(subcommand)]
    Runs(store_cmds::RunsCmd),
    /// Sweep a graph's parameters over a grid (or a random draw from it) on all cores, or one
    /// shard of it on a cluster (`--shard K/N`, `--emit slurm|kubernetes`, `sweep merge`).
    Sweep(Box<sweep_cmds::SweepCommand>),
    /// Walk-forward analysis: optimise in sample, trade out of sample, stitch the results.
    Walkforward(sweep_cmds::WalkForwardArgs),
    /// Monte Carlo of a stored run's closed trades: shuffle their order or bootstrap them, and
    /// print the percentiles of final equity and max drawdown.
    Montecarlo(research_cmds::MonteCarloArgs),
    /// Write a self-contained HTML report of a stored run, or of a graph backtested now.
    Report(report_cmd::ReportArgs),
    /// Sync with a remote PostgreSQL/TimescaleDB server: configure, migrate, push, pull,
    /// run (push then pull), status.
    #[command(subcommand)]
    Sync(sync_cmds::SyncCmd),
    /// Paper trading: start, list, status, pause, resume, stop, reconcile, and serve (drive
    /// every running run of the database until stopped).
    #[command(subcommand)]
    Paper(paper_cmds::PaperCmd),
    /// Templates on the shared server: publish (through a review), list, show, clone, withdraw.
    #[command(subcommand)]
    Template(edu_cmds::TemplateCmd),
    /// Compliance reviews of templates: the queue, approve, reject (reviewers).
    #[command(subcommand)]
    Review(edu_cmds::ReviewCmd),
    /// Cohorts of students: create, add members, list (educators).
    #[command(subcommand)]
    Cohort(edu_cmds::CohortCmd),
    /// Administration on the shared server: grant roles.
    #[command(subcommand)]
    Admin(edu_cmds::AdminCmd),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: clap prints them in full.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) => {
            // A usage error as one line (clap's own text adds a tip and the usage).
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("{first} (see --help)");
            return ExitCode::from(2);
        }
    };
    let result: Result<ExitCode, String> = match cli.command {
        Command::Catalog(a) => engine_cmds::catalog(&a),
        Command::Validate(a) => engine_cmds::validate(&a),
        Command::Backtest(a) => match a.save.as_deref() {
            Some(key) => store_cmds::backtest_saved(cli.db.as_deref(), &a, key),
            None => engine_cmds::backtest(&a),
        },
        Command::Data(c) => engine_cmds::data(&c),
        Command::Strategy(c) => store_cmds::strategy(cli.db.as_deref(), &c),
        Command::Runs(c) => store_cmds::runs(cli.db.as_deref(), &c),
        Command::Sweep(a) => sweep_cmds::sweep_command(&a),
        Command::Walkforward(a) => sweep_cmds::walkforward(&a),
        Command::Montecarlo(a) => research_cmds::montecarlo(cli.db.as_deref(), &a),
        Command::Report(a) => report_cmd::report(cli.db.as_deref(), &a),
        Command::Sync(c) => sync_cmds::sync(cli.db.as_deref(), &c),
        Command::Paper(c) => paper_cmds::paper(cli.db.as_deref(), &c),
        Command::Template(c) => edu_cmds::template(cli.db.as_deref(), &c),
        Command::Review(c) => edu_cmds::review(cli.db.as_deref(), &c),
        Command::Cohort(c) => edu_cmds::cohort(cli.db.as_deref(), &c),
        Command::Admin(c) => edu_cmds::admin(cli.db.as_deref(), &c),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
