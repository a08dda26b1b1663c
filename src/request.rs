//! The SadTalker request body: its eight fields under their JSON names, the
//! documented defaults, and validation that reports every problem at once.
//!
//! A [`RequestDraft`] is what a person typed (or a JS caller passed): every
//! value still text, so nothing they entered is lost while it is wrong.
//! [`RequestDraft::validate`] turns it into a [`SadTalkerRequest`], the only
//! type the transport accepts, or into the list of [`FieldError`]s.

use std::fmt;

use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::json_doc::JsonDoc;
use crate::web_url::{self, AddressProblem};

/// Stand-ins for a local file in a checked request until it is sent (as an
/// uploaded URL or inline data). Valid data: URIs, so validation passes;
/// never sent: the session replaces them.
pub const LOCAL_IMAGE_MARKER: &str = "data:application/x-local-image;base64,AA==";
pub const LOCAL_AUDIO_MARKER: &str = "data:application/x-local-audio;base64,AA==";

/// Documented bounds and defaults (../shared/API.md).
pub const POSE_STYLE_MIN: i64 = 0;
pub const POSE_STYLE_MAX: i64 = 45;
pub const POSE_STYLE_DEFAULT: u8 = 4;
pub const EXPRESSION_SCALE_MIN: f64 = 1.0;
pub const EXPRESSION_SCALE_MAX: f64 = 3.0;
pub const EXPRESSION_SCALE_DEFAULT: f64 = 1.4;
/// The same default as the form shows it (no float formatting in the page).
const EXPRESSION_SCALE_DEFAULT_TEXT: &str = "1.4";

/// Each field of the body, for attaching messages to the right control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    InputImage,
    InputAudio,
    PoseStyle,
    ExpressionScale,
    Preprocess,
    ImageSize,
    Enhancer,
    Base64,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::InputImage,
        Field::InputAudio,
        Field::PoseStyle,
        Field::ExpressionScale,
        Field::Preprocess,
        Field::ImageSize,
        Field::Enhancer,
        Field::Base64,
    ];

    /// The field's name in the JSON body.
    pub fn json_name(self) -> &'static str {
        match self {
            Field::InputImage => "input_image",
            Field::InputAudio => "input_audio",
            Field::PoseStyle => "pose_style",
            Field::ExpressionScale => "expression_scale",
            Field::Preprocess => "preprocess",
            Field::ImageSize => "image_size",
            Field::Enhancer => "enhancer",
            Field::Base64 => "base64",
        }
    }

    /// The field's name as the page labels it.
    pub fn label(self) -> &'static str {
        match self {
            Field::InputImage => "Portrait",
            Field::InputAudio => "Voice",
            Field::PoseStyle => "Pose style",
            Field::ExpressionScale => "Expression scale",
            Field::Preprocess => "Preprocess",
            Field::ImageSize => "Image size",
            Field::Enhancer => "Enhancer",
            Field::Base64 => "Base64 answer",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How the model prepares the portrait before animating it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Preprocess {
    Crop,
    Extcrop,
    Resize,
    #[default]
    Full,
    Extfull,
}

impl Preprocess {
    pub const ALL: [Preprocess; 5] = [
        Preprocess::Crop,
        Preprocess::Extcrop,
        Preprocess::Resize,
        Preprocess::Full,
        Preprocess::Extfull,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preprocess::Crop => "crop",
            Preprocess::Extcrop => "extcrop",
            Preprocess::Resize => "resize",
            Preprocess::Full => "full",
            Preprocess::Extfull => "extfull",
        }
    }

    /// Case-insensitive, surrounding space ignored.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(text))
    }
}

/// Resolution of the face renderer; sent as a JSON integer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ImageSize {
    #[default]
    Px256,
    Px512,
}

impl ImageSize {
    pub const ALL: [ImageSize; 2] = [ImageSize::Px256, ImageSize::Px512];

    pub fn pixels(self) -> u32 {
        match self {
            ImageSize::Px256 => 256,
            ImageSize::Px512 => 512,
        }
    }

