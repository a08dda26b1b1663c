//! `proxy`: keeps the Segmind API key on this server and forwards the
//! SadTalker API for the studio page. See `proxy --help`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use proxy::access::{parse_tokens, Limits};
use proxy::{parse_origin, parse_public_url, parse_upstream, ApiKey, Config, ConfigError};

#[derive(Parser)]
#[command(
    about = "Forwards the SadTalker API for the studio page, adding the Segmind API key on this server",
    after_help = "Who may call: with --tokens-file, only clients sending one of its tokens in x-api-key (each with \
its own limits); without it, only pages from an --allow-origin (the Origin header is required).\n\
Budgets: runs (submissions, the costly part) per client per minute and per day, and per day for the whole \
proxy; reads (status, results, credits, uploads) per client per minute. Each holds over a rolling window (any 60 \
seconds, any 24 hours: no burst across the turn of a minute or a date). Only the times of recent uses are kept: \
in this process they are lost on restart (a restart resets the caps); with --redis-url they are shared by every \
replica and survive restarts until each use leaves its window.\n\
Every refusal is a JSON error with a plain message, and Retry-After where waiting helps."
)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "PROXY_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free one (the URL is printed on the first line).
    #[arg(long, env = "PROXY_PORT", default_value_t = 8788)]
    port: u16,
    /// The API key, from the environment (never a flag: flags show in `ps`).
    #[arg(long = "key-env-value", env = "SEGMIND_API_KEY", hide = true, hide_env_values = true)]
    key: Option<String>,
    /// A file holding the API key (used when SEGMIND_API_KEY is not set).
    #[arg(long, env = "SEGMIND_API_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Base URL of the API to forward to (the local stand-in in tests).
    #[arg(long, env = "PROXY_UPSTREAM", default_value = proxy::DEFAULT_UPSTREAM)]
    upstream: String,
    /// Base URL of the asset upload service (/upload-asset).
    #[arg(long, env = "PROXY_UPLOAD_UPSTREAM", default_value = proxy::DEFAULT_UPLOAD_UPSTREAM)]
    upload_upstream: String,
    /// An origin whose pages may use the proxy, like https://studio.example.com (repeat for more).
    /// Requests from other origins are refused with 403.
    #[arg(long = "allow-origin", env = "PROXY_ALLOW_ORIGINS", value_delimiter = ',')]
    allow_origins: Vec<String>,
    /// Largest request body accepted, in MB (larger ones get a JSON 413).
    #[arg(long, env = "PROXY_MAX_BODY_MB", default_value_t = 64)]
    max_body_mb: usize,
    /// Runs (submissions) one client may start in any 60 seconds.
    #[arg(long, env = "PROXY_RUNS_PER_MINUTE", default_value_t = Limits::default().runs_per_minute)]
    runs_per_minute: u32,
    /// Runs one client may start in any 24 hours.
    #[arg(long, env = "PROXY_RUNS_PER_DAY", default_value_t = Limits::default().runs_per_day)]
    runs_per_day: u32,
    /// Runs the whole proxy may start in any 24 hours, all clients (and replicas) together.
    #[arg(long, env = "PROXY_RUNS_PER_DAY_TOTAL", default_value_t = 500)]
    runs_per_day_total: u32,
    /// Reads (job status, results, credits, uploads) one client may make in any 60 seconds.
    #[arg(long, env = "PROXY_READS_PER_MINUTE", default_value_t = Limits::default().reads_per_minute)]
    reads_per_minute: u32,
    /// A file of client tokens, one a line: `name token [runs-per-minute runs-per-day reads-per-minute]`.
    /// With it, every request needs one of them in x-api-key.
    #[arg(long, env = "PROXY_TOKENS_FILE")]
    tokens_file: Option<PathBuf>,
    /// Keep the counts in Redis (redis://host:6379), shared by several replicas.
    #[arg(long, env = "PROXY_REDIS_URL")]
    redis_url: Option<String>,
    /// The URL clients reach this proxy at, like https://studio.example/segmind (the v2 job URLs
    /// it hands out are built on it; its path is accepted as a prefix).
    #[arg(long, env = "PROXY_PUBLIC_URL")]
    public_url: Option<String>,
    /// Believe X-Forwarded-Proto/-Host/-Prefix (only behind a reverse proxy you run).
    #[arg(long, env = "PROXY_TRUST_FORWARDED")]
    trust_forwarded: bool,
    /// Memory all request bodies may take at once, in MB (more wait their turn with a 503).
    #[arg(long, env = "PROXY_BODY_MEMORY_MB", default_value_t = 256)]
    body_memory_mb: usize,
    /// Requests handled at once (more get a JSON 503).
    #[arg(long, env = "PROXY_MAX_IN_FLIGHT", default_value_t = 256)]
    max_in_flight: usize,
    /// Seconds a request body may take to arrive.
    #[arg(long, env = "PROXY_BODY_TIMEOUT_SECS", default_value_t = 60)]
    body_timeout_secs: u64,
    /// Seconds to wait for the upstream; a run takes ~2 minutes, cold starts more.
    #[arg(long, env = "PROXY_UPSTREAM_TIMEOUT_SECS", default_value_t = 600)]
    upstream_timeout_secs: u64,
    /// Seconds a shutdown (SIGTERM) waits for running requests before dropping them.
    #[arg(long, env = "PROXY_SHUTDOWN_DEADLINE_SECS", default_value_t = 30)]
    shutdown_deadline_secs: u64,
    /// Seconds without any traffic after which a connection is closed (keep it above the upstream timeout).
    #[arg(long, env = "PROXY_IDLE_TIMEOUT_SECS", default_value_t = 660)]
    idle_timeout_secs: u64,
    /// Log lines as text or JSON.
    #[arg(long, env = "PROXY_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
}

