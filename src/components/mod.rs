//! The page's Leptos components. They wire signals to the plain logic in
//! `request`, `endpoint`, `run_settings`, `snippet` and to `session` /
//! `transport`, and hold no rules of their own.

mod app;
mod code_panel;
mod controls;
mod endpoint_picker;
mod history_list;
mod local_input;
mod request_form;
mod run_panel;
mod studio;

pub use app::{App, StudioOptions};
