//! The form as typed (every value still text, so nothing is lost while it is
//! wrong), and its validation into a [`NormalizedRequest`] or every problem at once.

use serde::Serialize;
use thiserror::Error;

use super::body::*;
use super::uri::check_uri;
use crate::browser::json_doc::JsonDoc;

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
    pub fn validate(&self) -> Result<NormalizedRequest, Vec<FieldError>> {
        self.validate_with(None, None)
    }

    /// As [`RequestDraft::validate`], with a checked local file (by name)
    /// standing for the portrait and/or the voice instead of its text.
    pub fn validate_with(&self, local_image: Option<&str>, local_audio: Option<&str>) -> Result<NormalizedRequest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let input = |errors: &mut Vec<FieldError>, field: Field, text: &str, local: Option<&str>| match local {
            Some(name) => Some(InputSource::LocalFile { name: name.to_string() }),
            None => keep(errors, check_uri(field, text).map(InputSource::Address)),
        };
        let input_image = input(&mut errors, Field::InputImage, &self.input_image, local_image);
        let input_audio = input(&mut errors, Field::InputAudio, &self.input_audio, local_audio);
        let pose_style = keep(&mut errors, parse_pose_style(&self.pose_style));
        let expression_scale = keep(&mut errors, parse_expression_scale(&self.expression_scale));
        let preprocess = keep(&mut errors, parse_preprocess(&self.preprocess));
        let image_size = keep(&mut errors, parse_image_size(&self.image_size));
        match (input_image, input_audio, pose_style, expression_scale, preprocess, image_size) {
            (Some(input_image), Some(input_audio), Some(pose_style), Some(expression_scale), Some(preprocess), Some(image_size)) => {
                Ok(NormalizedRequest {
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
    /// The framing settings as typed, or their defaults while they are not
    /// valid (the previews follow the form without waiting for it to be right).
    pub fn framing_settings(&self) -> (ImageSize, Preprocess) {
        let image_size = self.image_size.trim().parse::<i64>().ok().and_then(ImageSize::from_pixels).unwrap_or_default();
        (image_size, Preprocess::parse(&self.preprocess).unwrap_or_default())
    }

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

/// The value, or `None` with its error collected.
fn keep<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

/// A whole number given as text; "4" and "4.0" both count (a JSON number may arrive either way).
fn parse_whole(text: &str) -> Option<i64> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    let x = crate::api::number::parse_f64(text)?;
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
    crate::api::number::parse_f64(text)
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