    pub fn from_pixels(pixels: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|s| i64::from(s.pixels()) == pixels)
    }
}

impl Serialize for ImageSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.pixels())
    }
}

/// A validated body, ready to send. Field order and names match the API.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SadTalkerRequest {
    pub input_image: String,
    pub input_audio: String,
    pub pose_style: u8,
    pub expression_scale: f64,
    pub preprocess: Preprocess,
    pub image_size: ImageSize,
    pub enhancer: bool,
    pub base64: bool,
}

impl SadTalkerRequest {
    pub fn to_json(&self) -> String {
        // Serialising plain strings, integers, finite floats and bools cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The settings in one line, as shown beside a result.
    pub fn summary(&self) -> String {
        format!(
            "pose_style {} · expression_scale {} · preprocess {} · image_size {} · enhancer {}",
            self.pose_style,
            // serde_json's shortest float text; keeps core's float formatting out of the page.
            serde_json::Value::from(self.expression_scale),
            self.preprocess.as_str(),
            self.image_size.pixels(),
            if self.enhancer { "on" } else { "off" }
        )
    }

    /// A download name that says what made the file: `talking-head_2026-11-25_pose7_scale1.8_512px.mp4`.
    pub fn file_name(&self, date: &str) -> String {
        let scale = serde_json::Value::from(self.expression_scale).to_string();
        format!("talking-head_{date}_pose{}_scale{scale}_{}_{}px.mp4", self.pose_style, self.preprocess.as_str(), self.image_size.pixels())
    }
}

/// The form as entered: numbers stay text so a half-typed value is kept as is.
/// An empty number or choice means "the documented default".
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestDraft {
    pub input_image: String,
    pub input_audio: String,
    pub pose_style: String,
    pub expression_scale: String,
    pub preprocess: String,
    pub image_size: String,
    pub enhancer: bool,
    pub base64: bool,
}

impl Default for RequestDraft {
    fn default() -> Self {
        RequestDraft {
            input_image: String::new(),
            input_audio: String::new(),
            pose_style: POSE_STYLE_DEFAULT.to_string(),
            expression_scale: EXPRESSION_SCALE_DEFAULT_TEXT.to_string(),
            preprocess: Preprocess::default().as_str().to_string(),
            image_size: ImageSize::default().pixels().to_string(),
            enhancer: true,
            base64: false,
        }
    }
}

/// One problem with one field, worded so the person knows what to change.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum FieldError {
    #[error("{0} is required: give an http(s) URL or a data: URI.")]
    MissingUri(Field),
    #[error("{field} must be an http:// or https:// URL or a data: URI; \"{scheme}:\" is not allowed.")]
    UnsupportedScheme { field: Field, scheme: String },
    #[error("{field} must be a full URL such as https://example.com/file ({reason}).")]
    MalformedUrl { field: Field, reason: String },
    #[error("{field} is not a usable data: URI: it needs a type and content, like data:<type>;base64,<data>.")]
    MalformedDataUri { field: Field },
    #[error("{field} must be {expected}, but this data: URI says it holds \"{given}\".")]
    DataUriType { field: Field, expected: &'static str, given: String },
    #[error("{field}: the data: URI's content must be base64 (data:<type>;base64,…) and decode cleanly; this one does not ({reason}).")]
    DataUriBase64 { field: Field, reason: &'static str },
    #[error("Pose style must be a whole number from 0 to 45; \"{given}\" is not.")]
    PoseStyle { given: String },
    #[error("Expression scale must be a number from 1 to 3; \"{given}\" is not.")]
    ExpressionScale { given: String },
    #[error("Preprocess must be one of crop, extcrop, resize, full or extfull; \"{given}\" is not.")]
    Preprocess { given: String },
    #[error("Image size must be 256 or 512; \"{given}\" is not.")]
    ImageSize { given: String },
    #[error("{0} points at this computer or a private network, which the hosted model can't reach: use a public URL.")]
    NotPublic(Field),
    #[error("{field} must be {expected}.")]
    WrongType { field: Field, expected: &'static str },
    /// A local file that failed its checks (the message says why).
    #[error("{message}")]
    LocalFile { field: Field, message: String },
}

impl FieldError {
    /// The field the message belongs beside.
    pub fn field(&self) -> Field {
        match self {
            FieldError::MissingUri(field)
            | FieldError::UnsupportedScheme { field, .. }
            | FieldError::MalformedUrl { field, .. }
            | FieldError::MalformedDataUri { field }
            | FieldError::DataUriType { field, .. }
            | FieldError::DataUriBase64 { field, .. }
            | FieldError::NotPublic(field)
            | FieldError::WrongType { field, .. }
            | FieldError::LocalFile { field, .. } => *field,
            FieldError::PoseStyle { .. } => Field::PoseStyle,
            FieldError::ExpressionScale { .. } => Field::ExpressionScale,
            FieldError::Preprocess { .. } => Field::Preprocess,
            FieldError::ImageSize { .. } => Field::ImageSize,
        }
    }
}

impl RequestDraft {
    /// Every problem at once, or the request to send.
    pub fn validate(&self) -> Result<SadTalkerRequest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let input_image = keep(&mut errors, check_uri(Field::InputImage, &self.input_image));
        let input_audio = keep(&mut errors, check_uri(Field::InputAudio, &self.input_audio));
        let pose_style = keep(&mut errors, parse_pose_style(&self.pose_style));
        let expression_scale = keep(&mut errors, parse_expression_scale(&self.expression_scale));
        let preprocess = keep(&mut errors, parse_preprocess(&self.preprocess));
        let image_size = keep(&mut errors, parse_image_size(&self.image_size));
        match (input_image, input_audio, pose_style, expression_scale, preprocess, image_size) {
            (Some(input_image), Some(input_audio), Some(pose_style), Some(expression_scale), Some(preprocess), Some(image_size)) => {
                Ok(SadTalkerRequest {
                    input_image,
                    input_audio,
                    pose_style,
                    expression_scale,
                    preprocess,
                    image_size,
                    enhancer: self.enhancer,
                    base64: self.base64,
                })
            }
            _ => Err(errors),
        }
    }

    /// Reads a draft from JSON (the saved form, a JS caller's request). Strings
    /// and numbers are taken as text; a missing or mistyped member keeps its default.
    pub fn from_doc(doc: &JsonDoc) -> RequestDraft {
        let mut draft = RequestDraft::default();
        for field in Field::ALL {
            if let Some(text) = doc.get(field.json_name()).and_then(|v| v.as_text()) {
                draft.set_text(field, text);
            }
        }
        if let Some(on) = doc.get("enhancer").and_then(|v| v.as_bool()) {
            draft.enhancer = on;
        }
        if let Some(on) = doc.get("base64").and_then(|v| v.as_bool()) {
            draft.base64 = on;
        }
        draft
    }

    /// Reads a request handed over by code (the JS API): like
    /// [`RequestDraft::from_doc`], but a member of the wrong type is an error
    /// rather than a default, so a caller's mistake is not silently ignored.
    pub fn from_doc_strict(doc: &JsonDoc) -> (RequestDraft, Vec<FieldError>) {
        let draft = RequestDraft::from_doc(doc);
        let mut errors = Vec::new();
        for field in Field::ALL {
            let Some(value) = doc.get(field.json_name()).filter(|v| !v.is_null()) else { continue };
            let expected = match field {
                Field::Enhancer | Field::Base64 => (value.as_bool().is_none()).then_some("true or false"),
                Field::InputImage | Field::InputAudio | Field::Preprocess => (value.as_str().is_none()).then_some("a string"),
                Field::PoseStyle | Field::ExpressionScale | Field::ImageSize => (value.as_text().is_none()).then_some("a number"),
            };
            if let Some(expected) = expected {
                errors.push(FieldError::WrongType { field, expected });
            }
        }
        (draft, errors)
    }

    /// The text of one of the six text-valued fields (booleans give "").
    pub fn text(&self, field: Field) -> &str {
        match field {
            Field::InputImage => &self.input_image,
            Field::InputAudio => &self.input_audio,
            Field::PoseStyle => &self.pose_style,
            Field::ExpressionScale => &self.expression_scale,
            Field::Preprocess => &self.preprocess,
            Field::ImageSize => &self.image_size,
            Field::Enhancer | Field::Base64 => "",
        }
    }

    /// Sets a text-valued field exactly as typed; booleans are set directly.
    pub fn set_text(&mut self, field: Field, value: String) {
        match field {
            Field::InputImage => self.input_image = value,
            Field::InputAudio => self.input_audio = value,
            Field::PoseStyle => self.pose_style = value,
            Field::ExpressionScale => self.expression_scale = value,
            Field::Preprocess => self.preprocess = value,
            Field::ImageSize => self.image_size = value,
            Field::Enhancer | Field::Base64 => {}
        }
    }

    /// The first message for `field`, if any (what the page shows beside it).
    pub fn error_for(errors: &[FieldError], field: Field) -> Option<String> {
        errors.iter().find(|e| e.field() == field).map(ToString::to_string)
    }
}

/// A warning (not a refusal) for an audio URL whose file name has symbols
/// the provider says can make its ffmpeg fail.
pub fn audio_name_warning(uri: &str) -> Option<String> {
    let parsed = web_url::parse(uri.trim()).ok().filter(|u| matches!(u.scheme.as_str(), "http" | "https"))?;
    let path = parsed.href.split(['?', '#']).next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    let risky = name.chars().any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')));
    risky.then(|| {
        format!(
            "The file name \"{name}\" has special symbols (spaces, brackets, accents, %…), which can make the model's ffmpeg fail: \
             rename the file to letters, digits, '-' and '_' only."
        )
    })
}

/// The value, or `None` with its error collected.
fn keep<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

/// Inputs the hosted model could not fetch: URLs on this machine or a
/// private network. (The local stand-in and a proxy may well reach them.)
pub fn not_public_inputs(request: &SadTalkerRequest) -> Vec<FieldError> {
    [(Field::InputImage, &request.input_image), (Field::InputAudio, &request.input_audio)]
        .into_iter()
        .filter(|(_, uri)| web_url::parse(uri).is_ok_and(|u| u.is_private_host()))
        .map(|(field, _)| FieldError::NotPublic(field))
        .collect()
}

/// A URI the API can fetch: http(s) with a host, or a data: URI with content.
pub fn check_uri(field: Field, raw: &str) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldError::MissingUri(field));
    }
    if text.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:")) {
        return check_data_uri(field, text).map(|()| text.to_string());
    }
    let parsed = web_url::parse_web_address(text).map_err(|problem| match problem {
        AddressProblem::NotWeb(scheme) => FieldError::UnsupportedScheme { field, scheme },
        other => FieldError::MalformedUrl { field, reason: other.reason() },
    })?;
    Ok(parsed.href)
}

