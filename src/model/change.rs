//! How a check differs from the one before, as kept in the store and shown in reports: the
//! change, how much a new body matters, and which rule found a soft 404.

use serde::{Deserialize, Serialize};

/// How a resource's check differs from its previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// First check of this URL.
    New,
    Unchanged,
    /// Reachable before and now, with different content.
    Changed,
    /// Failed `--confirm` times in a row, just now.
    NewlyBroken,
    StillBroken,
    /// Failing, but fewer than `--confirm` times in a row: not reported as broken yet.
    Failing,
    /// Broken (confirmed) before, reachable now.
    Recovered,
    /// Reachable before and now, but at another final URL or through another redirect.
    Moved,
    /// Checked in a run whose network was down (run status `inconclusive`): judged nothing, so
    /// the resource's state and failure streak stay those of its last conclusive check.
    Inconclusive,
}

impl Change {
    /// Every change `--fail-on` takes, in the order help lists them. `Inconclusive` is not one:
    /// an inconclusive run exits 4 whatever `--fail-on` says.
    pub const ALL: [Change; 8] = [
        Change::New,
        Change::Unchanged,
        Change::Changed,
        Change::NewlyBroken,
        Change::StillBroken,
        Change::Failing,
        Change::Recovered,
        Change::Moved,
    ];

    /// The change named exactly `name` (kebab-case, as in the JSON).
    pub fn named(name: &str) -> Option<Change> {
        Change::ALL.into_iter().find(|c| c.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Unchanged => "unchanged",
            Change::Changed => "changed",
            Change::NewlyBroken => "newly-broken",
            Change::StillBroken => "still-broken",
            Change::Failing => "failing",
            Change::Recovered => "recovered",
            Change::Moved => "moved",
            Change::Inconclusive => "inconclusive",
        }
    }
}

/// How a changed body differs from the last good copy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContentChange {
    pub significance: Significance,
    /// Word-shingle similarity of the two texts, 0 to 1.
    pub similarity: f64,
    /// A short unified diff of the texts, when both are text.
    pub diff: Option<String>,
}

/// How much a change of body matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Significance {
    /// The raw bytes differ but the fingerprint is identical (markup, scripts, whitespace).
    BytesOnly,
    /// Only volatile tokens (dates, times, counters, random ids) differ.
    Volatile,
    Content,
}

/// Which rule found a soft 404.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Soft404Rule {
    /// A deep link that ended, after redirects, at the site's root or home page.
    RedirectToRoot,
    /// The body is near-identical to the host's answer for a random nonexistent sibling.
    LikeMissingPage,
    /// The title or main heading says "not found" (in one of several languages).
    SaysNotFound,
}

impl Soft404Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Soft404Rule::RedirectToRoot => "redirect-to-root",
            Soft404Rule::LikeMissingPage => "like-missing-page",
            Soft404Rule::SaysNotFound => "says-not-found",
        }
    }
}

impl std::fmt::Display for Soft404Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type R = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn rules_serialize_kebab_case() -> R {
        assert_eq!(
            serde_json::to_string(&Soft404Rule::LikeMissingPage)?,
            "\"like-missing-page\""
        );
        assert_eq!(Soft404Rule::RedirectToRoot.to_string(), "redirect-to-root");
        Ok(())
    }
}
