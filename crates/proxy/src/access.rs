//! Who may use the proxy, and how much. Two kinds of client:
//! - with a tokens file, a client sends one of its tokens as `x-api-key`
//!   (the studio's "proxy key" field) and gets that token's own limits;
//! - without one, a client is a page from an allowed origin (the `Origin`
//!   header is required, so `curl` without one is refused), counted by IP.
//!
//! Budgets are separate for submissions (paid: per minute, per day, and a
//! daily cap for the whole proxy) and for reads (status, results, credits,
//! uploads: cheap, generous). Counts live in fixed windows (a minute, a UTC
//! day) in a [`Counters`] store: this process's memory, or Redis shared by
//! several replicas. They are counts only: they survive nothing but the
//! window they belong to.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use thiserror::Error;

use crate::routes::Cost;

/// What one client may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub runs_per_minute: u32,
    pub runs_per_day: u32,
    pub reads_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        // Runs: the provider's paid plan allows 50 a minute; a person needs a few.
        // Reads: one job polled every 2 s is 30 a minute; leave room for several.
        Limits { runs_per_minute: 5, runs_per_day: 100, reads_per_minute: 240 }
    }
}

/// A named client token (from the tokens file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub name: String,
    pub secret: String,
    pub limits: Limits,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TokensError {
    #[error("tokens file line {line}: expected `name token [runs-per-minute runs-per-day reads-per-minute]`")]
    Shape { line: usize },
    #[error("tokens file line {line}: \"{value}\" is not a whole number")]
    Number { line: usize, value: String },
    #[error("tokens file line {line}: a token must be at least 16 characters of letters, digits, - or _")]
    Weak { line: usize },
    #[error("tokens file line {line}: the name or token is already used above")]
    Duplicate { line: usize },
}

/// Reads a tokens file: one client a line, `name token [runs/min runs/day reads/min]`;
/// blank lines and `#` comments are skipped. Missing limits take `defaults`.
pub fn parse_tokens(text: &str, defaults: Limits) -> Result<Vec<Token>, TokensError> {
    let mut tokens: Vec<Token> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let fields: Vec<&str> = content.split_whitespace().collect();
        if !(fields.len() == 2 || fields.len() == 5) {
            return Err(TokensError::Shape { line });
        }
        let number = |text: &str| text.parse::<u32>().map_err(|_| TokensError::Number { line, value: text.to_string() });
        let limits = if fields.len() == 5 {
            Limits { runs_per_minute: number(fields[2])?, runs_per_day: number(fields[3])?, reads_per_minute: number(fields[4])? }
        } else {
            defaults
        };
        let secret = fields[1];
        if secret.len() < 16 || !secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(TokensError::Weak { line });
        }
        if tokens.iter().any(|t| t.name == fields[0] || t.secret == secret) {
            return Err(TokensError::Duplicate { line });
        }
        tokens.push(Token { name: fields[0].to_string(), secret: secret.to_string(), limits });
    }
    Ok(tokens)
}

/// Why a request is refused, with the words the client sees.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("This proxy only serves pages from its allowed origins (no Origin header came).")]
    NoOrigin,
    #[error("This proxy does not serve pages from this origin.")]
    OriginNotAllowed,
    #[error("This proxy needs a client token in x-api-key (the studio's \"proxy key\"); the one sent is missing or unknown.")]
    BadToken,
    #[error("Too many runs started from here this minute; try again in {retry_after_secs} s.")]
    RunsPerMinute { retry_after_secs: u64 },
    #[error("This client's runs for today are used up (the limit protects the account's credits); try again in {retry_after_secs} s.")]
    RunsPerDay { retry_after_secs: u64 },
    #[error("This proxy's runs for today are used up for everyone (a cap that protects the account's credits); try again in {retry_after_secs} s.")]
    ProxyRunsPerDay { retry_after_secs: u64 },
    #[error("Too many status checks from here this minute; try again in {retry_after_secs} s (a job keeps running meanwhile).")]
    ReadsPerMinute { retry_after_secs: u64 },
    #[error("The limits store cannot be reached, so no run is started (a run must not escape the caps).")]
    CountersUnavailable,
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::NoOrigin | Refusal::OriginNotAllowed => 403,
            Refusal::BadToken => 401,
            Refusal::CountersUnavailable => 503,
            _ => 429,
        }
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Refusal::RunsPerMinute { retry_after_secs }
            | Refusal::RunsPerDay { retry_after_secs }
            | Refusal::ProxyRunsPerDay { retry_after_secs }
            | Refusal::ReadsPerMinute { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// A short, stable name for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::NoOrigin => "no_origin",
            Refusal::OriginNotAllowed => "origin",
            Refusal::BadToken => "token",
            Refusal::RunsPerMinute { .. } => "runs_per_minute",
            Refusal::RunsPerDay { .. } => "runs_per_day",
            Refusal::ProxyRunsPerDay { .. } => "proxy_runs_per_day",
            Refusal::ReadsPerMinute { .. } => "reads_per_minute",
            Refusal::CountersUnavailable => "counters_unavailable",
        }
    }
}

