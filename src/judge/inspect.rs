//! What a fetched body says beyond its status: its content fingerprint, whether it is a
//! soft-404 (a 200 that means "gone"), and how it differs from the resource's last good copy.
//! Reads the body just fetched from its temp file and the last good copy from its pack (through
//! a temp file, only when the two differ); the only requests it makes are soft-404 probes, one per host, directory
//! and reach per run, through the same fetcher and politeness, with the reach of the URL probed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;
use url::Url;

use super::{Fingerprint, Heads, IgnoreRules, TextKind, fingerprint_held_with_heads};
use crate::archive::{Archive, Held};
use crate::bodies::Bodies;
use crate::config::IgnoreRule;
use crate::fetch::{Fetched, Fetcher, Outcome, Reach, Validators};
use crate::model::Sha256;
use crate::model::{ContentChange, Significance, Soft404Rule};
use crate::store::ResourceRecord;

/// Lines of unified diff kept in a report.
pub(super) const DIFF_LINES: usize = 24;

/// What inspecting one fetch found.
#[derive(Clone, Debug, Default)]
pub struct Inspection {
    pub fingerprint: Option<Sha256>,
    /// The last good copy's fingerprint, when it was taken only now to compare with (see
    /// `CheckRecord::previous_fingerprint`).
    pub previous_fingerprint: Option<Sha256>,
    pub soft_404: Option<Soft404Rule>,
    /// Against the last good copy, when the raw bytes differ.
    pub content: Option<ContentChange>,
}

/// A probe's answer, once it is known in this run.
type ProbeCell = Arc<OnceCell<Option<Fingerprint>>>;

/// Ignore rules compiled once, and the soft-404 probes of this run.
pub struct Inspector {
    archive: Archive,
    bodies: Bodies,
    rules: Vec<(IgnoreRule, IgnoreRules)>,
    /// Each probe's answer once known, by probe key and reach.
    probes: Mutex<HashMap<(String, Reach), ProbeCell>>,
    token: String,
}

