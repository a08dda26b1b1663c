//! A player's word that it shows a video's first frame. Writing a big video
//! into the history (IndexedDB) while the player starts on the same bytes
//! holds the first frame back, so the write waits for this word, within
//! [`WAIT_CAP_MS`] (a player that never loads must not keep a video unkept).

use js_sys::{Array, Function, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// The longest a write waits for the player.
const WAIT_CAP_MS: i32 = 1_000;

/// Said once by whoever shows the video; copies share the word.
#[derive(Clone, Debug)]
pub struct FirstFrame {
    said: Promise,
    say: Option<Function>,
}

impl PartialEq for FirstFrame {
    fn eq(&self, other: &Self) -> bool {
        JsValue::from(&self.said) == JsValue::from(&other.said)
    }
}

impl FirstFrame {
    pub fn new() -> Self {
        let mut say = None;
        let said = Promise::new(&mut |resolve, _reject| say = Some(resolve));
        FirstFrame { said, say }
    }

    /// The first frame is shown (or failed to be, or nothing will show it).
    pub fn shown(&self) {
        if let Some(say) = &self.say {
            let _ = say.call0(&JsValue::NULL);
        }
    }

    /// Until the word, or the cap; at once in a hidden page, whose players
    /// do not load until it is seen.
    pub async fn wait(&self) {
        let document = web_sys::window().and_then(|w| w.document());
        if document.is_none_or(|d| d.hidden()) {
            return;
        }
        let cap = super::idle::timer(WAIT_CAP_MS);
        let _ = JsFuture::from(Promise::race(&Array::of2(&self.said, &cap))).await;
    }
}

impl Default for FirstFrame {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    async fn the_wait_lasts_until_the_word() {
        let frame = FirstFrame::new();
        let done = Rc::new(Cell::new(false));
        let waiting = {
            let (frame, done) = (frame.clone(), done.clone());
            async move {
                frame.wait().await;
                done.set(true);
            }
        };
        wasm_bindgen_futures::spawn_local(waiting);
        crate::browser::idle::next_task().await;
        crate::browser::idle::next_task().await;
        assert!(!done.get(), "still waiting for the player");
        frame.shown();
        crate::browser::idle::next_task().await;
        assert!(done.get(), "the word ends the wait");
    }

    #[test]
    async fn without_the_word_the_wait_ends_at_the_cap() {
        let started = js_sys::Date::now();
        FirstFrame::new().wait().await;
        assert!(js_sys::Date::now() - started >= f64::from(WAIT_CAP_MS) - 50.0, "waited for the player, up to the cap");
    }
}
