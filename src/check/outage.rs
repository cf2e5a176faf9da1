//! The run's side of outage detection (the decision is `judge::outage`): until some fetch of the
//! run gets an HTTP answer, every check that got none is held back from the store (it names no
//! body, so holding it risks no data) while the report sees it as it is. The first answer
//! releases them to be recorded as usual. A run that ends without one asks its references (the
//! canaries, then the web-archive endpoints) and lets `judge::outage` decide: conclusive, and
//! they are recorded as usual; an outage, and they are recorded as `inconclusive` without touching
//! their URLs' records, so no streak advances and the next run is compared with the last
//! conclusive one.

use std::collections::HashMap;

use url::Url;

use crate::error::Error;
use crate::fetch::{Fetched, ListedBy, QueryError, Silence};
use crate::judge::outage::{Reference, Sightings, Verdict, decide};
use crate::model::Change;
use crate::store::{CheckRecord, ResourceRecord, Store};
use crate::view::SeedPages;

use super::{Checked, Runner};

/// Checks held back while no fetch of the run has had an HTTP answer.
#[derive(Debug, Default)]
pub(super) struct Held {
    seen: Sightings,
    /// The URLs whose checks are held; each check waits in the run's results.
    urls: Vec<String>,
}

/// Something that should answer whenever the network here works, as the outage line names it.
#[derive(Clone, Debug)]
pub(super) struct Landmark {
    pub name: String,
    pub url: Url,
}

/// The references of a run, in the order they are asked: the canaries, then the web archives.
pub(super) fn landmarks(config: &crate::config::Config) -> Vec<Landmark> {
    let named = |what: &str, url: &Url| Landmark {
        name: format!("{what} {url}"),
        url: url.clone(),
    };
    let mut out: Vec<Landmark> = config
        .canaries
        .iter()
        .map(|u| named("the canary", u))
        .collect();
    out.extend(
        config
            .wayback
            .iter()
            .chain(&config.timegates)
            .map(|u| named("the web-archive endpoint", u)),
    );
    out
}

/// `host:port` of a URL: what "a host" means to the decision.
fn host_of(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

impl Runner {
    /// Takes `check`, just made from `fetched`, and returns the checks to record now: none while
    /// it is held (it waits in the results, with the good copy `prev` names), else it and, at
    /// the run's first HTTP answer, every check held until then.
    pub(super) fn admit(
        held: &mut Held,
        results: &mut HashMap<String, Box<Checked>>,
        seed_pages: &SeedPages,
        fetched: &Fetched,
        prev: Option<&ResourceRecord>,
        check: CheckRecord,
    ) -> Vec<CheckRecord> {
        // Nothing requested (robots.txt, the address policy): no evidence either way.
        if held.seen.any_answer() || check.attempts.is_empty() {
            return vec![check];
        }
        let host = host_of(&fetched.requested);
        match fetched.silence {
            Some(silence) => {
                held.seen.silent(&host, silence);
                // A resolver that says a name does not exist has answered: nothing to hold.
                if silence == Silence::NoSuchName {
                    return vec![check];
                }
                held.urls.push(check.url.clone());
                results.insert(
                    check.url.clone(),
                    Box::new(provisional(check, prev, seed_pages)),
                );
                Vec::new()
            }
            None => {
                held.seen.answered(&host);
                let mut out: Vec<CheckRecord> = std::mem::take(&mut held.urls)
                    .into_iter()
                    .filter_map(|url| results.remove(&url).map(|c| c.check))
                    .collect();
                out.push(check);
                out
            }
        }
    }

    /// Whether references are worth asking: checks are held and the run looks down.
    pub(super) fn looks_down(&self) -> bool {
        !self.held.urls.is_empty() && self.held.seen.looks_down()
    }

    /// Asks the references in turn until one gives an HTTP answer (any status).
    pub(super) async fn ask_references(&self) -> Reference {
        if self.landmarks.is_empty() {
            return Reference::NotAsked;
        }
        let mut silent = Vec::new();
        for mark in &self.landmarks {
            self.progress
                .set_message(format!("no host answered: asking {}", mark.url));
            match self
                .fetcher
                .query(&mark.url, ListedBy::Operator.reach(), &[], 0, &|| true)
                .await
            {
                // An answer that could not be used is an answer all the same: the network works.
                Ok(_) | Err(QueryError::Failed(_)) => {
                    return Reference::Answered(mark.name.clone());
                }
                Err(QueryError::Unanswered(why)) => {
                    tracing::info!("{} did not answer: {why}", mark.name);
                    silent.push(mark.name.clone());
                }
                Err(QueryError::NotAsked) => {}
            }
        }
        if silent.is_empty() {
            Reference::NotAsked
        } else {
            Reference::Silent(silent)
        }
    }

    /// Records the held checks once the run is over: as usual when `reference` and what the
    /// run saw make it conclusive, else as `inconclusive`. Returns the outage line, if any.
    pub(super) fn settle(&mut self, reference: &Reference) -> Result<Option<String>, Error> {
        let urls = std::mem::take(&mut self.held.urls);
        let verdict = if urls.is_empty() {
            Verdict::Conclusive
        } else {
            decide(&self.held.seen, reference)
        };
        for url in urls {
            let Some(checked) = self.results.remove(&url) else {
                continue;
            };
            match &verdict {
                Verdict::Conclusive => self.store_one(checked.check)?,
                Verdict::Outage(_) => {
                    let recorded = record_inconclusive(&self.store, *checked)?;
                    self.results.insert(url, Box::new(recorded));
                }
            }
        }
        Ok(match verdict {
            Verdict::Conclusive => None,
            Verdict::Outage(line) => Some(line),
        })
    }
}

/// A held check as the run's results show it until it is recorded: unjudged, with the good copy
/// the URL's record names (a seed page's links are read from it).
fn provisional(
    check: CheckRecord,
    prev: Option<&ResourceRecord>,
    seed_pages: &SeedPages,
) -> Checked {
    Checked {
        check,
        last_good_sha256: prev.and_then(|p| p.last_good_sha256),
        archived: prev.and_then(|p| {
            let seed_page = seed_pages.contains(&p.url);
            p.last_good_sha256.and_then(|sha| {
                crate::view::path(&sha, p.last_good_content_type.as_deref(), &p.url, seed_page)
            })
        }),
        recovered: prev.and_then(|p| p.recovered.clone()).map(Box::new),
        copy_changed: false,
    }
}

/// Records a check of an inconclusive run: change `inconclusive`, the failure streak as the
/// URL's last conclusive check left it, and the URL's record untouched.
fn record_inconclusive(store: &Store, held: Checked) -> Result<Checked, Error> {
    let mut check = held.check;
    let prev = store.resource(&check.url)?;
    check.change = Some(Change::Inconclusive);
    check.failures = prev.as_ref().map_or(0, |p| p.failures);
    check.content = None;
    store.record_inconclusive_check(&check)?;
    Ok(Checked { check, ..held })
}