impl Inspector {
    /// Compiles every ignore rule; a bad regex or selector is an error naming it.
    pub fn new(
        archive: Archive,
        bodies: Bodies,
        rules: &[IgnoreRule],
    ) -> Result<Inspector, String> {
        let compiled = rules
            .iter()
            .map(|r| IgnoreRules::new(&r.patterns, &r.selectors).map(|c| (r.clone(), c)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Inspector {
            archive,
            bodies,
            rules: compiled,
            probes: Mutex::new(HashMap::new()),
            // One random token per run: a probe path that no site can have by design.
            token: format!("{:016x}", fastrand::u64(..)),
        })
    }

    /// This inspector, reading kept copies from `bodies` (a run's, which sees its own pack).
    pub fn with_bodies(mut self, bodies: Bodies) -> Inspector {
        self.bodies = bodies;
        self
    }

    /// The rules that apply to `url`, merged.
    fn rules_for(&self, url: &str) -> IgnoreRules {
        rules_for(&self.rules, url)
    }

    /// Fingerprints a 2xx body, applies the soft-404 rules to HTML, and compares it with `prev`'s
    /// good copy when the bytes differ.
    pub async fn inspect(
        &self,
        fetcher: &Fetcher,
        fetched: &Fetched,
        prev: Option<&ResourceRecord>,
    ) -> Inspection {
        self.inspect_with(fetcher, fetched, prev, true).await
    }

    /// [`Inspector::inspect`] for a memento from a web archive: no probe is sent to the
    /// archive (its answer for a made-up sibling says nothing about the original site).
    pub async fn inspect_memento(&self, fetcher: &Fetcher, fetched: &Fetched) -> Inspection {
        self.inspect_with(fetcher, fetched, None, false).await
    }

    async fn inspect_with(
        &self,
        fetcher: &Fetcher,
        fetched: &Fetched,
        prev: Option<&ResourceRecord>,
        probe: bool,
    ) -> Inspection {
        let Outcome::Body {
            content_type, blob, ..
        } = &fetched.outcome
        else {
            return Inspection::default();
        };
        // The very bytes of the last good copy (a server that sends no validators): judged
        // before, so neither parsed nor probed again.
        if let Some(prev) = prev
            && prev.last_good_sha256 == Some(blob.sha256)
        {
            return Inspection {
                fingerprint: prev.last_good_fingerprint,
                ..Inspection::default()
            };
        }
        let rules = self.rules_for(fetched.requested.as_str());
        let Some(body) = blob.held().cloned() else {
            return Inspection::default();
        };
        let first_sight = prev.and_then(|p| p.last_good_sha256).is_none();
        if first_sight {
            return self
                .first_sight(
                    fetcher,
                    fetched,
                    body,
                    content_type.clone(),
                    blob.sha256,
                    rules,
                    probe,
                )
                .await;
        }
        let Some((now, heads)) = self
            .fingerprint_and_heads(body, content_type.clone(), blob.sha256, rules.clone())
            .await
        else {
            return Inspection::default();
        };
        let mut found = Inspection {
            fingerprint: Some(now.hash),
            ..Inspection::default()
        };
        if now.kind == TextKind::Html {
            found.soft_404 = self
                .soft_404(fetcher, fetched, &now, heads, &rules, probe)
                .await;
        }
        if let Some(prev) = prev
            && let Some(old_sha) = prev.last_good_sha256
            && old_sha != blob.sha256
            && found.soft_404.is_none()
        {
            let old_file = self.copy_out(old_sha).await;
            if let Some(old_file) = &old_file
                && let Some(old) = self
                    .fingerprint(
                        old_file.clone(),
                        prev.last_good_content_type.clone(),
                        old_sha,
                        rules,
                    )
                    .await
            {
                if prev.last_good_fingerprint.is_none() {
                    found.previous_fingerprint = Some(old.hash);
                }
                found.content = Some(compare(&old, &now));
            }
        }
        found
    }

    /// A body with no good copy before it. A document is not read beyond its first bytes; a page
    /// only as far as the soft-404 rules need, cheapest first (its URL, then its title and heading
    /// from a token scan, then, only when the host answers a made-up sibling with a page, its
    /// whole text to compare with that answer). Either's fingerprint is otherwise taken when a
    /// later copy differs, from its pack.
    #[allow(clippy::too_many_arguments)]
    async fn first_sight(
        &self,
        fetcher: &Fetcher,
        fetched: &Fetched,
        body: Held,
        content_type: Option<String>,
        raw: Sha256,
        rules: IgnoreRules,
        probe: bool,
    ) -> Inspection {
        let judged = |rule| Inspection {
            soft_404: Some(rule),
            ..Inspection::default()
        };
        // A document (PDF, text, anything but a page) with no good copy before it: its text is
        // needed only to judge a later change, and is read then, from the pack. Only a page can
        // be a soft 404, so only a page is read now, and as far as its heads.
        // A body in memory is scanned here: a token scan of at most `WRITE_BATCH` bytes costs
        // less than handing it to the blocking pool and back.
        let heads = match &body {
            Held::Memory(_) => Ok(super::heads::page_heads(&body, content_type.as_deref())),
            Held::File(_) => {
                let (body, content_type) = (body.clone(), content_type.clone());
                tokio::task::spawn_blocking(move || {
                    super::heads::page_heads(&body, content_type.as_deref())
                })
                .await
            }
        };
        let heads = match heads {
            Ok(Ok(Some(heads))) => Some(heads),
            Ok(Ok(None)) => return Inspection::default(),
            // Unreadable: judged as a page, so the full inspection says what is wrong.
            _ => None,
        };
        if !fetched.redirects.is_empty()
            && super::redirected_to_root(&fetched.requested, &fetched.final_url)
        {
            return judged(Soft404Rule::RedirectToRoot);
        }
        if let Some((title, heading)) = &heads
            && super::says_not_found(title.as_deref(), heading.as_deref())
        {
            return judged(Soft404Rule::SaysNotFound);
        }
        if !probe {
            return Inspection::default();
        }
        let Some(answer) = self
            .probe(fetcher, &fetched.final_url, fetched.reach, &rules)
            .await
        else {
            return Inspection::default();
        };
        let Some(page) = self.fingerprint(body, content_type, raw, rules).await else {
            return Inspection::default();
        };
        Inspection {
            fingerprint: Some(page.hash),
            soft_404: (page.kind == TextKind::Html && super::like_missing_page(&page, &answer))
                .then_some(Soft404Rule::LikeMissingPage),
            ..Inspection::default()
        }
    }

    /// A kept copy, read out of its pack into a temp file (deleted when dropped); `None` when it
    /// cannot be read (`verify` says why).
    async fn copy_out(&self, sha: Sha256) -> Option<Held> {
        let (archive, bodies) = (self.archive.clone(), self.bodies.clone());
        let copied = tokio::task::spawn_blocking(move || {
            let (mut file, path) = archive.std_temp_file().ok()?;
            let mut out = std::io::BufWriter::new(&mut file);
            bodies.copy_into(&sha, &mut out).ok()?;
            std::io::Write::flush(&mut out).ok()?;
            Some(Held::File(Arc::new(path)))
        })
        .await
        .ok()
        .flatten();
        if copied.is_none() {
            tracing::warn!("the last good copy {sha} could not be read to compare with");
        }
        copied
    }

    async fn fingerprint(
        &self,
        body: Held,
        content_type: Option<String>,
        raw: Sha256,
        rules: IgnoreRules,
    ) -> Option<Fingerprint> {
        Some(
            self.fingerprint_and_heads(body, content_type, raw, rules)
                .await?
                .0,
        )
    }

    /// The fingerprint, and an HTML page's title and main heading from the same parse.
    async fn fingerprint_and_heads(
        &self,
        body: Held,
        content_type: Option<String>,
        raw: Sha256,
        rules: IgnoreRules,
    ) -> Option<(Fingerprint, Option<Heads>)> {
        tokio::task::spawn_blocking(move || {
            fingerprint_held_with_heads(&body, content_type.as_deref(), raw, &rules)
        })
        .await
        .ok()?
        .ok()
    }

    /// The first soft-404 rule that fires, cheapest first. `heads` are the page's title and
    /// main heading, from its fingerprint's parse.
    async fn soft_404(
        &self,
        fetcher: &Fetcher,
        fetched: &Fetched,
        page: &Fingerprint,
        heads: Option<Heads>,
        rules: &IgnoreRules,
        probe: bool,
    ) -> Option<Soft404Rule> {
        if !fetched.redirects.is_empty()
            && super::redirected_to_root(&fetched.requested, &fetched.final_url)
        {
            return Some(Soft404Rule::RedirectToRoot);
        }
        if let Some((title, heading)) = heads
            && super::says_not_found(title.as_deref(), heading.as_deref())
        {
            return Some(Soft404Rule::SaysNotFound);
        }
        if !probe {
            return None;
        }
        let probe = self
            .probe(fetcher, &fetched.final_url, fetched.reach, rules)
            .await?;
        super::like_missing_page(page, &probe).then_some(Soft404Rule::LikeMissingPage)
    }

    /// What the host answers for a page that cannot exist beside `url`: fetched with `reach`
    /// (the reach `url` was fetched with), once per host, directory and reach per run. `None`
    /// when it answers anything but a 2xx HTML page.
    async fn probe(
        &self,
        fetcher: &Fetcher,
        url: &Url,
        reach: Reach,
        rules: &IgnoreRules,
    ) -> Option<Fingerprint> {
        // The root of a site has no siblings worth comparing against.
        if url.path() == "/" {
            return None;
        }
        let cell = {
            let mut probes = self.probes.lock().unwrap_or_else(|p| p.into_inner());
            probes
                .entry((super::probe_key(url), reach))
                .or_default()
                .clone()
        };
        cell.get_or_init(|| async {
            let probe_url = super::probe_url(url, &self.token);
            let fetched = fetcher
                .fetch(&probe_url, &Validators::default(), reach)
                .await;
            match &fetched.outcome {
                Outcome::Body {
                    blob, content_type, ..
                } => {
                    let fp = self
                        .fingerprint(
                            blob.held()?.clone(),
                            content_type.clone(),
                            blob.sha256,
                            rules.clone(),
                        )
                        .await?;
                    (fp.kind == TextKind::Html).then_some(fp)
                }
                _ => None,
            }
        })
        .await
        .clone()
    }
}

/// How much `now` differs from `old`.
fn compare(old: &Fingerprint, now: &Fingerprint) -> ContentChange {
    let significance = super::significance(old, now);
    let (similarity, diff) = match (&old.text, &now.text) {
        (Some(a), Some(b)) => {
            let diff = super::diff_excerpt(a, b, DIFF_LINES);
            (super::similarity(a, b), (!diff.is_empty()).then_some(diff))
        }
        _ => (
            if significance == Significance::BytesOnly {
                1.0
            } else {
                0.0
            },
            None,
        ),
    };
    ContentChange {
        significance,
        similarity,
        diff,
    }
}

/// The rules of `rules` that apply to `url`, merged.
pub(super) fn rules_for(rules: &[(IgnoreRule, IgnoreRules)], url: &str) -> IgnoreRules {
    let mut patterns = Vec::new();
    let mut selectors = Vec::new();
    for (rule, compiled) in rules {
        if rule.applies_to(url) {
            patterns.extend(compiled.patterns.iter().cloned());
            selectors.extend(compiled.selectors.iter().cloned());
        }
    }
    IgnoreRules {
        patterns,
        selectors,
    }
}
