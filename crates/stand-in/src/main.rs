//! `stand-in`: the local stand-in for the SadTalker API, and the server for
//! the built page and its sample media.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

#[derive(Parser)]
#[command(about = "Local stand-in for the Segmind SadTalker API (real MP4 answers, no face animation)")]
struct Args {
    /// Address to listen on (loopback only, unless you mean it).
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port; 0 picks a free one (the chosen URL is printed on the first line).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// The only x-api-key accepted.
    #[arg(long, env = "STAND_IN_KEY", default_value = stand_in::DEFAULT_KEY, hide_env_values = true)]
    key: String,
    /// How long a successful run waits before answering, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    delay_ms: u64,
    /// The built page (scripts/build.sh's dist/) to serve at /; a file's .gz copy beside it is sent to browsers that take gzip.
    #[arg(long)]
    static_dir: Option<PathBuf>,
    /// Sample media to serve at /samples/.
    #[arg(long)]
    samples_dir: Option<PathBuf>,
    /// The account balance to report (get-user-credits, x-remaining-credits).
    #[arg(long, default_value_t = 100.0)]
    credits: f64,
    /// Refuse submissions past this many a minute with a 429, like the provider's free plan (5).
    #[arg(long)]
    submissions_per_minute: Option<u32>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    for dir in [&args.static_dir, &args.samples_dir].into_iter().flatten() {
        if !dir.is_dir() {
            eprintln!("stand-in: {} is not a directory", dir.display());
            std::process::exit(2);
        }
    }
    let config = stand_in::Config {
        api_key: args.key,
        delay: Duration::from_millis(args.delay_ms),
        static_dir: args.static_dir,
        samples_dir: args.samples_dir,
        credits: args.credits,
        submissions_per_minute: args.submissions_per_minute,
    };
    let running = stand_in::start(config, SocketAddr::new(args.host, args.port)).await?;
    println!("{}", running.url());
    eprintln!("stand-in: listening on {} (not the real API: answers are joined, not animated)", running.url());
    let _ = tokio::signal::ctrl_c().await;
    running.stop().await;
    Ok(())
}
