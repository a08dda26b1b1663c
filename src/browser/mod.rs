//! Thin shims over the browser: JSON and URL reading (the browser's own
//! parsers in the page, serde_json and url on the host), `blob:` URLs,
//! what survives a reload in `localStorage`, the history in IndexedDB, and
//! the face check's Web Worker, a player's first frame, notifications when
//! asked for, and work left for idle moments.

pub mod face_worker;
pub mod first_frame;
pub mod history;
pub mod idle;
pub mod json_doc;
pub mod notify;
pub mod object_url;
pub mod saved_form;
pub mod web_url;
