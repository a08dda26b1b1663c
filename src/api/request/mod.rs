//! The SadTalker request body: its eight fields under their JSON names, the
//! documented defaults, and validation that reports every problem at once.
//!
//! A [`RequestDraft`] is what a person typed (or a JS caller passed): every
//! value still text, so nothing they entered is lost while it is wrong.
//! [`RequestDraft::validate`] turns it into a [`NormalizedRequest`], the only
//! type the transport accepts, or into the list of [`FieldError`]s.

//!
//! - [`body`]: the fields, their documented bounds and defaults, the body sent;
//! - [`draft`]: the form as typed, and its validation into a request;
//! - [`uri`]: the checks of the two inputs (web addresses, data: URIs).

mod body;
mod draft;
mod uri;

pub use body::*;
pub use draft::*;
pub use uri::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::json_doc::JsonDoc;
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
        assert!(!valid("data:application/x-local-audio;base64,AA=="), "no placeholder passes for audio");
        let errors = with_audio("data:image/png;base64,iVBORw0KGgo=");
        assert_eq!(errors[0].field(), Field::InputAudio);
        assert!(errors[0].to_string().contains("must be audio"), "{}", errors[0]);
        assert_eq!(base64_problem("aGVsbG8gdmlkZW8h"), None);
        assert_eq!(base64_problem("aGVs\nbG8="), None, "line breaks are allowed");
    }

    #[test]
    fn a_local_file_stands_for_its_field_as_a_typed_source() {
        let draft = RequestDraft { input_image: String::new(), input_audio: "not a url".into(), ..valid_draft() };
        let request = draft.validate_with(Some("me.jpg"), Some("hello.wav")).expect("the files stand for both inputs");
        assert_eq!(request.input_image, InputSource::LocalFile { name: "me.jpg".into() });
        assert_eq!(request.local_files().collect::<Vec<_>>(), [Field::InputImage, Field::InputAudio]);
        let json = request.to_json();
        assert!(json.starts_with(r#"{"input_image":null,"input_audio":null,"pose_style":4"#), "a local file has no JSON form of its own: {json}");
        assert_eq!(request.settings_tail(), json.split_once(r#""input_audio":null"#).map(|(_, t)| t.to_string()).expect("tail"));
        let only_voice = RequestDraft { input_audio: String::new(), ..valid_draft() }.validate_with(None, Some("v.wav")).expect("ok");
        assert_eq!(only_voice.input_image.address(), Some("https://example.com/face.png"));
        assert!(not_public_inputs(&only_voice).is_empty(), "a local file is not an address");
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

