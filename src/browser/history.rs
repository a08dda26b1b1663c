//! Every finished video, kept in IndexedDB with its settings and time, so a
//! paid result survives reloads and browser restarts. Saving happens before
//! the video is shown; a full quota is reported, never swallowed.

use js_sys::{Object, Reflect};
use thiserror::Error;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, IdbDatabase, IdbObjectStoreParameters, IdbRequest, IdbTransaction, IdbTransactionMode};

const STORE: &str = "videos";
/// The local files chosen as inputs, so a reload keeps them too.
const INPUTS: &str = "inputs";

#[derive(Clone, Debug, Error, PartialEq)]
pub enum HistoryError {
    #[error("This browser won't keep videos here ({0}); download the video to keep it.")]
    Unavailable(String),
    #[error("The browser's storage for this page is full, so this video was not kept in the history: download it, or delete old videos.")]
    Full,
    #[error("Keeping the video in the history failed ({0}); download it to keep it.")]
    Failed(String),
    #[error("Another tab of this page holds the history open with an older version, so this video was not kept: close the other tabs of this page, and download the video to keep it.")]
    Blocked,
}

/// One kept video.
#[derive(Clone, Debug)]
pub struct HistoryItem {
    /// Milliseconds since 1970 when it was made; also its key (a later
    /// millisecond when another video already holds that one: see [`History::save`]).
    pub id: f64,
    /// The settings in one line.
    pub summary: String,
    pub file_name: String,
    /// The form that made it, as JSON (for "reuse these settings").
    pub draft_json: String,
    /// Made by the local stand-in (joined, not animated): said again on replay.
    pub from_stand_in: bool,
    pub blob: Blob,
    /// What the run's cost rested on, for later estimates (absent in older entries).
    pub cost: Option<RunFacts>,
    /// A comparison's draft, of this many seconds of the voice.
    pub draft_secs: Option<f64>,
}

/// What a finished run tells about the cost of the next ones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunFacts {
    pub audio_secs: f64,
    pub photo_pixels: Option<f64>,
    pub took_secs: f64,
    pub charged_usd: Option<f64>,
}

/// A history database; `name` is per studio so embedded studios stay apart.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    name: String,
}

fn failed(error: &JsValue) -> HistoryError {
    let name = Reflect::get(error, &JsValue::from_str("name")).ok().and_then(|n| n.as_string()).unwrap_or_default();
    let message = Reflect::get(error, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()).unwrap_or(name.clone());
    if name == "QuotaExceededError" {
        HistoryError::Full
    } else {
        HistoryError::Failed(message)
    }
}

/// Resolves when the request succeeds; its error otherwise.
async fn settle(request: &IdbRequest) -> Result<JsValue, HistoryError> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    match JsFuture::from(promise).await {
        Ok(_) => request.result().map_err(|e| failed(&e)),
        Err(_) => Err(request.error().ok().flatten().map_or(HistoryError::Failed("unknown error".into()), |e| failed(&e))),
    }
}

/// Resolves when the transaction has committed (quota errors surface here).
async fn committed(tx: &IdbTransaction) -> Result<(), HistoryError> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onerror(Some(&reject));
        tx.set_onabort(Some(&reject));
    });
    match JsFuture::from(promise).await {
        Ok(_) => Ok(()),
        Err(_) => Err(tx.error().map_or(HistoryError::Failed("the write was aborted".into()), |e| failed(&e))),
    }
}

/// How many later milliseconds a video's key may move to when its own is taken.
const KEY_TRIES: usize = 1000;

/// Why one `add` did not keep the video.
enum Added {
    /// Another video is kept under this key (the transaction was aborted: nothing written).
    Taken,
    Failed(HistoryError),
}

/// Writes the video under `id` in a transaction of its own, never replacing another.
async fn add(db: &IdbDatabase, item: &HistoryItem, id: f64) -> Result<(), Added> {
    let failed = |e: JsValue| Added::Failed(failed(&e));
    let tx = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite).map_err(failed)?;
    let store = tx.object_store(STORE).map_err(failed)?;
    let record = Object::new();
    for (key, value) in [
        ("id", JsValue::from_f64(id)),
        ("summary", JsValue::from_str(&item.summary)),
        ("file_name", JsValue::from_str(&item.file_name)),
        ("draft_json", JsValue::from_str(&item.draft_json)),
        ("from_stand_in", JsValue::from_bool(item.from_stand_in)),
        ("blob", item.blob.clone().into()),
        ("audio_secs", item.cost.map_or(JsValue::UNDEFINED, |c| c.audio_secs.into())),
        ("photo_pixels", item.cost.and_then(|c| c.photo_pixels).map_or(JsValue::UNDEFINED, JsValue::from)),
        ("took_secs", item.cost.map_or(JsValue::UNDEFINED, |c| c.took_secs.into())),
        ("charged_usd", item.cost.and_then(|c| c.charged_usd).map_or(JsValue::UNDEFINED, JsValue::from)),
        ("draft_secs", item.draft_secs.map_or(JsValue::UNDEFINED, JsValue::from)),
    ] {
        Reflect::set(&record, &JsValue::from_str(key), &value).map_err(failed)?;
    }
    let request = store.add(&record).map_err(failed)?;
    let taken = || request.error().ok().flatten().is_some_and(|e| e.name() == "ConstraintError");
    let written = settle(&request).await;
    let done = committed(&tx).await;
    match written.and(done) {
        Ok(_) => Ok(()),
        Err(_) if taken() => Err(Added::Taken),
        Err(error) => Err(Added::Failed(error)),
    }
}

