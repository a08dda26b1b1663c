//! Shared by the end-to-end tests: the stand-in serving the built page, and
//! a headless Chromium driven over WebDriver.
#![allow(dead_code)] // each test crate uses its own part of this

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub const WAIT: Duration = Duration::from_secs(30);

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// The stand-in serving the built page and the samples, on a free port.
pub async fn start_stand_in() -> stand_in::Running {
    stand_in_with(|_| {}).await
}

/// As [`start_stand_in`], with the configuration adjusted first.
pub async fn stand_in_with(adjust: impl FnOnce(&mut stand_in::Config)) -> stand_in::Running {
    let dist = repo_path("dist");
    assert!(dist.join("index.html").is_file(), "dist/ is missing: run `bash scripts/build.sh` first (scripts/test.sh does)");
    let samples = repo_path("media/generated");
    assert!(samples.join("portrait.jpg").is_file(), "sample media missing: run scripts/make-media.sh (scripts/setup.sh does)");
    let mut config = stand_in::Config {
        delay: Duration::from_millis(800),
        static_dir: Some(dist),
        samples_dir: Some(samples),
        ..stand_in::Config::default()
    };
    adjust(&mut config);
    stand_in::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("stand-in starts")
}

/// A chromedriver process and a headless Chromium session driven through it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Browser {
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver} ({e}): run scripts/setup.sh"));
        let profile = tempfile::tempdir().expect("profile dir");
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--no-first-run",
                    "--disable-sync", "--disable-quic", "--window-size=1000,1400",
                    // A fake camera and microphone, granted without a prompt.
                    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let capabilities = match capabilities {
            Value::Object(map) => map,
            _ => unreachable!("a JSON object literal"),
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + WAIT;
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(capabilities.clone()).connect(&url).await {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => panic!("chromedriver at {url} did not accept a session: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Browser { client, driver, _profile: profile }
    }

    pub async fn stop(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }

    pub fn testid(id: &str) -> String {
        format!("[data-testid=\"{id}\"]")
    }

    pub async fn find(&self, id: &str) -> fantoccini::elements::Element {
        self.client.wait().at_most(WAIT).for_element(Locator::Css(&Self::testid(id))).await.unwrap_or_else(|e| panic!("{id}: {e}"))
    }

    /// Clears a field and types into it, key by key, as a person would.
    pub async fn type_into(&self, id: &str, text: &str) {
        let field = self.find(id).await;
        field.clear().await.unwrap_or_else(|e| panic!("clear {id}: {e}"));
        field.send_keys(text).await.unwrap_or_else(|e| panic!("type into {id}: {e}"));
    }

    pub async fn click(&self, id: &str) {
        self.find(id).await.click().await.unwrap_or_else(|e| panic!("click {id}: {e}"));
    }

    pub async fn value(&self, id: &str) -> String {
        self.find(id).await.prop("value").await.ok().flatten().unwrap_or_default()
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `script` until it returns true.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let deadline = Instant::now() + WAIT;
        while self.js(script).await != Value::Bool(true) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}


impl Browser {
    /// The visible text of the element with `data-testid=id`.
    pub async fn text(&self, id: &str) -> String {
        self.find(id).await.text().await.unwrap_or_default()
    }

    /// Waits until the element with `data-testid=id` shows text containing `part`.
    pub async fn wait_for_text(&self, id: &str, part: &str) -> String {
        let selector = Self::testid(id);
        let script = format!(
            "const e = document.querySelector('{selector}'); return !!e && e.textContent.includes({});",
            serde_json::Value::from(part)
        );
        self.wait_until(&format!("{id} to show {part:?}"), &script).await;
        self.text(id).await
    }

    /// Waits until the result video has data, and returns its videoWidth.
    pub async fn wait_for_video(&self) -> Value {
        let video = Self::testid("result-video");
        self.wait_until("the video to have data", &format!("const v = document.querySelector('{video}'); return !!v && v.readyState >= 2;"))
            .await;
        self.js(&format!("return document.querySelector('{video}').videoWidth;")).await
    }

    /// A new Chromium on the stand-in's page, the studio mounted.
    pub async fn open(url: &str) -> Browser {
        let browser = Browser::start().await;
        browser.client.goto(url).await.expect("page loads");
        browser.find("generate").await;
        browser
    }

    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload");
        self.find("generate").await;
    }

    /// Opens the advanced settings and picks how to run.
    pub async fn choose_mode(&self, mode: &str) {
        self.js("document.querySelector('.ths-advanced').open = true; return true;").await;
        self.click(&format!("mode-{mode}")).await;
    }
}

/// A Chrome DevTools Protocol command sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
pub struct Cdp {
    pub method: &'static str,
    pub params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.method, "params": self.params }).to_string()))
    }
}

/// What ffprobe says of a media file's `entries` (e.g. "format=duration").
pub fn ffprobe(entries: &str, path: &std::path::Path) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", entries, "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe runs (scripts/setup.sh installs it)");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The length in seconds of media given as bytes.
pub fn duration_of(bytes: &[u8]) -> f64 {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("media");
    std::fs::write(&path, bytes).expect("write");
    ffprobe("format=duration", &path).parse().expect("a duration")
}

/// axe-core's violations on the page as it is now, as "rule: target" lines.
pub async fn violations(browser: &Browser) -> Vec<String> {
    let axe = std::fs::read_to_string(repo_path(".tools/node_modules/axe-core/axe.min.js")).expect("axe-core (installed by scripts/setup.sh)");
    browser.js(&format!("{axe}\n;return true;")).await;
    let found: Value = browser
        .js("return axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations.flatMap(v => v.nodes.map(n => `${v.id}: ${n.target.join(' ')} (${v.help})`)));")
        .await;
    serde_json::from_value(found).unwrap_or_else(|e| panic!("axe answered {e}"))
}

pub async fn assert_clean(browser: &Browser, state: &str) {
    let found = violations(browser).await;
    assert!(found.is_empty(), "axe-core found violations while {state}:\n{}", found.join("\n"));
}