fn config(args: &Args) -> Result<Config, ConfigError> {
    let key = match (&args.key, &args.key_file) {
        (Some(key), _) if !key.trim().is_empty() => ApiKey::new(key)?,
        (_, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::KeyFile { path: path.display().to_string(), reason: e.to_string() })?;
            ApiKey::new(&text)?
        }
        _ => return Err(ConfigError::MissingKey),
    };
    if args.idle_timeout_secs <= args.upstream_timeout_secs {
        return Err(ConfigError::IdleTimeout);
    }
    let allowed_origins = args.allow_origins.iter().map(|o| parse_origin(o.trim())).collect::<Result<_, _>>()?;
    let default_limits = Limits { runs_per_minute: args.runs_per_minute, runs_per_day: args.runs_per_day, reads_per_minute: args.reads_per_minute };
    let tokens = match &args.tokens_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::KeyFile { path: path.display().to_string(), reason: e.to_string() })?;
            parse_tokens(&text, default_limits)?
        }
        None => Vec::new(),
    };
    Ok(Config {
        api_key: key,
        upstream: parse_upstream(&args.upstream)?,
        upload_upstream: parse_upstream(&args.upload_upstream)?,
        allowed_origins,
        tokens,
        default_limits,
        proxy_runs_per_day: args.runs_per_day_total,
        redis_url: args.redis_url.clone(),
        public_url: args.public_url.as_deref().map(parse_public_url).transpose()?,
        trust_forwarded: args.trust_forwarded,
        max_body_bytes: args.max_body_mb * 1024 * 1024,
        body_memory_bytes: args.body_memory_mb * 1024 * 1024,
        max_in_flight: args.max_in_flight,
        body_read_timeout: Duration::from_secs(args.body_timeout_secs),
        upstream_timeout: Duration::from_secs(args.upstream_timeout_secs),
        shutdown_deadline: Duration::from_secs(args.shutdown_deadline_secs),
        idle_timeout: Duration::from_secs(args.idle_timeout_secs),
    })
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logs = tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false);
    if args.log_format == "json" {
        logs.json().init();
    } else {
        logs.with_ansi(ansi).init();
    }
    let config = match config(&args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("proxy: {e}");
            std::process::exit(2);
        }
    };
    let origins = config.allowed_origins.len();
    let upstream = config.upstream.clone();
    let running = match proxy::start(config, SocketAddr::new(args.host, args.port)).await {
        Ok(running) => running,
        Err(e) => {
            eprintln!("proxy: cannot start on {}:{}: {e}", args.host, args.port);
            std::process::exit(2);
        }
    };
    println!("{}", running.url());
    tracing::info!(url = %running.url(), upstream = %upstream, allowed_origins = origins, "proxy listening");
    shutdown_signal().await;
    tracing::info!(deadline_secs = args.shutdown_deadline_secs, "shutting down: finishing running requests until the deadline");
    running.stop().await;
}

/// SIGTERM (service managers) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
