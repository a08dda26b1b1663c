//! The face check's Web Worker, as seen from the page: started the first
//! time a portrait is checked (so the finder's wasm and model are fetched
//! only then), asked one picture at a time, answered with a [`FaceReport`].
//! The worker itself is `crates/face-finder/web/worker.js`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use thiserror::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::media::face::{Face, FaceReport, Rect};

/// What to look at: a chosen file's bytes, or an address the worker fetches.
pub enum FacePicture {
    Blob(Blob),
    Url(String),
}

#[derive(Clone, Debug, Error, PartialEq)]
pub enum FaceCheckError {
    #[error("The face was not checked: the picture's server does not let other pages read it (CORS). The model fetches it itself, so the run is not affected.")]
    Unreadable,
    #[error("The face was not checked: the browser could not decode this picture.")]
    NotAPicture,
    #[error("The face check could not run ({0}); generating is not affected.")]
    Failed(String),
}

struct Running {
    worker: Worker,
    /// Each waiting check's `resolve`, by id.
    waiting: Rc<RefCell<HashMap<u32, Function>>>,
    next_id: Cell<u32>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

thread_local! {
    static WORKER: RefCell<Option<Rc<Running>>> = const { RefCell::new(None) };
}

fn failed(detail: &str) -> JsValue {
    let reply = Object::new();
    let _ = Reflect::set(&reply, &"error".into(), &"finder".into());
    let _ = Reflect::set(&reply, &"detail".into(), &detail.into());
    reply.into()
}

fn start(script_url: &str) -> Result<Rc<Running>, FaceCheckError> {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options(script_url, &options).map_err(|_| FaceCheckError::Failed("the worker could not start".into()))?;
    let waiting: Rc<RefCell<HashMap<u32, Function>>> = Rc::default();
    let on_message = {
        let waiting = waiting.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let id = Reflect::get(&data, &"id".into()).ok().and_then(|v| v.as_f64()).unwrap_or(-1.0);
            if let Some(resolve) = waiting.borrow_mut().remove(&(id as u32)) {
                let _ = resolve.call1(&JsValue::NULL, &data);
            }
        })
    };
    // The script or its wasm failed to load: every waiting check ends.
    let on_error = {
        let waiting = waiting.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            for (_, resolve) in waiting.borrow_mut().drain() {
                let _ = resolve.call1(&JsValue::NULL, &failed("the face finder did not load"));
            }
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Rc::new(Running { worker, waiting, next_id: Cell::new(1), _on_message: on_message, _on_error: on_error }))
}

fn running(script_url: &str) -> Result<Rc<Running>, FaceCheckError> {
    WORKER.with(|slot| {
        if let Some(running) = slot.borrow().as_ref() {
            return Ok(running.clone());
        }
        let running = start(script_url)?;
        *slot.borrow_mut() = Some(running.clone());
        Ok(running)
    })
}

/// Finds the faces in `picture`, in the worker at `script_url` (started on first use).
pub async fn find_faces(script_url: &str, picture: FacePicture) -> Result<FaceReport, FaceCheckError> {
    let running = running(script_url)?;
    let id = running.next_id.get();
    running.next_id.set(id.wrapping_add(1));
    let reply = Promise::new(&mut |resolve, _reject| {
        running.waiting.borrow_mut().insert(id, resolve);
    });
    let message = Object::new();
    let image: JsValue = match picture {
        FacePicture::Blob(blob) => blob.into(),
        FacePicture::Url(url) => url.into(),
    };
    let _ = Reflect::set(&message, &"id".into(), &id.into());
    let _ = Reflect::set(&message, &"image".into(), &image);
    if running.worker.post_message(&message).is_err() {
        running.waiting.borrow_mut().remove(&id);
        return Err(FaceCheckError::Failed("the picture could not be handed to the worker".into()));
    }
    let reply = JsFuture::from(reply).await.unwrap_or_else(|_| failed("no answer"));
    report_of(&reply)
}

fn number(value: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(value, &key.into()).ok()?.as_f64().filter(|n| n.is_finite())
}

/// The worker's reply, read defensively (it is our script, but a reply is still data).
fn report_of(reply: &JsValue) -> Result<FaceReport, FaceCheckError> {
    if let Some(error) = Reflect::get(reply, &"error".into()).ok().and_then(|e| e.as_string()) {
        let detail = Reflect::get(reply, &"detail".into()).ok().and_then(|d| d.as_string()).unwrap_or_default();
        return Err(match error.as_str() {
            "unreadable" => FaceCheckError::Unreadable,
            "not_a_picture" => FaceCheckError::NotAPicture,
            _ => FaceCheckError::Failed(detail.chars().take(200).collect()),
        });
    }
    let (Some(width), Some(height)) = (number(reply, "width"), number(reply, "height")) else {
        return Err(FaceCheckError::Failed("an unreadable reply".into()));
    };
    let faces = Reflect::get(reply, &"faces".into()).ok().filter(Array::is_array).map(|f| Array::from(&f)).unwrap_or_default();
    let faces = faces
        .iter()
        .filter(Array::is_array)
        .map(|f| Array::from(&f))
        .filter_map(|f| {
            let n = |i: u32| f.get(i).as_f64().filter(|n| n.is_finite());
            Some(Face { bounds: Rect { x: n(0)?, y: n(1)?, width: n(2)?, height: n(3)? }, score: n(4)? })
        })
        .collect();
    Ok(FaceReport { width: width.clamp(0.0, 1e6) as u32, height: height.clamp(0.0, 1e6) as u32, faces })
}
