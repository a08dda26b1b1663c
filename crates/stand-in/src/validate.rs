//! The stand-in's own reading of a request body, written from the API's
//! contract rather than shared with the page, so tests of the page's
//! validation are checked against an independent server.

use serde_json::{Map, Value};

#[derive(Clone)]
pub struct ParsedRequest {
    pub input_image: String,
    pub input_audio: String,
    pub image_size: u32,
    pub base64: bool,
}

/// The request, or the 400 message naming the field at fault.
pub fn parse(body: &[u8]) -> Result<ParsedRequest, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("Request body is not valid JSON: {e}"))?;
    let object = value.as_object().ok_or("Request body must be a JSON object")?;
    let input_image = required_string(object, "input_image")?;
    let input_audio = required_string(object, "input_audio")?;
    if let Some(v) = object.get("pose_style") {
        let n = whole_number(v).filter(|n| (0..=45).contains(n));
        n.ok_or("pose_style must be an integer between 0 and 45")?;
    }
    if let Some(v) = object.get("expression_scale") {
        let ok = v.as_f64().is_some_and(|x| (1.0..=3.0).contains(&x));
        if !ok {
            return Err("expression_scale must be a number between 1 and 3".into());
        }
    }
    if let Some(v) = object.get("preprocess") {
        let ok = v.as_str().is_some_and(|p| ["crop", "extcrop", "resize", "full", "extfull"].contains(&p));
        if !ok {
            return Err("preprocess must be one of crop, extcrop, resize, full, extfull".into());
        }
    }
    let image_size = match object.get("image_size") {
        None => 256,
        // The provider's sample sends "256"; accept that form too.
        Some(v) => match whole_number(v).or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())) {
            Some(256) => 256,
            Some(512) => 512,
            _ => return Err("image_size must be 256 or 512".into()),
        },
    };
    for flag in ["enhancer", "base64"] {
        if object.get(flag).is_some_and(|v| !v.is_boolean()) {
            return Err(format!("{flag} must be true or false"));
        }
    }
    let base64 = object.get("base64").and_then(Value::as_bool).unwrap_or(false);
    Ok(ParsedRequest { input_image, input_audio, image_size, base64 })
}

fn required_string(object: &Map<String, Value>, field: &str) -> Result<String, String> {
    match object.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) | None => Err(format!("{field} is required")),
        Some(_) => Err(format!("{field} must be a string (a URL or base64 data)")),
    }
}

fn whole_number(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().filter(|x| x.fract() == 0.0).map(|x| x as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_json(value: Value) -> Result<ParsedRequest, String> {
        parse(value.to_string().as_bytes())
    }

    #[test]
    fn names_the_field_at_fault() {
        let base = serde_json::json!({ "input_image": "http://x/a.png", "input_audio": "http://x/a.mp3" });
        assert!(parse_json(base.clone()).is_ok());
        for (field, bad, expected) in [
            ("pose_style", serde_json::json!(46), "pose_style"),
            ("pose_style", serde_json::json!(2.5), "pose_style"),
            ("expression_scale", serde_json::json!(0.5), "expression_scale"),
            ("preprocess", serde_json::json!("zoom"), "preprocess"),
            ("image_size", serde_json::json!(300), "image_size"),
            ("enhancer", serde_json::json!("yes"), "enhancer"),
            ("input_image", serde_json::json!(""), "input_image is required"),
            ("input_audio", serde_json::json!(5), "input_audio must be a string"),
        ] {
            let mut body = base.clone();
            body[field] = bad;
            let message = parse_json(body).err().unwrap_or_default();
            assert!(message.contains(expected), "{field}: {message}");
        }
        assert!(parse(b"not json").err().unwrap_or_default().contains("not valid JSON"));
    }

    #[test]
    fn image_size_accepts_the_string_form() {
        let body = serde_json::json!({ "input_image": "a", "input_audio": "b", "image_size": "512" });
        assert_eq!(parse_json(body).map(|r| r.image_size), Ok(512));
    }
}