/// A fixed window: its length and which one `now` falls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Minute,
    Day,
}

impl Window {
    fn secs(self) -> u64 {
        match self {
            Window::Minute => 60,
            Window::Day => 86_400,
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Counts in fixed windows. `take` adds one to `key`'s count in the current
/// window unless that would pass `limit`; `Err(secs)` says when the window ends.
pub trait Counters: Send + Sync {
    fn take(&self, key: &str, window: Window, limit: u32) -> impl std::future::Future<Output = Result<Result<(), u64>, ()>> + Send;
    /// Gives back one taken by `take` (a later budget refused the request).
    fn give_back(&self, key: &str, window: Window) -> impl std::future::Future<Output = ()> + Send;
}

/// Counts in this process's memory; windows that ended are pruned as new ones start.
#[derive(Default)]
pub struct MemoryCounters {
    counts: Mutex<HashMap<(String, u64), u32>>,
}

impl MemoryCounters {
    pub fn len(&self) -> usize {
        self.counts.lock().map_or(0, |c| c.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Counters for MemoryCounters {
    async fn take(&self, key: &str, window: Window, limit: u32) -> Result<Result<(), u64>, ()> {
        let now = now_secs();
        let index = now / window.secs();
        let Ok(mut counts) = self.counts.lock() else { return Err(()) };
        // Prune windows that ended (of any length): state stays bounded.
        if counts.len() > 10_000 {
            counts.retain(|(k, i), _| if k.starts_with("d:") { *i >= now / 86_400 } else { *i >= now / 60 });
        }
        let prefix = if window == Window::Day { "d:" } else { "m:" };
        let count = counts.entry((format!("{prefix}{key}"), index)).or_insert(0);
        if *count >= limit {
            return Ok(Err((index + 1) * window.secs() - now));
        }
        *count += 1;
        Ok(Ok(()))
    }

    async fn give_back(&self, key: &str, window: Window) {
        let index = now_secs() / window.secs();
        let prefix = if window == Window::Day { "d:" } else { "m:" };
        if let Ok(mut counts) = self.counts.lock() {
            if let Some(count) = counts.get_mut(&(format!("{prefix}{key}"), index)) {
                *count = count.saturating_sub(1);
            }
        }
    }
}

/// Counts shared through Redis by every replica: `INCR` on a key per window,
/// which expires with its window.
pub struct RedisCounters {
    connection: redis::aio::ConnectionManager,
    prefix: String,
}

impl RedisCounters {
    pub async fn connect(url: &str) -> Result<RedisCounters, String> {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let connection = redis::aio::ConnectionManager::new(client).await.map_err(|e| e.to_string())?;
        Ok(RedisCounters { connection, prefix: "sadtalker-proxy".into() })
    }

    fn key(&self, key: &str, window: Window, index: u64) -> String {
        let kind = if window == Window::Day { "d" } else { "m" };
        format!("{}:{kind}:{index}:{key}", self.prefix)
    }
}

impl Counters for RedisCounters {
    async fn take(&self, key: &str, window: Window, limit: u32) -> Result<Result<(), u64>, ()> {
        let now = now_secs();
        let index = now / window.secs();
        let name = self.key(key, window, index);
        let mut connection = self.connection.clone();
        let (count,): (u64,) = redis::pipe()
            .atomic()
            .incr(&name, 1u64)
            .expire(&name, window.secs() as i64 + 5)
            .ignore()
            .query_async(&mut connection)
            .await
            .map_err(|_| ())?;
        if count > u64::from(limit) {
            let _: Result<i64, _> = redis::cmd("DECR").arg(&name).query_async(&mut connection).await;
            return Ok(Err((index + 1) * window.secs() - now));
        }
        Ok(Ok(()))
    }

    async fn give_back(&self, key: &str, window: Window) {
        let name = self.key(key, window, now_secs() / window.secs());
        let mut connection = self.connection.clone();
        let _: Result<i64, _> = redis::cmd("DECR").arg(&name).query_async(&mut connection).await;
    }
}

/// Either store, chosen at start.
pub enum Store {
    Memory(MemoryCounters),
    Redis(RedisCounters),
}

impl Store {
    async fn take(&self, key: &str, window: Window, limit: u32) -> Result<Result<(), u64>, ()> {
        match self {
            Store::Memory(m) => m.take(key, window, limit).await,
            Store::Redis(r) => r.take(key, window, limit).await,
        }
    }

    async fn give_back(&self, key: &str, window: Window) {
        match self {
            Store::Memory(m) => m.give_back(key, window).await,
            Store::Redis(r) => r.give_back(key, window).await,
        }
    }
}

/// Takes one request's share of the budgets for `client`, or says why not.
/// A run must fit its client's minute and day and the proxy's day; a read
/// only its client's minute.
pub async fn admit(store: &Store, client: &str, limits: Limits, proxy_runs_per_day: u32, cost: Cost) -> Result<(), Refusal> {
    let unavailable = |_| Refusal::CountersUnavailable;
    match cost {
        Cost::Read => store
            .take(&format!("reads:{client}"), Window::Minute, limits.reads_per_minute)
            .await
            .map_err(unavailable)?
            .map_err(|retry_after_secs| Refusal::ReadsPerMinute { retry_after_secs }),
        Cost::Run => {
            let minute_key = format!("runs:{client}");
            let day_key = format!("runs:{client}");
            if let Err(retry_after_secs) = store.take(&minute_key, Window::Minute, limits.runs_per_minute).await.map_err(unavailable)? {
                return Err(Refusal::RunsPerMinute { retry_after_secs });
            }
            match store.take(&day_key, Window::Day, limits.runs_per_day).await {
                Ok(Ok(())) => {}
                outcome => {
                    store.give_back(&minute_key, Window::Minute).await;
                    return Err(match outcome {
                        Ok(Err(retry_after_secs)) => Refusal::RunsPerDay { retry_after_secs },
                        _ => Refusal::CountersUnavailable,
                    });
                }
            }
            match store.take("runs:*proxy*", Window::Day, proxy_runs_per_day).await {
                Ok(Ok(())) => Ok(()),
                outcome => {
                    store.give_back(&minute_key, Window::Minute).await;
                    store.give_back(&day_key, Window::Day).await;
                    Err(match outcome {
                        Ok(Err(retry_after_secs)) => Refusal::ProxyRunsPerDay { retry_after_secs },
                        _ => Refusal::CountersUnavailable,
                    })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_files_are_read_strictly() {
        let text = "# clients\nstudio  tok_0123456789abcdef\nbatch tok_fedcba9876543210 1 3 10  # a script\n\n";
        let tokens = parse_tokens(text, Limits::default()).expect("parses");
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].limits, Limits::default());
        assert_eq!(tokens[1].limits, Limits { runs_per_minute: 1, runs_per_day: 3, reads_per_minute: 10 });
        assert_eq!(parse_tokens("a b c", Limits::default()), Err(TokensError::Shape { line: 1 }));
        assert_eq!(parse_tokens("a short", Limits::default()), Err(TokensError::Weak { line: 1 }));
        assert_eq!(parse_tokens("a tok_0123456789abcdef x 1 1", Limits::default()), Err(TokensError::Number { line: 1, value: "x".into() }));
        assert_eq!(
            parse_tokens("a tok_0123456789abcdef\na tok_0123456789abcdeg", Limits::default()),
            Err(TokensError::Duplicate { line: 2 })
        );
    }

    #[tokio::test]
    async fn runs_fit_the_minute_the_day_and_the_proxys_day() {
        let store = Store::Memory(MemoryCounters::default());
        let limits = Limits { runs_per_minute: 2, runs_per_day: 3, reads_per_minute: 2 };
        assert_eq!(admit(&store, "a", limits, 4, Cost::Run).await, Ok(()));
        assert_eq!(admit(&store, "a", limits, 4, Cost::Run).await, Ok(()));
        assert!(matches!(admit(&store, "a", limits, 4, Cost::Run).await, Err(Refusal::RunsPerMinute { .. })));
        // Reads have their own budget: status checks still pass.
        assert_eq!(admit(&store, "a", limits, 4, Cost::Read).await, Ok(()));
        let b = Limits { runs_per_minute: 5, ..limits };
        assert_eq!(admit(&store, "b", b, 4, Cost::Run).await, Ok(()));
        assert_eq!(admit(&store, "b", b, 4, Cost::Run).await, Ok(()));
        let refused = admit(&store, "b", b, 4, Cost::Run).await;
        assert!(matches!(refused, Err(Refusal::ProxyRunsPerDay { .. })), "{refused:?}");
        let refusal = refused.unwrap_err();
        assert_eq!(refusal.status(), 429);
        assert!(refusal.retry_after_secs().is_some_and(|s| s <= 86_400));
        assert!(refusal.to_string().contains("for everyone"));
        assert!(matches!(admit(&store, "a", limits, 4, Cost::Read).await, Ok(())));
        assert!(matches!(admit(&store, "a", limits, 4, Cost::Read).await, Err(Refusal::ReadsPerMinute { .. })));
    }
}
