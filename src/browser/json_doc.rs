//! Reading JSON someone else wrote (a server's error body, the saved form, a
//! JS caller's request) through one small interface: in the page it is the
//! browser's own `JSON.parse` (so no JSON parser ships in the wasm: ~15 KB
//! gzipped), on the host `serde_json`. Writing JSON stays with serde.

/// A parsed JSON value.
#[derive(Clone, Debug)]
pub struct JsonDoc(backend::Value);

impl JsonDoc {
    pub fn parse(text: &str) -> Option<JsonDoc> {
        backend::parse(text).map(JsonDoc)
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<JsonDoc> {
        backend::get(&self.0, key).map(JsonDoc)
    }

    pub fn as_str(&self) -> Option<String> {
        backend::as_str(&self.0)
    }

    /// The element `index` of an array.
    pub fn get_index(&self, index: usize) -> Option<JsonDoc> {
        backend::get_index(&self.0, index).map(JsonDoc)
    }

    pub fn as_bool(&self) -> Option<bool> {
        backend::as_bool(&self.0)
    }

    /// A string as is, a number in its shortest text form ("4", "1.4").
    pub fn as_text(&self) -> Option<String> {
        self.as_str().or_else(|| backend::number_text(&self.0))
    }

    pub fn is_null(&self) -> bool {
        backend::is_null(&self.0)
    }

    pub fn is_object(&self) -> bool {
        backend::is_object(&self.0)
    }

    /// The value written back as compact JSON.
    pub fn to_json(&self) -> String {
        backend::to_json(&self.0)
    }
}

#[cfg(target_arch = "wasm32")]
impl JsonDoc {
    /// A value handed over from JavaScript (the JS API's arguments).
    pub fn from_js(value: wasm_bindgen::JsValue) -> JsonDoc {
        JsonDoc(value)
    }
}

#[cfg(target_arch = "wasm32")]
mod backend {
    use js_sys::{Reflect, JSON};
    use wasm_bindgen::{JsCast, JsValue};

    pub type Value = JsValue;

    pub fn parse(text: &str) -> Option<Value> {
        JSON::parse(text).ok()
    }

    pub fn get(value: &Value, key: &str) -> Option<Value> {
        if !is_object(value) {
            return None;
        }
        let member = Reflect::get(value, &JsValue::from_str(key)).ok()?;
        (!member.is_undefined()).then_some(member)
    }

    pub fn as_str(value: &Value) -> Option<String> {
        value.as_string()
    }

    pub fn get_index(value: &Value, index: usize) -> Option<Value> {
        let array = value.dyn_ref::<js_sys::Array>()?;
        (index < array.length() as usize).then(|| array.get(index as u32))
    }

    pub fn as_bool(value: &Value) -> Option<bool> {
        value.as_bool()
    }

    pub fn number_text(value: &Value) -> Option<String> {
        let n = value.as_f64().filter(|n| n.is_finite())?;
        Some(String::from(js_sys::Number::from(n).to_string_with_radix(10).ok()?))
    }

    pub fn is_null(value: &Value) -> bool {
        value.is_null() || value.is_undefined()
    }

    pub fn is_object(value: &Value) -> bool {
        value.is_object() && !js_sys::Array::is_array(value) && value.dyn_ref::<js_sys::Function>().is_none()
    }

    pub fn to_json(value: &Value) -> String {
        JSON::stringify(value).ok().map(String::from).unwrap_or_default()
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod backend {
    pub type Value = serde_json::Value;

    pub fn parse(text: &str) -> Option<Value> {
        serde_json::from_str(text).ok()
    }

    pub fn get(value: &Value, key: &str) -> Option<Value> {
        value.as_object()?.get(key).cloned()
    }

    pub fn as_str(value: &Value) -> Option<String> {
        value.as_str().map(str::to_string)
    }

    pub fn get_index(value: &Value, index: usize) -> Option<Value> {
        value.as_array()?.get(index).cloned()
    }

    pub fn as_bool(value: &Value) -> Option<bool> {
        value.as_bool()
    }

    pub fn number_text(value: &Value) -> Option<String> {
        let n = value.as_f64()?;
        // The same text JavaScript's String(n) gives: "4" for 4.0, "1.4" for 1.4.
        Some(if n.fract() == 0.0 && n.abs() < 1e15 { (n as i64).to_string() } else { value.to_string() })
    }

    pub fn is_null(value: &Value) -> bool {
        value.is_null()
    }

    pub fn is_object(value: &Value) -> bool {
        value.is_object()
    }

    pub fn to_json(value: &Value) -> String {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn both_backends_read_the_same_way() {
        let doc = JsonDoc::parse(r#"{"a":"text","n":4,"f":1.4,"whole":4.0,"t":true,"z":null,"o":{"m":"deep"},"l":[1]}"#).expect("parses");
        assert!(doc.is_object());
        assert_eq!(doc.get("a").and_then(|v| v.as_str()).as_deref(), Some("text"));
        assert_eq!(doc.get("n").and_then(|v| v.as_text()).as_deref(), Some("4"));
        assert_eq!(doc.get("f").and_then(|v| v.as_text()).as_deref(), Some("1.4"));
        assert_eq!(doc.get("whole").and_then(|v| v.as_text()).as_deref(), Some("4"));
        assert_eq!(doc.get("t").and_then(|v| v.as_bool()), Some(true));
        assert!(doc.get("z").is_some_and(|v| v.is_null()));
        assert_eq!(doc.get("o").and_then(|o| o.get("m")).and_then(|v| v.as_str()).as_deref(), Some("deep"));
        assert!(doc.get("missing").is_none());
        assert!(!doc.get("l").is_some_and(|v| v.is_object()), "an array is not an object");
        assert_eq!(doc.get("l").and_then(|l| l.get_index(0)).and_then(|v| v.as_text()).as_deref(), Some("1"));
        assert!(doc.get("l").and_then(|l| l.get_index(1)).is_none());
        assert_eq!(doc.get("a").and_then(|v| v.as_bool()), None);
        assert_eq!(JsonDoc::parse(r#"{"k":[1,2]}"#).map(|d| d.to_json()).as_deref(), Some(r#"{"k":[1,2]}"#));
    }

    #[test]
    fn bad_json_is_none() {
        assert!(JsonDoc::parse("{not json").is_none());
        assert!(JsonDoc::parse("").is_none());
        assert_eq!(JsonDoc::parse(r#""bare""#).and_then(|d| d.as_str()).as_deref(), Some("bare"));
    }
}
