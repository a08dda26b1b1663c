//! What the page sends, decided in one place: the form as typed, with a
//! checked local file standing for an input, and the endpoint's own rule
//! (the hosted model can't fetch addresses on this machine). Plain types,
//! so the rule is tested on the host; the components only feed it signals.

use crate::api::endpoint::EndpointKind;
use crate::api::request::{check_uri, not_public_inputs, Field, FieldError, RequestDraft, NormalizedRequest};

/// Where a local file chosen for an input stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalCheck {
    /// Still being checked.
    Checking(String),
    /// Accepted: it stands for the input.
    Ready(String),
    /// Refused, with the reason shown at the field.
    Refused(String, String),
}

/// The request to send for `draft` with the local files chosen for the
/// portrait and the voice, on an endpoint of `kind`, or every problem.
pub fn checked_request(
    draft: &RequestDraft,
    image: Option<&LocalCheck>,
    audio: Option<&LocalCheck>,
    kind: EndpointKind,
) -> Result<NormalizedRequest, Vec<FieldError>> {
    let mut local_problems = Vec::new();
    let mut name = |field: Field, local: Option<&LocalCheck>| {
        local.map(|check| match check {
            LocalCheck::Ready(name) => name.clone(),
            LocalCheck::Checking(name) => {
                local_problems.push(FieldError::LocalFile { field, message: format!("Checking {name}…") });
                name.clone()
            }
            LocalCheck::Refused(name, message) => {
                local_problems.push(FieldError::LocalFile { field, message: message.clone() });
                name.clone()
            }
        })
    };
    let (image_name, audio_name) = (name(Field::InputImage, image), name(Field::InputAudio, audio));
    let request = draft.validate_with(image_name.as_deref(), audio_name.as_deref()).map_err(|mut errors| {
        errors.extend(local_problems.clone());
        errors
    })?;
    if !local_problems.is_empty() {
        return Err(local_problems);
    }
    let problems = match kind {
        EndpointKind::Segmind => not_public_inputs(&request),
        EndpointKind::StandIn | EndpointKind::Proxy => Vec::new(),
    };
    if problems.is_empty() {
        Ok(request)
    } else {
        Err(problems)
    }
}

/// The address to preview (and face-check) for an input typed as text: a
/// valid web address, as the browser will fetch it; nothing while the text
/// is not one yet (no fetching half-typed addresses).
pub fn previewable_address(field: Field, text: &str) -> Option<String> {
    let text = text.trim();
    if text.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:")) {
        return None;
    }
    check_uri(field, text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn draft(image: &str) -> RequestDraft {
        RequestDraft { input_image: image.into(), input_audio: "https://example.com/v.mp3".into(), ..RequestDraft::default() }
    }

    #[test]
    fn only_a_valid_web_address_is_previewed() {
        assert_eq!(previewable_address(Field::InputImage, " https://example.com/a.jpg ").as_deref(), Some("https://example.com/a.jpg"));
        assert_eq!(previewable_address(Field::InputImage, "https://"), None);
        assert_eq!(previewable_address(Field::InputImage, "javascript:alert(1)"), None);
        assert_eq!(previewable_address(Field::InputImage, "data:image/png;base64,AAAA"), None, "data: inputs become local files");
        assert_eq!(previewable_address(Field::InputImage, ""), None);
    }

    #[test]
    fn a_ready_file_stands_for_its_input_whatever_the_text() {
        let ready = LocalCheck::Ready("me.jpg".into());
        let request = checked_request(&draft(""), Some(&ready), None, EndpointKind::Segmind).expect("ok");
        assert!(request.input_image.address().is_none());
    }

    #[test]
    fn a_file_being_checked_or_refused_blocks_at_its_field() {
        let checking = LocalCheck::Checking("big.wav".into());
        let errors = checked_request(&draft("https://example.com/a.png"), None, Some(&checking), EndpointKind::StandIn).expect_err("blocked");
        assert_eq!((errors[0].field(), errors[0].to_string()), (Field::InputAudio, "Checking big.wav…".to_string()));
        let refused = LocalCheck::Refused("doc.pdf".into(), "This is not an image.".into());
        let errors = checked_request(&draft(""), Some(&refused), None, EndpointKind::StandIn).expect_err("refused");
        assert_eq!(errors.len(), 1, "the empty address is not blamed too: {errors:?}");
        assert_eq!(errors[0].to_string(), "This is not an image.");
    }

    #[test]
    fn private_addresses_are_refused_only_for_the_hosted_model() {
        let local = draft("http://127.0.0.1:8787/samples/portrait.jpg");
        assert!(checked_request(&local, None, None, EndpointKind::StandIn).is_ok());
        assert!(checked_request(&local, None, None, EndpointKind::Proxy).is_ok());
        let errors = checked_request(&local, None, None, EndpointKind::Segmind).expect_err("not public");
        assert_eq!(errors[0], FieldError::NotPublic(Field::InputImage));
    }

    #[test]
    fn form_errors_and_file_problems_are_reported_together() {
        let bad = RequestDraft { pose_style: "99".into(), ..draft("") };
        let refused = LocalCheck::Refused("x.wav".into(), "Silent.".into());
        let errors = checked_request(&bad, None, Some(&refused), EndpointKind::StandIn).expect_err("both");
        let fields: Vec<Field> = errors.iter().map(FieldError::field).collect();
        assert!(fields.contains(&Field::InputImage) && fields.contains(&Field::PoseStyle) && fields.contains(&Field::InputAudio), "{fields:?}");
    }
}