/// `data:<type>;base64,<content>`: a type that suits the field (an image for
/// the portrait, audio for the voice) and base64 that decodes. The bytes'
/// own checks (decodes as an image, length, silence…) follow in the page,
/// which treats a data: input like a chosen file.
fn check_data_uri(field: Field, text: &str) -> Result<(), FieldError> {
    // The page's own placeholders for checked local files.
    if text == LOCAL_IMAGE_MARKER || text == LOCAL_AUDIO_MARKER {
        return Ok(());
    }
    let rest = &text[5..];
    let (header, content) = rest.split_once(',').ok_or(FieldError::MalformedDataUri { field })?;
    let mut params = header.split(';');
    let mime = params.next().unwrap_or_default().trim().to_ascii_lowercase();
    if !mime.contains('/') || content.trim().is_empty() {
        return Err(FieldError::MalformedDataUri { field });
    }
    let (family, expected) = match field {
        Field::InputAudio => ("audio/", "audio (WAV or MP3)"),
        _ => ("image/", "an image"),
    };
    if !mime.starts_with(family) {
        return Err(FieldError::DataUriType { field, expected, given: mime });
    }
    if !params.any(|p| p.trim().eq_ignore_ascii_case("base64")) {
        return Err(FieldError::DataUriBase64 { field, reason: "it is not marked ;base64" });
    }
    base64_problem(content).map_or(Ok(()), |reason| Err(FieldError::DataUriBase64 { field, reason }))
}

