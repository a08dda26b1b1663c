//! The current request as code to run elsewhere: curl, Python (requests) and
//! JavaScript (fetch). The key is always a placeholder read from an
//! environment variable named for the endpoint (the Segmind key only for
//! Segmind), never the one typed into the page.

use crate::api::endpoint::EndpointKind;
use crate::api::request::{InputSource, NormalizedRequest};

/// The environment variable the snippets read the Segmind key from.
pub const SEGMIND_KEY_VARIABLE: &str = "SEGMIND_API_KEY";
/// The proxy's own client key, when the proxy asks for one.
pub const PROXY_KEY_VARIABLE: &str = "PROXY_KEY";
/// The local stand-in's key.
pub const STAND_IN_KEY_VARIABLE: &str = "STAND_IN_KEY";

/// Which variable a snippet reads the key from, if it sends one: a proxy
/// adds the Segmind key itself, so its snippets send only its own key, if any.
pub fn key_variable(kind: EndpointKind, sends_key: bool) -> Option<&'static str> {
    match kind {
        EndpointKind::Segmind => Some(SEGMIND_KEY_VARIABLE),
        EndpointKind::Proxy => sends_key.then_some(PROXY_KEY_VARIABLE),
        EndpointKind::StandIn => Some(STAND_IN_KEY_VARIABLE),
    }
}
/// Longest input shown in full; an inline file is elided (it would be megabytes).
const MAX_SHOWN_INPUT: usize = 200;

/// The languages of the code panel; the JS package names them "curl", "python", "js".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "js-api", derive(tsify_next::Tsify), serde(rename_all = "lowercase"))]
pub enum Language {
    Curl,
    Python,
    #[cfg_attr(feature = "js-api", serde(rename = "js"))]
    JavaScript,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Curl, Language::Python, Language::JavaScript];

    pub fn parse(text: &str) -> Option<Language> {
        match text.trim().to_ascii_lowercase().as_str() {
            "curl" | "shell" | "sh" => Some(Language::Curl),
            "python" | "py" => Some(Language::Python),
            "js" | "javascript" | "fetch" => Some(Language::JavaScript),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Language::Curl => "curl",
            Language::Python => "Python",
            Language::JavaScript => "JavaScript",
        }
    }
}

/// JSON string literal (also a valid Python and JS string literal).
/// `serde_json::to_string` rather than a `Value`'s `Display`: that one's
/// writer adaptor brings std's I/O error texts into the page.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn shown_input(input: &InputSource) -> String {
    let uri = match input {
        InputSource::Address(uri) => uri,
        InputSource::LocalFile { name } => return format!("<your local file {name}: its upload-asset URL, or a data: URI of it>"),
    };
    if uri.len() <= MAX_SHOWN_INPUT {
        return uri.to_string();
    }
    let head: String = uri.chars().take(40).collect();
    format!("{head}…(inline file, {} KB: paste your own)", uri.len() / 1024)
}

/// `(name, value)` pairs in the body's order, values as JSON / JS literals.
fn members(request: &NormalizedRequest, python: bool) -> Vec<(&'static str, String)> {
    let boolean = |b: bool| match (b, python) {
        (true, true) => "True".to_string(),
        (false, true) => "False".to_string(),
        (b, false) => b.to_string(),
    };
    vec![
        ("input_image", quoted(&shown_input(&request.input_image))),
        ("input_audio", quoted(&shown_input(&request.input_audio))),
        ("pose_style", request.pose_style.to_string()),
        ("expression_scale", serde_json::to_string(&request.expression_scale).unwrap_or_default()),
        ("preprocess", quoted(request.preprocess.as_str())),
        ("image_size", request.image_size.pixels().to_string()),
        ("enhancer", boolean(request.enhancer)),
        ("base64", boolean(request.base64)),
    ]
}

fn object_literal(request: &NormalizedRequest, python: bool, indent: &str) -> String {
    let lines: Vec<String> = members(request, python).into_iter().map(|(k, v)| format!("{indent}  \"{k}\": {v}")).collect();
    format!("{{\n{}\n{indent}}}", lines.join(",\n"))
}

