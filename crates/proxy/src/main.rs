//! `proxy`: keeps the Segmind API key on this server and forwards the
//! SadTalker API for the studio page. See `proxy --help`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use proxy::{parse_origin, parse_upstream, ApiKey, Config, ConfigError};

#[derive(Parser)]
#[command(about = "Forwards the SadTalker API for the studio page, adding the Segmind API key on this server")]
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
    /// Requests one client (IP address) may make per minute (more get 429 with Retry-After).
    #[arg(long, env = "PROXY_RATE_PER_MINUTE", default_value_t = 30)]
    rate_per_minute: u32,
    /// Seconds to wait for the upstream; a run takes ~2 minutes, cold starts more.
    #[arg(long, env = "PROXY_UPSTREAM_TIMEOUT_SECS", default_value_t = 600)]
    upstream_timeout_secs: u64,
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
    let allowed_origins = args.allow_origins.iter().map(|o| parse_origin(o.trim())).collect::<Result<_, _>>()?;
    Ok(Config {
        api_key: key,
        upstream: parse_upstream(&args.upstream)?,
        upload_upstream: parse_upstream(&args.upload_upstream)?,
        allowed_origins,
        max_body_bytes: args.max_body_mb * 1024 * 1024,
        requests_per_minute: args.rate_per_minute,
        upstream_timeout: Duration::from_secs(args.upstream_timeout_secs),
    })
}

#[tokio::main]
async fn main() {
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).with_ansi(ansi).init();
    let args = Args::parse();
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
            eprintln!("proxy: cannot listen on {}:{}: {e}", args.host, args.port);
            std::process::exit(2);
        }
    };
    println!("{}", running.url());
    tracing::info!(url = %running.url(), upstream = %upstream, allowed_origins = origins, "proxy listening");
    shutdown_signal().await;
    tracing::info!("shutting down: finishing running requests");
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
