//! Reading what a server controls without trusting its size: error and status
//! bodies are kept up to a cap as they stream in (the rest is dropped), and a
//! streamed base64 answer is cut into decodable pieces whatever the chunking.
//! Plain logic, so it is tested on the host (with generated inputs too).

/// The most of an error or status body the page reads: enough for any JSON
/// status or gateway page's message, small enough never to matter.
pub const BODY_CAP_BYTES: usize = 32 * 1024;

/// A body read up to `cap` bytes; later bytes are counted as dropped.
#[derive(Clone, Debug)]
pub struct BoundedText {
    cap: usize,
    bytes: Vec<u8>,
    cut: bool,
}

impl BoundedText {
    pub fn new(cap: usize) -> BoundedText {
        BoundedText { cap, bytes: Vec::new(), cut: false }
    }

    /// Room left before the cap (what the next chunk may contribute).
    pub fn room(&self) -> usize {
        self.cap - self.bytes.len()
    }

    /// Takes what fits of a chunk; `false` once full (stop reading then).
    pub fn push(&mut self, chunk: &[u8]) -> bool {
        let take = chunk.len().min(self.room());
        self.bytes.extend_from_slice(&chunk[..take]);
        if take < chunk.len() {
            self.cut = true;
        }
        !self.is_full()
    }

    /// Marks the body as longer than what was kept (the reader stopped early).
    pub fn mark_cut(&mut self) {
        self.cut = true;
    }

    pub fn is_full(&self) -> bool {
        self.bytes.len() >= self.cap
    }

    /// The text, and whether anything was dropped. A character split by the
    /// cap is left out rather than shown broken.
    pub fn finish(self) -> (String, bool) {
        let mut bytes = self.bytes;
        if self.cut {
            if let Err(e) = std::str::from_utf8(&bytes) {
                if e.error_len().is_none() {
                    bytes.truncate(e.valid_up_to());
                }
            }
        }
        (String::from_utf8_lossy(&bytes).into_owned(), self.cut)
    }
}

/// Text that can be cut and joined without copying it into wasm: a browser
/// string in the page, a Rust string on the host (and in tests).
pub trait Text: Clone {
    fn empty() -> Self;
    fn length(&self) -> u32;
    fn cut(&self, start: u32, end: u32) -> Self;
    fn join(&self, other: &Self) -> Self;
}

impl Text for String {
    fn empty() -> Self {
        String::new()
    }
    fn length(&self) -> u32 {
        self.len() as u32
    }
    fn cut(&self, start: u32, end: u32) -> Self {
        self.get(start as usize..end as usize).unwrap_or_default().to_string()
    }
    fn join(&self, other: &Self) -> Self {
        format!("{self}{other}")
    }
}

impl Text for js_sys::JsString {
    fn empty() -> Self {
        js_sys::JsString::from("")
    }
    fn length(&self) -> u32 {
        js_sys::JsString::length(self)
    }
    fn cut(&self, start: u32, end: u32) -> Self {
        self.slice(start, end)
    }
    fn join(&self, other: &Self) -> Self {
        self.concat(other)
    }
}

/// Splits streamed base64 text into pieces that decode on their own: whole
/// groups of four characters, the remainder carried to the next chunk.
#[derive(Clone, Debug)]
pub struct Base64Pieces<T: Text> {
    carry: T,
}

impl<T: Text> Default for Base64Pieces<T> {
    fn default() -> Self {
        Base64Pieces { carry: T::empty() }
    }
}

impl<T: Text> Base64Pieces<T> {
    /// The decodable part of what arrived so far (`None` when there is none
    /// yet); at the end (`last`), everything left.
    pub fn push(&mut self, piece: &T, last: bool) -> Option<T> {
        let pending = self.carry.join(piece);
        let total = pending.length();
        let usable = if last { total } else { total - total % 4 };
        self.carry = pending.cut(usable, total);
        (usable > 0).then(|| pending.cut(0, usable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_body_under_the_cap_is_kept_whole() {
        let mut body = BoundedText::new(16);
        assert!(body.push(b"{\"status\":"));
        assert!(body.push(b"\"OK\"}"));
        assert_eq!(body.finish(), ("{\"status\":\"OK\"}".to_string(), false));
    }

    #[test]
    fn a_huge_body_stops_at_the_cap_without_a_broken_character() {
        let mut body = BoundedText::new(5);
        assert!(!body.push("abcdé".as_bytes()), "full: stop reading");
        let (text, cut) = body.finish();
        assert_eq!((text.as_str(), cut), ("abcd", true));
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use base64::Engine;
    use proptest::prelude::*;

    /// Cuts `data` at the given fractions, as a stream could deliver it.
    fn split<T: AsRef<[u8]> + ?Sized>(data: &T, cuts: &[f64]) -> Vec<Vec<u8>> {
        let data = data.as_ref();
        let mut points: Vec<usize> = cuts.iter().map(|f| (f * data.len() as f64) as usize).collect();
        points.push(0);
        points.push(data.len());
        points.sort_unstable();
        points.windows(2).map(|w| data[w[0]..w[1]].to_vec()).collect()
    }

    proptest! {
        #[test]
        fn bounded_reads_never_pass_the_cap_and_ignore_chunking(
            data in proptest::collection::vec(any::<u8>(), 0..400),
            cuts in proptest::collection::vec(0.0f64..1.0, 0..8),
            cap in 1usize..300,
        ) {
            let mut whole = BoundedText::new(cap);
            whole.push(&data);
            let mut chunked = BoundedText::new(cap);
            for chunk in split(&data, &cuts) {
                if !chunked.push(&chunk) {
                    break;
                }
            }
            let (a, cut_a) = whole.finish();
            let (b, cut_b) = chunked.finish();
            prop_assert_eq!(&a, &b);
            prop_assert!(a.len() <= cap * 3, "lossy decoding may widen bytes, never by more than 3x");
            prop_assert_eq!(cut_a || cut_b, data.len() > cap);
            if data.len() <= cap {
                prop_assert_eq!(a, String::from_utf8_lossy(&data).into_owned());
            }
        }

        #[test]
        fn streamed_base64_decodes_to_the_same_bytes_however_it_is_cut(
            data in proptest::collection::vec(any::<u8>(), 0..300),
            cuts in proptest::collection::vec(0.0f64..1.0, 0..10),
        ) {
            let text = base64::engine::general_purpose::STANDARD.encode(&data);
            let chunks = split(&text, &cuts);
            let mut pieces = Base64Pieces::<String>::default();
            let mut out = Vec::new();
            for (i, chunk) in chunks.iter().enumerate() {
                let chunk = String::from_utf8(chunk.clone()).expect("base64 is ASCII");
                if let Some(piece) = pieces.push(&chunk, i + 1 == chunks.len()) {
                    out.extend(base64::engine::general_purpose::STANDARD.decode(piece).expect("each piece decodes on its own"));
                }
            }
            prop_assert_eq!(out, data);
        }
    }
}
