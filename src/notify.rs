//! `--notify URL`: POSTs the JSON change report to a webhook when something changed. A webhook
//! that refuses (or redirects: no redirect is followed) is an error the user must hear about,
//! never a silent drop; its message names the webhook without userinfo or query. The request
//! itself is `fetch::webhook`'s.

use std::time::Duration;

use crate::fetch::webhook;
use crate::report::changes::ChangeReport;

/// How long a webhook may take to answer.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("--notify {url}: {msg}; check the webhook URL and that it accepts a JSON POST")]
    Refused { url: String, msg: String },
}

/// Posts `report` to `url` if it has anything to tell; returns whether it was sent.
pub async fn notify(url: &url::Url, report: &ChangeReport) -> Result<bool, NotifyError> {
    if !report.summary.anything() {
        return Ok(false);
    }
    webhook::post_json(url, report, NOTIFY_TIMEOUT)
        .await
        .map_err(|e| NotifyError::Refused {
            url: webhook::redacted(url),
            msg: e.to_string(),
        })?;
    Ok(true)
}
