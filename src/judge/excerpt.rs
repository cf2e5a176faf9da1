//! Diff excerpts of content changes, made again when a report or `history` shows one. The store
//! keeps what a change was judged to be (significance, similarity) but not its excerpt: a few KB
//! per change, it was most of what the history grew by, and the two archived copies it was made
//! from give it back. Made with the ignore rules in force now, like the check made it then.

use super::fingerprint::{IgnoreRules, MAX_PARSE_BYTES, fingerprint_bytes};
use super::inspect::{DIFF_LINES, rules_for};
use crate::bodies::Bodies;
use crate::config::IgnoreRule;
use crate::model::Sha256;
use crate::store::CheckRecord;

/// Makes excerpts from an archive's bodies.
pub struct Excerpts {
    bodies: Bodies,
    rules: Vec<(IgnoreRule, IgnoreRules)>,
}

impl Excerpts {
    /// Excerpts read from `bodies`, with `rules` (a rule that no longer compiles is left out:
    /// `check` refuses it, a report should not).
    pub fn new(bodies: Bodies, rules: &[IgnoreRule]) -> Excerpts {
        let rules = rules
            .iter()
            .filter_map(|r| {
                IgnoreRules::new(&r.patterns, &r.selectors)
                    .ok()
                    .map(|c| (r.clone(), c))
            })
            .collect();
        Excerpts { bodies, rules }
    }

    /// The excerpt of `check`'s content change, against the last good copy before it in
    /// `history` (the URL's checks, oldest first); `None` when it has none, or when either copy
    /// is not text or can no longer be read.
    pub fn of(&self, check: &CheckRecord, history: &[CheckRecord]) -> Option<String> {
        check.content.as_ref()?;
        let before = history
            .iter()
            .rev()
            .filter(|c| c.run_id < check.run_id)
            .find(|c| c.state.is_reachable() && c.sha256.is_some())?;
        self.between(
            &check.url,
            (before.sha256?, before.content_type.as_deref()),
            (check.sha256?, check.content_type.as_deref()),
        )
    }

    /// The excerpt between two stored bodies of `url`, each with its content type.
    pub fn between(
        &self,
        url: &str,
        old: (Sha256, Option<&str>),
        new: (Sha256, Option<&str>),
    ) -> Option<String> {
        let rules = rules_for(&self.rules, url);
        let text = |(sha, content_type): (Sha256, Option<&str>)| {
            let bytes = self.bodies.read_capped(&sha, MAX_PARSE_BYTES + 1).ok()?;
            fingerprint_bytes(&bytes, content_type, sha, &rules).text
        };
        let (a, b) = (text(old)?, text(new)?);
        let diff = super::diff_excerpt(&a, &b, DIFF_LINES);
        (!diff.is_empty()).then_some(diff)
    }
}