/// Single-quoted for a POSIX shell.
fn shell_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The request as code. `url` is the full endpoint URL; `key_variable` (see
/// [`key_variable`]) adds the `x-api-key` header read from that variable.
pub fn request_code(language: Language, url: &str, request: &NormalizedRequest, key_variable: Option<&str>) -> String {
    let file = "talking-head.mp4";
    match language {
        Language::Curl => {
            let key = key_variable.map(|v| format!(" \\\n  -H \"x-api-key: ${v}\"")).unwrap_or_default();
            format!(
                "curl -sS --fail-with-body -X POST {url}{key} \\\n  -H 'Content-Type: application/json' \\\n  -o {file} \\\n  --data-binary @- <<'JSON'\n{body}\nJSON\n",
                url = shell_quoted(url),
                body = object_literal(request, false, ""),
            )
        }
        Language::Python => {
            let key = key_variable.map(|v| format!("\"x-api-key\": os.environ[\"{v}\"]")).unwrap_or_default();
            format!(
                "import os\nimport requests\n\nresponse = requests.post(\n    {url},\n    headers={{{key}}},\n    json={body},\n    timeout=600,\n)\nresponse.raise_for_status()\nwith open(\"{file}\", \"wb\") as out:\n    out.write(response.content)\n",
                url = quoted(url),
                body = object_literal(request, true, "    "),
            )
        }
        Language::JavaScript => {
            let key = key_variable.map(|v| format!("\n    \"x-api-key\": process.env.{v},")).unwrap_or_default();
            format!(
                "const response = await fetch({url}, {{\n  method: \"POST\",\n  headers: {{{key}\n    \"Content-Type\": \"application/json\",\n  }},\n  body: JSON.stringify({body}),\n}});\nif (!response.ok) throw new Error(`${{response.status}}: ${{await response.text()}}`);\nconst video = await response.blob(); // the MP4\n",
                url = quoted(url),
                body = object_literal(request, false, "  "),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::request::RequestDraft;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn request() -> NormalizedRequest {
        let draft = RequestDraft {
            input_image: "https://example.com/it's.png".into(),
            input_audio: "https://example.com/voice.mp3".into(),
            pose_style: "7".into(),
            enhancer: false,
            ..RequestDraft::default()
        };
        draft.validate().expect("valid")
    }

    #[test]
    fn curl_posts_every_field_with_the_key_from_the_environment() {
        let code = request_code(Language::Curl, "https://api.segmind.com/v1/sadtalker", &request(), Some(SEGMIND_KEY_VARIABLE));
        assert!(code.starts_with("curl -sS --fail-with-body -X POST 'https://api.segmind.com/v1/sadtalker'"), "{code}");
        assert!(code.contains("-H \"x-api-key: $SEGMIND_API_KEY\""));
        for member in ["\"pose_style\": 7", "\"expression_scale\": 1.4", "\"preprocess\": \"full\"", "\"image_size\": 256", "\"enhancer\": false", "\"base64\": false"] {
            assert!(code.contains(member), "{member} in {code}");
        }
        let body = code.split("<<'JSON'\n").nth(1).and_then(|b| b.split("\nJSON").next()).expect("heredoc");
        let json: serde_json::Value = serde_json::from_str(body).expect("the heredoc is valid JSON");
        assert_eq!(json["input_image"], "https://example.com/it's.png");
    }

    #[test]
    fn python_and_js_use_their_own_literals() {
        let python = request_code(Language::Python, "https://api.segmind.com/v1/sadtalker", &request(), Some(SEGMIND_KEY_VARIABLE));
        assert!(python.contains("\"enhancer\": False") && python.contains("\"base64\": False"), "{python}");
        assert!(python.contains("os.environ[\"SEGMIND_API_KEY\"]"));
        let js = request_code(Language::JavaScript, "https://api.segmind.com/v1/sadtalker", &request(), Some(SEGMIND_KEY_VARIABLE));
        assert!(js.contains("\"enhancer\": false") && js.contains("process.env.SEGMIND_API_KEY"), "{js}");
    }

    #[test]
    fn a_proxy_gets_no_key_header_and_inline_files_are_elided() {
        let mut r = request();
        r.input_image = InputSource::Address(format!("data:image/png;base64,{}", "A".repeat(300_000)));
        for language in Language::ALL {
            let code = request_code(language, "https://proxy.example/v1/sadtalker", &r, key_variable(EndpointKind::Proxy, false));
            assert!(!code.contains("x-api-key"), "{code}");
            assert!(code.contains("inline file, 292 KB") && code.len() < 2000, "{}", code.len());
        }
        assert_eq!(Language::parse("JS"), Some(Language::JavaScript));
        assert_eq!(Language::parse("ruby"), None);
    }

    #[test]
    fn only_segmind_snippets_read_the_segmind_key() {
        for (kind, sends, expected) in [
            (EndpointKind::Segmind, true, Some("SEGMIND_API_KEY")),
            (EndpointKind::Proxy, false, None),
            (EndpointKind::Proxy, true, Some("PROXY_KEY")),
            (EndpointKind::StandIn, true, Some("STAND_IN_KEY")),
        ] {
            assert_eq!(key_variable(kind, sends), expected, "{kind:?}");
            let code = request_code(Language::Curl, "https://x.example/v1/sadtalker", &request(), key_variable(kind, sends));
            assert_eq!(code.contains("SEGMIND_API_KEY"), kind == EndpointKind::Segmind, "{kind:?}: {code}");
        }
    }
}
