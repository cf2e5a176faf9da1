//! The webhook (`--notify`): one JSON POST to a URL the user gave. The request is made here and
//! nowhere else, on a client of its own: what it sends is decided here, and how its client treats
//! redirects and Referer in `client::for_webhook` alone.

use std::time::Duration;

use reqwest::header;
use url::Url;

use super::client;

/// Why a webhook got no 2xx answer; each says so in words fit for after "--notify URL: ".
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No client could be built.
    #[error("{0}")]
    Client(String),
    /// The body could not be serialized.
    #[error("{0}")]
    Body(String),
    /// No answer (DNS, connection, the timeout).
    #[error("could not reach it ({0})")]
    Unreachable(String),
    /// An answer that is not a 2xx; its status, as "500 Internal Server Error".
    #[error("it answered {0}")]
    Refused(String),
}

/// POSTs `body` as JSON to `url`, the whole exchange within `timeout`. The answer's body is not
/// read.
pub async fn post_json<T: serde::Serialize + ?Sized>(
    url: &Url,
    body: &T,
    timeout: Duration,
) -> Result<(), WebhookError> {
    let client = client::for_webhook(timeout).map_err(WebhookError::Client)?;
    let body = serde_json::to_vec(body).map_err(|e| WebhookError::Body(e.to_string()))?;
    let response = client
        .post(url.clone())
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| WebhookError::Unreachable(e.to_string()))?;
    if !response.status().is_success() {
        return Err(WebhookError::Refused(response.status().to_string()));
    }
    Ok(())
}
