//! Who may use the proxy, and how much. Two kinds of client:
//! - with a tokens file, a client sends one of its tokens as `x-api-key`
//!   (the studio's "proxy key" field) and gets that token's own limits;
//! - without one, a client is a page from an allowed origin (the `Origin`
//!   header is required, so `curl` without one is refused), counted by IP.
//!
//! Budgets are separate for submissions (paid: per minute, per day, and a
//! daily cap for the whole proxy) and for reads (status, results, credits,
//! uploads: cheap, generous). Each limit holds over a rolling window (any
//! 60 seconds, any 24 hours) in a [`Counters`] store: this process's memory,
//! or Redis shared by several replicas. They keep only the times of recent
//! uses, and forget each when it leaves its window.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
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
    #[error("Too many runs started from here in the last minute; try again in {retry_after_secs} s.")]
    RunsPerMinute { retry_after_secs: u64 },
    #[error("This client's runs for the last 24 hours are used up (the limit protects the account's credits); try again in {retry_after_secs} s.")]
    RunsPerDay { retry_after_secs: u64 },
    #[error("This proxy's runs for the last 24 hours are used up for everyone (a cap that protects the account's credits); try again in {retry_after_secs} s.")]
    ProxyRunsPerDay { retry_after_secs: u64 },
    #[error("Too many status checks from here in the last minute; try again in {retry_after_secs} s (a job keeps running meanwhile).")]
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

/// A rolling window: a limit holds for every span of this length, so a
/// burst across a clock boundary (59 s and 61 s past the minute) cannot pass
/// twice the limit, as fixed windows would let it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// The last 60 seconds.
    Minute,
    /// The last 24 hours.
    Day,
}

impl Window {
    fn millis(self) -> u64 {
        match self {
            Window::Minute => 60_000,
            Window::Day => 86_400_000,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Window::Minute => "m",
            Window::Day => "d",
        }
    }
}

fn now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Whole seconds (at least one) until `millis` have passed: a Retry-After.
fn secs_until(millis: u64) -> u64 {
    millis.div_ceil(1000).max(1)
}

/// Counts in rolling windows. `take` records one use of `key` unless the
/// window already holds `limit`; `Err(secs)` says when the oldest use leaves it.
pub trait Counters: Send + Sync {
    fn take(&self, key: &str, window: Window, limit: u32) -> impl std::future::Future<Output = Result<Result<(), u64>, ()>> + Send;
    /// Gives back one taken by `take` (a later budget refused the request).
    fn give_back(&self, key: &str, window: Window) -> impl std::future::Future<Output = ()> + Send;
}

/// Counts in this process's memory: each key's uses in its window, oldest
/// first; uses that left their window are dropped as keys are touched, and
/// keys with none left are pruned as the map grows.
#[derive(Default)]
pub struct MemoryCounters {
    uses: Mutex<HashMap<String, VecDeque<u64>>>,
}

impl MemoryCounters {
    pub fn len(&self) -> usize {
        self.uses.lock().map_or(0, |c| c.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `take` at a given time (milliseconds since 1970), for tests of the window.
    pub fn take_at(&self, key: &str, window: Window, limit: u32, now: u64) -> Result<Result<(), u64>, ()> {
        let Ok(mut uses) = self.uses.lock() else { return Err(()) };
        let since = now.saturating_sub(window.millis());
        if uses.len() > 10_000 {
            // Bounded state: a key is kept only while its newest use is inside a day.
            let day_ago = now.saturating_sub(Window::Day.millis());
            uses.retain(|_, times| times.back().is_some_and(|t| *t > day_ago));
        }
        let times = uses.entry(format!("{}:{key}", window.prefix())).or_default();
        while times.front().is_some_and(|t| *t <= since) {
            times.pop_front();
        }
        if times.len() >= limit as usize {
            let leaves_at = times.front().map_or(now + window.millis(), |t| t + window.millis());
            return Ok(Err(secs_until(leaves_at.saturating_sub(now))));
        }
        times.push_back(now);
        Ok(Ok(()))
    }
}

impl Counters for MemoryCounters {
    async fn take(&self, key: &str, window: Window, limit: u32) -> Result<Result<(), u64>, ()> {
        self.take_at(key, window, limit, now_millis())
    }

    async fn give_back(&self, key: &str, window: Window) {
        if let Ok(mut uses) = self.uses.lock() {
            if let Some(times) = uses.get_mut(&format!("{}:{key}", window.prefix())) {
                times.pop_back();
            }
        }
    }
}

/// Takes one use in a rolling window, atomically in Redis: a sorted set of
/// the uses' times (Redis's own clock, the same for every replica); answers
/// -1 when taken, else the milliseconds until the oldest use leaves.
const TAKE_SCRIPT: &str = r#"
local key, span, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #oldest == 0 then return span end
  return tonumber(oldest[2]) + span - now
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, span)
return -1
"#;

/// Counts shared through Redis by every replica: a sorted set of uses per
/// key and window, which expires a window after its newest use.
pub struct RedisCounters {
    connection: redis::aio::ConnectionManager,
    prefix: String,
    /// Makes each use's member unique across replicas and calls.
    nonce: u64,
    calls: AtomicU64,
}

impl RedisCounters {
    pub async fn connect(url: &str) -> Result<RedisCounters, String> {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let connection = redis::aio::ConnectionManager::new(client).await.map_err(|e| e.to_string())?;
        let nonce = std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), std::process::id());
        Ok(RedisCounters { connection, prefix: "sadtalker-proxy".into(), nonce, calls: AtomicU64::new(0) })
    }

    fn key(&self, key: &str, window: Window) -> String {
        format!("{}:{}:{key}", self.prefix, window.prefix())
    }
}

