//! What a seed listed in one run and how its list changed, as kept in the store.

use serde::{Deserialize, Serialize};

/// One entry a seed listed in a run, as kept for comparing runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedItem {
    pub title: String,
    pub section: Option<String>,
    pub url: Option<String>,
}

/// What a seed was in one run: its page and what it listed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedSnapshot {
    pub title: Option<String>,
    pub page_url: Option<String>,
    pub items: Vec<ListedItem>,
}

/// How a seed's list differs from the previous run's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemChanges {
    pub added_to_page: Vec<ListedItem>,
    pub removed_from_page: Vec<ListedItem>,
    /// Same title, new URL: (before, now).
    pub href_changed: Vec<(ListedItem, ListedItem)>,
}

impl ItemChanges {
    pub fn is_empty(&self) -> bool {
        self.added_to_page.is_empty()
            && self.removed_from_page.is_empty()
            && self.href_changed.is_empty()
    }
}
