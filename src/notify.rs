//! `--notify URL`: POSTs the JSON change report to a webhook when something changed. A webhook
//! that refuses is an error the user must hear about, never a silent drop.

use std::time::Duration;

use crate::fetch::USER_AGENT;
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
    let refused = |msg: String| NotifyError::Refused {
        url: url.to_string(),
        msg,
    };
    let client = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(NOTIFY_TIMEOUT)
        .build()
        .map_err(|e| refused(e.to_string()))?;
    let body = serde_json::to_vec(report).map_err(|e| refused(e.to_string()))?;
    let response = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| refused(format!("could not reach it ({e})")))?;
    if !response.status().is_success() {
        return Err(refused(format!("it answered {}", response.status())));
    }
    Ok(true)
}