impl Counters for RedisCounters {
    async fn take(&self, key: &str, window: Window, limit: u32) -> Result<Result<(), u64>, ()> {
        let member = format!("{:x}-{}", self.nonce, self.calls.fetch_add(1, Ordering::Relaxed));
        let mut connection = self.connection.clone();
        let wait_ms: i64 = redis::cmd("EVAL")
            .arg(TAKE_SCRIPT)
            .arg(1)
            .arg(self.key(key, window))
            .arg(window.millis())
            .arg(limit)
            .arg(member)
            .query_async(&mut connection)
            .await
            .map_err(|_| ())?;
        Ok(if wait_ms < 0 { Ok(()) } else { Err(secs_until(wait_ms as u64)) })
    }

    async fn give_back(&self, key: &str, window: Window) {
        // The newest use goes: any one of them counts the same.
        let mut connection = self.connection.clone();
        let _: Result<redis::Value, _> = redis::cmd("ZPOPMAX").arg(self.key(key, window)).query_async(&mut connection).await;
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

    /// 12:00:59.900 (in milliseconds since 1970), just before a minute turns.
    const BEFORE_THE_MINUTE: u64 = 1_764_590_459_900;

    #[test]
    fn a_limit_holds_across_the_turn_of_the_minute() {
        let counters = MemoryCounters::default();
        assert_eq!(counters.take_at("a", Window::Minute, 1, BEFORE_THE_MINUTE), Ok(Ok(())));
        // 200 ms later, in the next clock minute: a fixed window would let it through.
        assert_eq!(counters.take_at("a", Window::Minute, 1, BEFORE_THE_MINUTE + 200), Ok(Err(60)), "refused until the first use is a minute old");
        assert_eq!(counters.take_at("a", Window::Minute, 1, BEFORE_THE_MINUTE + 59_999), Ok(Err(1)));
        assert_eq!(counters.take_at("a", Window::Minute, 1, BEFORE_THE_MINUTE + 60_000), Ok(Ok(())), "a minute on, it has left the window");
    }

    #[test]
    fn retry_after_says_when_the_oldest_use_leaves() {
        let counters = MemoryCounters::default();
        for offset in [0, 10_000, 20_000] {
            assert_eq!(counters.take_at("a", Window::Minute, 3, BEFORE_THE_MINUTE + offset), Ok(Ok(())));
        }
        assert_eq!(counters.take_at("a", Window::Minute, 3, BEFORE_THE_MINUTE + 30_500), Ok(Err(30)));
        assert_eq!(counters.take_at("a", Window::Minute, 3, BEFORE_THE_MINUTE + 60_000), Ok(Ok(())), "the first left; the other two stay");
        assert_eq!(counters.take_at("a", Window::Minute, 3, BEFORE_THE_MINUTE + 60_001), Ok(Err(10)));
        assert_eq!(counters.take_at("z", Window::Minute, 0, BEFORE_THE_MINUTE), Ok(Err(60)), "a limit of none refuses");
        assert_eq!(counters.take_at("b", Window::Minute, 3, BEFORE_THE_MINUTE + 60_001), Ok(Ok(())), "keys are apart");
    }

    #[test]
    fn a_day_is_any_24_hours_and_windows_are_apart() {
        let counters = MemoryCounters::default();
        let midnight = 1_764_547_200_000; // 2025-12-01T00:00:00Z
        assert_eq!(counters.take_at("a", Window::Day, 1, midnight - 1_000), Ok(Ok(())));
        assert_eq!(counters.take_at("a", Window::Day, 1, midnight + 1_000), Ok(Err(86_398)), "a new UTC date does not reset it");
        assert_eq!(counters.take_at("a", Window::Minute, 1, midnight + 1_000), Ok(Ok(())), "the minute's count is its own");
        assert_eq!(counters.take_at("a", Window::Day, 1, midnight - 1_000 + 86_400_000), Ok(Ok(())));
    }

    #[tokio::test]
    async fn a_use_given_back_frees_its_place() {
        let counters = MemoryCounters::default();
        assert_eq!(counters.take("a", Window::Minute, 1).await, Ok(Ok(())));
        assert!(matches!(counters.take("a", Window::Minute, 1).await, Ok(Err(_))));
        counters.give_back("a", Window::Minute).await;
        assert_eq!(counters.take("a", Window::Minute, 1).await, Ok(Ok(())));
    }
}
