//! The two inputs' checks: an http(s) address the model can fetch, or a
//! data: URI of the field's type in valid base64; flags for addresses the
//! hosted model can't reach and for audio file names its ffmpeg dislikes.

use super::body::{Field, NormalizedRequest};
use super::draft::FieldError;
use crate::browser::web_url::{self, AddressProblem};

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

/// Inputs the hosted model could not fetch: URLs on this machine or a
/// private network. (The local stand-in and a proxy may well reach them.)
pub fn not_public_inputs(request: &NormalizedRequest) -> Vec<FieldError> {
    [(Field::InputImage, &request.input_image), (Field::InputAudio, &request.input_audio)]
        .into_iter()
        .filter(|(_, input)| input.address().is_some_and(|uri| web_url::parse(uri).is_ok_and(|u| u.is_private_host())))
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
    if padding > 2 || (padding > 0 && !(symbols + padding).is_multiple_of(4)) || symbols % 4 == 1 {
        return Some("its length is not that of base64");
    }
    (symbols == 0).then_some("it is empty")
}
