//! A `blob:` URL that is revoked when the last handle to it is dropped, so
//! replaced videos don't pin their bytes in the browser's memory.

use std::sync::Arc;

use web_sys::{Blob, Url};

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectUrl(Arc<Revoking>);

#[derive(Debug, PartialEq)]
struct Revoking(String);

impl ObjectUrl {
    pub fn new(blob: &Blob) -> Option<Self> {
        Url::create_object_url_with_blob(blob).ok().map(|url| ObjectUrl(Arc::new(Revoking(url))))
    }

    pub fn as_str(&self) -> &str {
        &self.0 .0
    }
}

impl Drop for Revoking {
    fn drop(&mut self) {
        let _ = Url::revoke_object_url(&self.0);
    }
}
