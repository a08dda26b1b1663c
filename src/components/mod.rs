//! The page's Leptos components. They wire signals to the plain logic in
//! `crate::api` and to the session (`crate::studio`) and the network
//! (`crate::net`); rules belong there, not here.

mod app;
mod capture_panel;
mod code_panel;
mod compare_grid;
mod compare_panel;
mod controls;
mod endpoint_picker;
mod history_list;
pub mod later;
mod local_input;
mod local_steps;
mod previews;
mod request_form;
mod run_outcome;
mod run_panel;
mod studio;
mod trim_editor;

#[cfg(feature = "js-api")]
pub use app::studio_part;
pub use app::{App, StudioOptions};
pub use later::later;
pub use local_input::fetch_status_part;
pub use local_steps::fetch_files_part;
pub use run_outcome::fetch_outcome_part;
pub use run_panel::fetch_run_part;