/// Why `content` is not standard base64 (whitespace allowed), if it is not.
pub fn base64_problem(content: &str) -> Option<&'static str> {
    let mut symbols = 0usize;
    let mut padding = 0usize;
    for byte in content.bytes() {
        match byte {
            b' ' | b'\n' | b'\r' | b'\t' => {}
            b'=' => padding += 1,
            _ if padding > 0 => return Some("padding in the middle"),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => symbols += 1,
            _ => return Some("characters that are not base64"),
        }
    }
    if padding > 2 || (padding > 0 && (symbols + padding) % 4 != 0) || symbols % 4 == 1 {
        return Some("its length is not that of base64");
    }
    (symbols == 0).then_some("it is empty")
}

/// A whole number given as text; "4" and "4.0" both count (a JSON number may arrive either way).
fn parse_whole(text: &str) -> Option<i64> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    let x = text.parse::<f64>().ok()?;
    (x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15).then_some(x as i64)
}

fn parse_pose_style(raw: &str) -> Result<u8, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(POSE_STYLE_DEFAULT);
    }
    parse_whole(text)
        .filter(|n| (POSE_STYLE_MIN..=POSE_STYLE_MAX).contains(n))
        .and_then(|n| u8::try_from(n).ok())
        .ok_or_else(|| FieldError::PoseStyle { given: text.to_string() })
}

