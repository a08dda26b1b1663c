//! Browser notifications, only when the person asked for them: said when a
//! run or a comparison ends while the tab is hidden.

use wasm_bindgen_futures::JsFuture;
use web_sys::{Notification, NotificationOptions, NotificationPermission};

/// Asks the browser for leave to notify; whether it was given.
pub async fn ask() -> bool {
    if Notification::permission() == NotificationPermission::Granted {
        return true;
    }
    let Ok(asked) = Notification::request_permission() else { return false };
    JsFuture::from(asked).await.ok().and_then(|answer| answer.as_string()).as_deref() == Some("granted")
}

/// Says `title` (and `body`) if leave was given and the tab is not in view.
pub fn tell(title: &str, body: &str) {
    let hidden = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden());
    if !hidden || Notification::permission() != NotificationPermission::Granted {
        return;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    let _ = Notification::new_with_options(title, &options);
}
