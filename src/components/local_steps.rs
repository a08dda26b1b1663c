//! What happens to a local input after it is chosen: its check, keeping it
//! in this browser (so a reload keeps it), reading an address's bytes,
//! putting back what a last visit kept, forgetting it. Its code is a part of
//! its own ([`crate::chunks`]), fetched while the page is idle after loading;
//! what must happen at the moment of a choice (which choice is the latest,
//! "Checking…") stays in [`super::local_input`], so the last choice or a
//! Clear wins even before this code is here.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::Blob;

use super::local_input::{check_blob, is_latest, slot, take_blob};
use super::studio::{LocalState, Studio};
use crate::api::request::Field;
use crate::chunks::split_point;
use crate::media::{local, MediaProblem};

/// One step on a local input. `choice` is the choice it belongs to: what it
/// finds is shown only while that choice is the latest.
pub enum FileStep {
    /// Check a file, then keep it in this browser.
    Check { field: Field, file: Blob, name: String, choice: u32 },
    /// Read an address's bytes, then take them as a chosen file.
    Fetch { field: Field, uri: String, name: String, unreadable: &'static str, choice: u32 },
    /// Put back the files the last visit kept (checked again).
    Restore,
    /// Forget the file kept for a field.
    Forget(Field),
}

impl FileStep {
    /// What to mark refused when this step's code cannot be fetched.
    fn refusal(&self) -> Option<(Field, String, u32)> {
        match self {
            FileStep::Check { field, name, choice, .. } | FileStep::Fetch { field, name, choice, .. } => Some((*field, name.clone(), *choice)),
            FileStep::Restore | FileStep::Forget(_) => None,
        }
    }
}

/// Carries `step` out once its code is here; a choice whose code cannot be
/// fetched is marked refused with a message saying so (choose it again).
pub fn carry_out(studio: Studio, step: FileStep) {
    let refusal = step.refusal();
    spawn_local(async move {
        match files_part(studio, step).await {
            Ok(steps) => steps.await,
            Err(_) => {
                if let Some((field, name, _)) = refusal.filter(|(field, _, choice)| is_latest(studio, *field, *choice)) {
                    let _ = slot(studio, field).try_set(Some(LocalState::Refused(name, MediaProblem::CheckMissing)));
                }
            }
        }
    });
}

type Steps = Pin<Box<dyn Future<Output = ()>>>;

split_point! {
    preload pub fetch_files_part;
    fn files_part(studio: Studio, step: FileStep) -> Steps {
        Box::pin(step_in_part(studio, step))
    }
}

async fn step_in_part(studio: Studio, step: FileStep) {
    match step {
        FileStep::Check { field, file, name, choice } => check_and_keep(studio, field, file, name, choice).await,
        FileStep::Fetch { field, uri, name, unreadable, choice } => {
            let blob = fetch_blob(&uri).await;
            if !is_latest(studio, field, choice) {
                return;
            }
            match blob {
                Some(blob) => take_blob(studio, field, blob, name),
                None => {
                    let _ = slot(studio, field).try_set(Some(LocalState::Refused(name, MediaProblem::Browser(unreadable.into()))));
                }
            }
        }
        FileStep::Restore => {
            let Some(Some(history)) = studio.history.try_get_value() else { return };
            for field in [Field::InputImage, Field::InputAudio] {
                if !studio.store.try_with_value(|s| s.input_kept(field.json_name())).unwrap_or(false) {
                    continue;
                }
                if let Some((blob, name)) = history.load_input(field.json_name()).await {
                    check_blob(studio, field, blob, name);
                }
            }
        }
        FileStep::Forget(field) => {
            if let Some(Some(history)) = studio.history.try_get_value() {
                history.delete_input(field.json_name()).await;
            }
        }
    }
}

/// Checks a file; an accepted one is kept in this browser. A check that ends
/// after a newer choice or a Clear changes nothing.
async fn check_and_keep(studio: Studio, field: Field, file: Blob, name: String, choice: u32) {
    let outcome = local::check(file.clone(), name.clone(), field == Field::InputImage).await;
    if !is_latest(studio, field, choice) {
        return;
    }
    if let (Ok(_), Some(Some(history))) = (&outcome, studio.history.try_get_value()) {
        let saved = history.save_input(field.json_name(), &file, &name).await.is_ok();
        if !is_latest(studio, field, choice) {
            return; // cleared or replaced meanwhile: its own writes stand
        }
        if saved {
            let _ = studio.store.try_with_value(|s| s.mark_input_kept(field.json_name(), true));
        }
    }
    let _ = slot(studio, field).try_set(Some(match outcome {
        Ok(media) => LocalState::Ready(media),
        Err(problem) => LocalState::Refused(name, problem),
    }));
}

/// An address's bytes, read by the browser (its server must allow it: CORS).
async fn fetch_blob(uri: &str) -> Option<Blob> {
    let window = web_sys::window()?;
    let response: web_sys::Response = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(uri)).await.ok()?.dyn_into().ok()?;
    wasm_bindgen_futures::JsFuture::from(response.blob().ok()?).await.ok()?.dyn_into::<Blob>().ok()
}
