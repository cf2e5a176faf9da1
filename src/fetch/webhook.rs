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
    /// A redirect, which is not followed: the report goes to the URL the user gave or nowhere.
    #[error("it answered {0}, a redirect, which is not followed; give the webhook's final URL")]
    Redirected(String),
}

/// `url` fit for a message that may end up in cron mail or a log: no user name or password,
/// no query (webhook URLs carry their secrets in both).
pub fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    if !shown.username().is_empty() || shown.password().is_some() {
        // Only URLs that cannot have credentials refuse these, and those have none to hide.
        let _ = shown.set_username("redacted");
        let _ = shown.set_password(None);
    }
    if shown.query().is_some() {
        shown.set_query(Some("redacted"));
    }
    shown.to_string()
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
        // reqwest names the URL in its errors: without it, the message cannot leak a secret.
        .map_err(|e| WebhookError::Unreachable(e.without_url().to_string()))?;
    if response.status().is_redirection() {
        return Err(WebhookError::Redirected(response.status().to_string()));
    }
    if !response.status().is_success() {
        return Err(WebhookError::Refused(response.status().to_string()));
    }
    Ok(())
}
