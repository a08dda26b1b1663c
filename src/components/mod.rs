//! The page's Leptos components. They wire signals to the plain logic in
//! `request`, `endpoint`, `api_error` and `transport`, and hold no rules of
//! their own.

mod app;
mod controls;
mod endpoint_picker;
mod request_form;
mod run_panel;

pub use app::App;