fn parse_expression_scale(raw: &str) -> Result<f64, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(EXPRESSION_SCALE_DEFAULT);
    }
    text.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && (EXPRESSION_SCALE_MIN..=EXPRESSION_SCALE_MAX).contains(x))
        .ok_or_else(|| FieldError::ExpressionScale { given: text.to_string() })
}

fn parse_preprocess(raw: &str) -> Result<Preprocess, FieldError> {
    if raw.trim().is_empty() {
        return Ok(Preprocess::default());
    }
    Preprocess::parse(raw).ok_or_else(|| FieldError::Preprocess { given: raw.trim().to_string() })
}

fn parse_image_size(raw: &str) -> Result<ImageSize, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(ImageSize::default());
    }
    parse_whole(text)
        .and_then(ImageSize::from_pixels)
        .ok_or_else(|| FieldError::ImageSize { given: text.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run in headless Chromium: `cargo test --target wasm32-unknown-unknown --lib`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn valid_draft() -> RequestDraft {
        RequestDraft {
            input_image: "https://example.com/face.png".into(),
            input_audio: "https://example.com/voice.mp3".into(),
            ..RequestDraft::default()
        }
    }

    fn errors_of(draft: &RequestDraft) -> Vec<FieldError> {
        draft.validate().expect_err("draft should be invalid")
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let request = valid_draft().validate().expect("valid");
        assert_eq!(request.pose_style, 4);
        assert_eq!(request.expression_scale, 1.4);
        assert_eq!(request.preprocess, Preprocess::Full);
        assert_eq!(request.image_size, ImageSize::Px256);
        assert!(request.enhancer);
        assert!(!request.base64);
    }

    #[test]
    fn serialises_all_eight_fields_under_their_json_names() {
        let request = valid_draft().validate().expect("valid");
        let json: serde_json::Value = serde_json::from_str(&request.to_json()).expect("json");
        let object = json.as_object().expect("object");
        let mut names: Vec<_> = object.keys().cloned().collect();
        names.sort();
        let mut expected: Vec<_> = Field::ALL.iter().map(|f| f.json_name().to_string()).collect();
        expected.sort();
        assert_eq!(names, expected);
        assert_eq!(json["image_size"], serde_json::json!(256), "image_size is a JSON integer");
        assert_eq!(json["pose_style"], serde_json::json!(4));
        assert_eq!(json["expression_scale"], serde_json::json!(1.4));
        assert_eq!(json["preprocess"], serde_json::json!("full"));
        assert_eq!(json["enhancer"], serde_json::json!(true));
        assert_eq!(json["base64"], serde_json::json!(false));
    }

    #[test]
    fn empty_numbers_and_choices_mean_the_defaults() {
        let draft = RequestDraft {
            pose_style: " ".into(),
            expression_scale: String::new(),
            preprocess: String::new(),
            image_size: String::new(),
            ..valid_draft()
        };
        let request = draft.validate().expect("valid");
        assert_eq!((request.pose_style, request.expression_scale), (4, 1.4));
        assert_eq!((request.preprocess, request.image_size), (Preprocess::Full, ImageSize::Px256));
    }

    #[test]
    fn pose_style_bounds_both_sides() {
        for ok in ["0", "45", "1", "44", "4.0", " 7 "] {
            let draft = RequestDraft { pose_style: ok.into(), ..valid_draft() };
            assert!(draft.validate().is_ok(), "{ok} should be accepted");
        }
        for bad in ["-1", "46", "4.5", "abc", "1e3", "NaN", "999999999999999999999"] {
            let draft = RequestDraft { pose_style: bad.into(), ..valid_draft() };
            let errors = errors_of(&draft);
            assert_eq!(errors.len(), 1, "{bad}");
            assert_eq!(errors[0].field(), Field::PoseStyle);
            assert!(errors[0].to_string().contains("0 to 45"), "{}", errors[0]);
        }
    }

    #[test]
    fn expression_scale_bounds_both_sides() {
        for ok in ["1", "3", "1.0", "2.999", "1.4", "1.001"] {
            let draft = RequestDraft { expression_scale: ok.into(), ..valid_draft() };
            assert!(draft.validate().is_ok(), "{ok} should be accepted");
        }
        for bad in ["0.999", "3.001", "0", "-2", "inf", "NaN", "x"] {
            let draft = RequestDraft { expression_scale: bad.into(), ..valid_draft() };
            let errors = errors_of(&draft);
            assert_eq!(errors[0].field(), Field::ExpressionScale, "{bad}");
            assert!(errors[0].to_string().contains("from 1 to 3"));
        }
    }

    #[test]
    fn preprocess_accepts_the_five_and_nothing_else() {
        for p in Preprocess::ALL {
            let draft = RequestDraft { preprocess: p.as_str().to_uppercase(), ..valid_draft() };
            assert_eq!(draft.validate().expect("valid").preprocess, p);
        }
        let draft = RequestDraft { preprocess: "fill".into(), ..valid_draft() };
        let errors = errors_of(&draft);
        assert_eq!(errors[0].field(), Field::Preprocess);
        assert!(errors[0].to_string().contains("\"fill\""));
    }

    #[test]
    fn image_size_is_256_or_512_and_reads_the_string_form() {
        for (text, size) in [("256", ImageSize::Px256), ("512", ImageSize::Px512), ("512.0", ImageSize::Px512)] {
            let draft = RequestDraft { image_size: text.into(), ..valid_draft() };
            assert_eq!(draft.validate().expect("valid").image_size, size);
        }
        for bad in ["255", "257", "511", "513", "1024", "0", "big"] {
            let draft = RequestDraft { image_size: bad.into(), ..valid_draft() };
            assert_eq!(errors_of(&draft)[0].field(), Field::ImageSize, "{bad}");
        }
    }

    #[test]
    fn uris_must_be_http_https_or_data() {
        for ok in [
            "http://127.0.0.1:8787/samples/portrait.jpg",
            "https://example.com/a.png?x=1",
            "data:image/png;base64,iVBORw0KGgo=",
            "DATA:IMAGE/JPEG;BASE64,/9j/4AAQ",
        ] {
            let draft = RequestDraft { input_image: ok.into(), ..valid_draft() };
            assert!(draft.validate().is_ok(), "{ok} should be accepted");
        }
        let cases = [
            ("", "is required"),
            ("   ", "is required"),
            ("javascript:alert(1)", "\"javascript:\" is not allowed"),
            ("file:///etc/passwd", "\"file:\" is not allowed"),
            ("ftp://example.com/a.png", "\"ftp:\" is not allowed"),
            ("face.png", "no http:// or https://"),
            ("/samples/face.png", "no http:// or https://"),
            ("http://", "full URL"),
            ("data:,", "data: URI"),
            ("data:image/png;base64,", "data: URI"),
            ("data:image/png;base64", "data: URI"),
            ("data:text/html,<script>alert(1)</script>", "must be an image"),
            ("data:audio/mpeg;base64,SUQz", "must be an image"),
            ("data:image/png;base64,!!!!", "not base64"),
            ("data:image/png;base64,iVBORw0KG", "length"),
            ("data:image/png;base64,iVB=ORw0", "padding"),
            ("data:image/png,rawbytes", "not marked ;base64"),
            ("data:image/svg+xml;base64,====", "length"),
        ];
        for (bad, expected) in cases {
            let draft = RequestDraft { input_image: bad.into(), ..valid_draft() };
            let errors = errors_of(&draft);
            assert_eq!(errors.len(), 1, "{bad:?}");
            assert_eq!(errors[0].field(), Field::InputImage, "{bad:?}");
            let message = errors[0].to_string();
            assert!(message.contains(expected), "{bad:?}: {message}");
            assert!(message.starts_with("Portrait"), "names its field: {message}");
        }
    }

    #[test]
    fn a_data_voice_must_be_audio_in_base64() {
        let with_audio = |uri: &str| errors_of(&RequestDraft { input_audio: uri.into(), ..valid_draft() });
        let valid = |uri: &str| RequestDraft { input_audio: uri.into(), ..valid_draft() }.validate().is_ok();
        assert!(valid("data:audio/wav;base64,UklGRg=="));
        assert!(valid(LOCAL_AUDIO_MARKER), "the page's own placeholder");
        let errors = with_audio("data:image/png;base64,iVBORw0KGgo=");
        assert_eq!(errors[0].field(), Field::InputAudio);
        assert!(errors[0].to_string().contains("must be audio"), "{}", errors[0]);
        assert_eq!(base64_problem("aGVsbG8gdmlkZW8h"), None);
        assert_eq!(base64_problem("aGVs\nbG8="), None, "line breaks are allowed");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let draft = RequestDraft {
            input_image: String::new(),
            input_audio: "ftp://x/y.mp3".into(),
            pose_style: "50".into(),
            expression_scale: "9".into(),
            preprocess: "zoom".into(),
            image_size: "300".into(),
            enhancer: false,
            base64: true,
        };
        let fields: Vec<Field> = errors_of(&draft).iter().map(FieldError::field).collect();
        assert_eq!(
            fields,
            [Field::InputImage, Field::InputAudio, Field::PoseStyle, Field::ExpressionScale, Field::Preprocess, Field::ImageSize]
        );
        let errors = errors_of(&draft);
        assert!(RequestDraft::error_for(&errors, Field::Preprocess).is_some_and(|m| m.contains("zoom")));
        assert_eq!(RequestDraft::error_for(&errors, Field::Enhancer), None);
    }

    #[test]
    fn text_fields_are_read_and_written_by_name() {
        let mut draft = RequestDraft::default();
        for field in Field::ALL {
            draft.set_text(field, format!("typed {}", field.json_name()));
        }
        assert_eq!(draft.text(Field::PoseStyle), "typed pose_style");
        assert_eq!(draft.input_audio, "typed input_audio");
        assert_eq!(draft.text(Field::Enhancer), "");
        assert!(draft.enhancer, "booleans are not set through text");
    }

    #[test]
    fn local_and_private_urls_are_flagged_for_the_hosted_model() {
        let mut draft = valid_draft();
        assert!(not_public_inputs(&draft.validate().expect("valid")).is_empty());
        for host in ["127.0.0.1:8787", "localhost", "10.1.2.3", "192.168.0.9", "[::1]", "studio.local", "nas"] {
            draft.input_audio = format!("http://{host}/voice.mp3");
            let problems = not_public_inputs(&draft.validate().expect("valid"));
            assert_eq!(problems, [FieldError::NotPublic(Field::InputAudio)], "{host}");
            assert!(problems[0].to_string().starts_with("Voice points at this computer"));
        }
        draft.input_audio = "data:audio/mpeg;base64,SUQz".into();
        assert!(not_public_inputs(&draft.validate().expect("valid")).is_empty(), "inline data is always reachable");
    }

    #[test]
    fn summary_and_file_name_name_the_settings() {
        let draft = RequestDraft { pose_style: "7".into(), expression_scale: "1.8".into(), image_size: "512".into(), enhancer: false, ..valid_draft() };
        let request = draft.validate().expect("valid");
        assert_eq!(request.summary(), "pose_style 7 · expression_scale 1.8 · preprocess full · image_size 512 · enhancer off");
        assert_eq!(request.file_name("2026-11-25"), "talking-head_2026-11-25_pose7_scale1.8_full_512px.mp4");
        assert_eq!(RequestDraft::default().expression_scale.parse::<f64>().ok(), Some(EXPRESSION_SCALE_DEFAULT));
    }

    #[test]
    fn code_callers_get_type_errors_instead_of_defaults() {
        let doc = JsonDoc::parse(r#"{"input_image":"https://e.com/a.png","input_audio":5,"pose_style":"7","enhancer":"yes","base64":null}"#).expect("json");
        let (draft, errors) = RequestDraft::from_doc_strict(&doc);
        assert_eq!(draft.pose_style, "7", "a numeric string is read as text");
        assert_eq!(
            errors,
            [
                FieldError::WrongType { field: Field::InputAudio, expected: "a string" },
                FieldError::WrongType { field: Field::Enhancer, expected: "true or false" },
            ]
        );
        assert_eq!(errors[1].to_string(), "Enhancer must be true or false.");
    }

    #[test]
    fn audio_file_names_with_symbols_get_a_warning() {
        assert_eq!(audio_name_warning("https://example.com/clips/voice_01-final.mp3"), None);
        assert_eq!(audio_name_warning("https://example.com/clips/voice.mp3?sig=a%20b"), None, "the query is not the name");
        for risky in ["https://example.com/my%20voice.mp3", "https://example.com/voice(1).wav", "https://example.com/caf%C3%A9.mp3"] {
            let warning = audio_name_warning(risky).expect(risky);
            assert!(warning.contains("special symbols") && warning.contains("rename"), "{warning}");
        }
        assert_eq!(audio_name_warning("data:audio/mpeg;base64,SUQz"), None);
        assert_eq!(audio_name_warning("not a url"), None);
    }

    #[test]
    fn booleans_pass_through() {
        let draft = RequestDraft { enhancer: false, base64: true, ..valid_draft() };
        let request = draft.validate().expect("valid");
        assert!(!request.enhancer && request.base64);
    }

    #[test]
    fn draft_round_trips_through_json_and_fills_missing_fields() {
        let draft = RequestDraft { pose_style: "12".into(), enhancer: false, base64: true, ..valid_draft() };
        let text = serde_json::to_string(&draft).expect("json");
        assert_eq!(RequestDraft::from_doc(&JsonDoc::parse(&text).expect("parses")), draft);
        let partial = RequestDraft::from_doc(&JsonDoc::parse(r#"{"input_image":"x","image_size":512,"expression_scale":2.5}"#).expect("parses"));
        assert_eq!((partial.pose_style.as_str(), partial.image_size.as_str(), partial.expression_scale.as_str()), ("4", "512", "2.5"));
        assert!(partial.enhancer);
    }
}
