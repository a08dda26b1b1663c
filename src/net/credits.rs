//! The account's balance, asked for by a click on "Check credits": its code
//! (sending, reading the answer) comes with that click, not with the page.

use std::future::Future;
use std::pin::Pin;

use super::{body, send, Outgoing, Run};
use crate::api::answer::Credits;
use crate::api::endpoint::{Endpoint, CREDITS_PATH};
use crate::api::error::ApiError;
use crate::chunks::split_point;

/// The account's balance (`GET /v1/get-user-credits`), fetching the code
/// that asks for it first; without that code nothing was sent.
pub async fn check_credits(endpoint: Endpoint) -> Result<Credits, ApiError> {
    match credits_part(endpoint).await {
        Ok(asking) => asking.await,
        Err(_) => Err(ApiError::PageIncomplete),
    }
}

split_point! {
    fn credits_part(endpoint: Endpoint) -> Pin<Box<dyn Future<Output = Result<Credits, ApiError>>>> {
        Box::pin(async move {
            let ignore = |_| {};
            credits(&endpoint, &Run { signal: None, timeout_secs: None, on_progress: &ignore }).await
        })
    }
}

async fn credits(endpoint: &Endpoint, run: &Run<'_>) -> Result<Credits, ApiError> {
    let url = endpoint.url_of(CREDITS_PATH);
    let answer = send(endpoint, Outgoing { url: &url, method: "GET", body: None }, run).await?;
    if !answer.ok() {
        return Err(answer.error(run).await);
    }
    let doc = body::small_json(&answer.response, run).await?;
    Credits::from_doc(&doc).ok_or_else(|| ApiError::UnexpectedStatus {
        status: answer.response.status(),
        server_message: Some("the credits answer had no \"credits\"".into()),
    })
}
