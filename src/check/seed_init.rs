//! `linkward seed init`: the live page fetched once through the same `Fetcher` as a run (its
//! politeness, robots.txt, address policy and limits) into a scratch archive that is removed
//! afterwards, and turned into a new manifest by `seed::init`. Nothing is recorded in an archive:
//! the manifest's first `check` does that.

use std::sync::Arc;

use chrono::NaiveDate;
use url::Url;

use crate::archive::Archive;
use crate::config::Config;
use crate::error::Error;
use crate::extract;
use crate::fetch::robots::RobotsCache;
use crate::fetch::{Fetcher, ListedBy, Outcome, Validators};
use crate::model::CachedRobots;
use crate::seed::manifest::Manifest;

use super::plan::{is_html, read_held_capped};

/// robots.txt is obeyed but not remembered: `seed init` keeps nothing between runs.
struct NoRobotsCache;

impl RobotsCache for NoRobotsCache {
    fn get(&self, _origin: &str) -> Option<CachedRobots> {
        None
    }

    fn put(&self, _origin: &str, _robots: &CachedRobots) {}
}

/// The manifest of the page at `url` as it is on `today`. The URL is the operator's, so it may
/// be on a private address, as a seed URL given to `check` may.
pub async fn init_seed(config: &Config, url: &Url, today: NaiveDate) -> Result<Manifest, Error> {
    let gave_no_page = |why: String| Error::SeedPage {
        url: url.to_string(),
        why,
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(gave_no_page("it is not an http(s) URL".into()));
    }
    let scratch = tempfile::tempdir().map_err(Error::Scratch)?;
    let archive = Archive::open(scratch.path())?;
    let fetcher =
        Fetcher::new(config, archive.clone(), Arc::new(NoRobotsCache)).map_err(Error::Client)?;
    let fetched = fetcher
        .fetch(url, &Validators::default(), ListedBy::Operator.reach())
        .await;
    let (content_type, blob) = match fetched.outcome {
        Outcome::Body {
            content_type, blob, ..
        } => (content_type, blob),
        Outcome::Status { status, .. } => {
            return Err(gave_no_page(format!("it answered {status}")));
        }
        Outcome::Failed { detail, .. } => return Err(gave_no_page(detail)),
        Outcome::Refused { detail } => return Err(gave_no_page(detail)),
        Outcome::Disallowed => {
            return Err(gave_no_page(
                "its robots.txt disallows it (--ignore-robots to fetch it anyway)".into(),
            ));
        }
        Outcome::NotModified { .. } => {
            return Err(gave_no_page("it answered 304 to a plain request".into()));
        }
    };
    if !is_html(content_type.as_deref()) {
        return Err(gave_no_page(format!(
            "it is not an HTML page ({})",
            content_type.as_deref().unwrap_or("no content type")
        )));
    }
    let Some(held) = blob.held() else {
        return Err(gave_no_page("its body was not kept".into()));
    };
    let bytes = read_held_capped(held).await?;
    // Relative links resolve against the URL that answered, as in `check`.
    let page = extract::extract(
        &extract::decode(&bytes, content_type.as_deref()),
        &fetched.final_url,
    );
    Ok(crate::seed::init::manifest_for(url, &page, today))
}