impl History {
    pub fn new(name: &str) -> History {
        History { name: name.to_string() }
    }

    async fn open(&self) -> Result<IdbDatabase, HistoryError> {
        let factory = web_sys::window()
            .and_then(|w| w.indexed_db().ok().flatten())
            .ok_or_else(|| HistoryError::Unavailable("no IndexedDB".into()))?;
        let request = factory.open_with_u32(&self.name, 2).map_err(|e| HistoryError::Unavailable(failed(&e).to_string()))?;
        let upgrade_target = request.clone();
        let on_upgrade = wasm_bindgen::closure::Closure::once_into_js(move |_: web_sys::Event| {
            if let Ok(db) = upgrade_target.result().and_then(|r| r.dyn_into::<IdbDatabase>()) {
                for (store, key) in [(STORE, "id"), (INPUTS, "key")] {
                    if !db.object_store_names().contains(store) {
                        let parameters = IdbObjectStoreParameters::new();
                        parameters.set_key_path(&JsValue::from_str(key));
                        let _ = db.create_object_store_with_optional_parameters(store, &parameters);
                    }
                }
            }
        });
        request.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
        // An older connection in another tab that does not close turns the
        // upgrade into `blocked`, which would otherwise wait for ever.
        let blocked = js_sys::Promise::new(&mut |_, reject| request.set_onblocked(Some(&reject)));
        let opened = js_sys::Promise::new(&mut |resolve, reject| {
            request.set_onsuccess(Some(&resolve));
            request.set_onerror(Some(&reject));
        });
        let db = match JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(&opened, &blocked))).await {
            Ok(_) => request.result().map_err(|e| failed(&e))?,
            Err(event) if Reflect::get(&event, &JsValue::from_str("type")).ok().and_then(|t| t.as_string()).as_deref() == Some("blocked") => {
                // If the other tab lets go later, close what then opens.
                let late = request.clone();
                let close_late = wasm_bindgen::closure::Closure::once_into_js(move |_: web_sys::Event| {
                    if let Ok(db) = late.result().and_then(|r| r.dyn_into::<IdbDatabase>()) {
                        db.close();
                    }
                });
                request.set_onsuccess(Some(close_late.unchecked_ref()));
                return Err(HistoryError::Blocked);
            }
            Err(_) => return Err(request.error().ok().flatten().map_or(HistoryError::Failed("unknown error".into()), |e| failed(&e))),
        };
        db.dyn_into::<IdbDatabase>().map_err(|_| HistoryError::Unavailable("the database did not open".into()))
    }

    /// Keeps a video; returns only when it is safely written, with the key it
    /// was kept under: `item.id`, or the next free millisecond after it. Drafts
    /// of a comparison can finish in the same millisecond (or another tab's
    /// run can), and a plain `put` would then replace a paid video with another.
    pub async fn save(&self, item: &HistoryItem) -> Result<f64, HistoryError> {
        let db = self.open().await?;
        let mut id = item.id;
        let mut kept = Err(HistoryError::Failed("no free key".into()));
        for _ in 0..KEY_TRIES {
            match add(&db, item, id).await {
                Err(Added::Taken) => id += 1.0,
                Err(Added::Failed(error)) => {
                    kept = Err(error);
                    break;
                }
                Ok(()) => {
                    kept = Ok(id);
                    break;
                }
            }
        }
        db.close();
        kept
    }

    /// Every kept video, newest first.
    pub async fn list(&self) -> Result<Vec<HistoryItem>, HistoryError> {
        let db = self.open().await?;
        let tx = db.transaction_with_str(STORE).map_err(|e| failed(&e))?;
        let request = tx.object_store(STORE).and_then(|s| s.get_all()).map_err(|e| failed(&e))?;
        let records = settle(&request).await;
        db.close();
        let records: js_sys::Array = records?.dyn_into().map_err(|_| HistoryError::Failed("unreadable records".into()))?;
        let text = |r: &JsValue, k: &str| Reflect::get(r, &JsValue::from_str(k)).ok().and_then(|v| v.as_string()).unwrap_or_default();
        let number = |r: &JsValue, k: &str| Reflect::get(r, &JsValue::from_str(k)).ok().and_then(|v| v.as_f64()).filter(|n| n.is_finite() && *n >= 0.0);
        let mut items: Vec<HistoryItem> = records
            .iter()
            .filter_map(|r| {
                Some(HistoryItem {
                    id: Reflect::get(&r, &JsValue::from_str("id")).ok()?.as_f64()?,
                    summary: text(&r, "summary"),
                    file_name: text(&r, "file_name"),
                    draft_json: text(&r, "draft_json"),
                    from_stand_in: Reflect::get(&r, &JsValue::from_str("from_stand_in")).ok().and_then(|v| v.as_bool()).unwrap_or(false),
                    blob: Reflect::get(&r, &JsValue::from_str("blob")).ok()?.dyn_into().ok()?,
                    cost: number(&r, "audio_secs").zip(number(&r, "took_secs")).map(|(audio_secs, took_secs)| RunFacts {
                        audio_secs,
                        photo_pixels: number(&r, "photo_pixels"),
                        took_secs,
                        charged_usd: number(&r, "charged_usd"),
                    }),
                    draft_secs: number(&r, "draft_secs"),
                })
            })
            .collect();
        items.sort_by(|a, b| b.id.total_cmp(&a.id));
        Ok(items)
    }

    /// Keeps a local input file (`key` names the field) for the next visit.
    pub async fn save_input(&self, key: &str, file: &Blob, name: &str) -> Result<(), HistoryError> {
        let db = self.open().await?;
        let tx = db.transaction_with_str_and_mode(INPUTS, IdbTransactionMode::Readwrite).map_err(|e| failed(&e))?;
        let record = Object::new();
        for (k, value) in [("key", JsValue::from_str(key)), ("name", JsValue::from_str(name)), ("blob", file.clone().into())] {
            Reflect::set(&record, &JsValue::from_str(k), &value).map_err(|e| failed(&e))?;
        }
        let request = tx.object_store(INPUTS).and_then(|s| s.put(&record)).map_err(|e| failed(&e))?;
        let written = settle(&request).await;
        let done = committed(&tx).await;
        db.close();
        written.map(|_| ()).and(done)
    }

    /// The local input file kept for `key`, with its name.
    pub async fn load_input(&self, key: &str) -> Option<(Blob, String)> {
        let db = self.open().await.ok()?;
        let tx = db.transaction_with_str(INPUTS).ok()?;
        let request = tx.object_store(INPUTS).and_then(|s| s.get(&JsValue::from_str(key))).ok()?;
        let record = settle(&request).await.ok();
        db.close();
        let record = record.filter(|r| r.is_object())?;
        let blob = Reflect::get(&record, &JsValue::from_str("blob")).ok()?.dyn_into::<Blob>().ok()?;
        let name = Reflect::get(&record, &JsValue::from_str("name")).ok()?.as_string()?;
        Some((blob, name))
    }

    pub async fn delete_input(&self, key: &str) {
        let Ok(db) = self.open().await else { return };
        if let Ok(tx) = db.transaction_with_str_and_mode(INPUTS, IdbTransactionMode::Readwrite) {
            if let Ok(request) = tx.object_store(INPUTS).and_then(|s| s.delete(&JsValue::from_str(key))) {
                let _ = settle(&request).await;
                let _ = committed(&tx).await;
            }
        }
        db.close();
    }

    pub async fn delete(&self, id: f64) -> Result<(), HistoryError> {
        let db = self.open().await?;
        let tx = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite).map_err(|e| failed(&e))?;
        let request = tx.object_store(STORE).and_then(|s| s.delete(&JsValue::from_f64(id))).map_err(|e| failed(&e))?;
        let deleted = settle(&request).await;
        let done = committed(&tx).await;
        db.close();
        deleted.map(|_| ()).and(done)
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn item(id: f64, text: &str) -> HistoryItem {
        let blob = Blob::new_with_str_sequence(&js_sys::Array::of1(&text.into())).expect("blob");
        let summary = text.to_string();
        HistoryItem { id, summary, file_name: "v.mp4".into(), draft_json: "{}".into(), from_stand_in: true, blob, cost: None, draft_secs: Some(3.0) }
    }

    #[test]
    async fn videos_made_in_the_same_millisecond_are_all_kept() {
        let history = History::new(&format!("test.same-ms.{}", js_sys::Math::random()));
        let first = history.save(&item(1000.0, "first")).await.expect("kept");
        let second = history.save(&item(1000.0, "second")).await.expect("kept");
        let third = history.save(&item(1000.0, "third")).await.expect("kept");
        assert_eq!((first, second, third), (1000.0, 1001.0, 1002.0), "each under a key of its own, the next free millisecond");
        let kept: Vec<(f64, String)> = history.list().await.expect("list").into_iter().map(|i| (i.id, i.summary)).collect();
        assert_eq!(kept, vec![(1002.0, "third".into()), (1001.0, "second".into()), (1000.0, "first".into())], "none replaced another");
    }

    #[test]
    async fn saves_at_once_in_the_same_millisecond_are_all_kept() {
        // As a comparison's drafts finish: the writes overlap, not one after another.
        let history = History::new(&format!("test.same-ms-at-once.{}", js_sys::Math::random()));
        let (a, b) = (item(5000.0, "a"), item(5000.0, "b"));
        let (a, b) = futures::join!(history.save(&a), history.save(&b));
        let mut ids = vec![a.expect("kept"), b.expect("kept")];
        ids.sort_by(f64::total_cmp);
        assert_eq!(ids, vec![5000.0, 5001.0]);
        assert_eq!(history.list().await.expect("list").len(), 2);
    }
}
