//! Pure decisions about what is different since the previous check: one resource's transition,
//! and a seed's listed items against the previous run's. No I/O.

use crate::model::{Change, ItemChanges, ListedItem, Sha256, State};

/// What the previous check left behind, as far as transitions care.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Before {
    pub state: State,
    /// Failures in a row up to and including the previous check.
    pub failures: u32,
    pub final_url: Option<String>,
    /// The redirect targets the previous answer went through.
    pub redirect_targets: Vec<String>,
    /// The last good copy's content fingerprint and raw hash.
    pub good_fingerprint: Option<Sha256>,
    pub good_sha256: Option<Sha256>,
    /// Fingerprints of the resource's last K distinct good versions, newest first (the first is
    /// the last good copy's).
    pub recent_fingerprints: Vec<Sha256>,
}

/// What this check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Now {
    pub state: State,
    pub final_url: Option<String>,
    pub redirect_targets: Vec<String>,
    pub sha256: Option<Sha256>,
    pub fingerprint: Option<Sha256>,
}

/// The transition, with the failure count once a resource is failing or broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub change: Change,
    /// Failures in a row including this check (0 when reachable).
    pub failures: u32,
}

/// Decides the transition. `confirm` is how many failures in a row make a resource broken.
/// Error state is kept apart from content: coming back from broken is `recovered`, never
/// `changed`, whatever the content.
pub fn transition(before: Option<&Before>, now: &Now, confirm: u32) -> Transition {
    let confirm = confirm.max(1);
    let failures = if now.state == State::Broken {
        before.map_or(0, |b| {
            if b.state == State::Broken {
                b.failures
            } else {
                0
            }
        }) + 1
    } else {
        0
    };
    let Some(b) = before else {
        let change = if now.state == State::Broken && failures < confirm {
            Change::Failing
        } else {
            Change::New
        };
        return Transition { change, failures };
    };
    let was_broken = b.state == State::Broken && b.failures >= confirm;
    let change = match now.state {
        State::Broken if failures < confirm => Change::Failing,
        State::Broken if failures == confirm => Change::NewlyBroken,
        State::Broken => Change::StillBroken,
        State::Ok | State::Redirected if was_broken => Change::Recovered,
        State::Ok | State::Redirected => {
            let moved_to =
                b.final_url.is_some() && now.final_url.is_some() && b.final_url != now.final_url;
            // Redirected before and now, through other targets: the listed link points somewhere new.
            let rerouted = !b.redirect_targets.is_empty()
                && !now.redirect_targets.is_empty()
                && b.redirect_targets != now.redirect_targets;
            if moved_to || rerouted {
                Change::Moved
            } else if now.sha256.is_some() && now.sha256 != b.good_sha256 && b.good_sha256.is_some()
            {
                match now.fingerprint {
                    // A page rotating between a few versions: seen recently, so not news.
                    Some(fp) if b.recent_fingerprints.iter().skip(1).any(|r| *r == fp) => {
                        Change::Unchanged
                    }
                    _ => Change::Changed,
                }
            } else {
                Change::Unchanged
            }
        }
        State::Skipped | State::Unresolved => Change::Unchanged,
    };
    Transition { change, failures }
}

/// Compares two runs' lists by title (tolerantly) and URL.
pub fn item_changes(before: &[ListedItem], now: &[ListedItem]) -> ItemChanges {
    use crate::seed::matching::normalize;
    use std::collections::{HashMap, HashSet};
    type Key = (String, Option<String>);
    let key = |i: &ListedItem| -> Key { (normalize(&i.title), i.url.clone()) };
    let before_keys: Vec<Key> = before.iter().map(key).collect();
    let now_keys: Vec<Key> = now.iter().map(key).collect();
    let now_set: HashSet<&Key> = now_keys.iter().collect();
    // Indexes so that a seed listing thousands of links compares in linear time.
    let mut exact: HashMap<&Key, Vec<usize>> = HashMap::new();
    let mut by_title: HashMap<&str, Vec<usize>> = HashMap::new();
    for (j, k) in before_keys.iter().enumerate() {
        exact.entry(k).or_default().push(j);
        if !now_set.contains(k) {
            by_title.entry(k.0.as_str()).or_default().push(j);
        }
    }
    let mut out = ItemChanges::default();
    let mut matched_before = vec![false; before.len()];
    for (i, item) in now.iter().enumerate() {
        if let Some(js) = exact.get(&now_keys[i]) {
            for &j in js {
                matched_before[j] = true;
            }
            continue;
        }
        // Same title under another URL?
        let same_title = by_title
            .get(now_keys[i].0.as_str())
            .and_then(|js| js.iter().copied().find(|&j| !matched_before[j]));
        match same_title {
            Some(j) => {
                matched_before[j] = true;
                out.href_changed.push((before[j].clone(), item.clone()));
            }
            None => out.added_to_page.push(item.clone()),
        }
    }
    for (j, item) in before.iter().enumerate() {
        if !matched_before[j] && !now_set.contains(&before_keys[j]) {
            out.removed_from_page.push(item.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(n: u8) -> Option<Sha256> {
        Some(Sha256([n; 32]))
    }

    fn good(sha_n: u8) -> Before {
        Before {
            state: State::Ok,
            final_url: Some("http://a/x".into()),
            good_sha256: sha(sha_n),
            good_fingerprint: sha(100 + sha_n),
            recent_fingerprints: vec![sha(100 + sha_n).unwrap_or(Sha256([0; 32]))],
            ..Before::default()
        }
    }

    fn ok_now(sha_n: u8, fp_n: u8) -> Now {
        Now {
            state: State::Ok,
            final_url: Some("http://a/x".into()),
            sha256: sha(sha_n),
            fingerprint: sha(fp_n),
            redirect_targets: Vec::new(),
        }
    }

    fn broken() -> Now {
        Now {
            state: State::Broken,
            ..Now::default()
        }
    }

    #[test]
    fn every_transition() {
        assert_eq!(transition(None, &ok_now(1, 101), 1).change, Change::New);
        assert_eq!(
            transition(Some(&good(1)), &ok_now(1, 101), 1).change,
            Change::Unchanged
        );
        assert_eq!(
            transition(Some(&good(1)), &ok_now(2, 102), 1).change,
            Change::Changed
        );
        let moved = Now {
            final_url: Some("http://b/x".into()),
            ..ok_now(1, 101)
        };
        assert_eq!(transition(Some(&good(1)), &moved, 1).change, Change::Moved);
        let via_a = Before {
            redirect_targets: vec!["http://a/hop-a".into(), "http://a/x".into()],
            ..good(1)
        };
        let via_b = Now {
            redirect_targets: vec!["http://a/hop-b".into(), "http://a/x".into()],
            ..ok_now(1, 101)
        };
        assert_eq!(transition(Some(&via_a), &via_b, 1).change, Change::Moved);
        let t = transition(Some(&good(1)), &broken(), 1);
        assert_eq!((t.change, t.failures), (Change::NewlyBroken, 1));
        let b1 = Before {
            state: State::Broken,
            failures: 1,
            ..good(1)
        };
        let t = transition(Some(&b1), &broken(), 1);
        assert_eq!((t.change, t.failures), (Change::StillBroken, 2));
        assert_eq!(
            transition(Some(&b1), &ok_now(1, 101), 1).change,
            Change::Recovered
        );
        // Back with other content is still a recovery, not a change.
        assert_eq!(
            transition(Some(&b1), &ok_now(3, 103), 1).change,
            Change::Recovered
        );
    }

    #[test]
    fn confirm_delays_newly_broken() {
        let t = transition(Some(&good(1)), &broken(), 2);
        assert_eq!((t.change, t.failures), (Change::Failing, 1));
        let once = Before {
            state: State::Broken,
            failures: 1,
            ..good(1)
        };
        assert_eq!(
            transition(Some(&once), &broken(), 2).change,
            Change::NewlyBroken
        );
        // A failing resource that comes back never was broken: no recovery to report.
        assert_eq!(
            transition(Some(&once), &ok_now(1, 101), 2).change,
            Change::Unchanged
        );
    }

    #[test]
    fn a_rotating_page_is_unchanged() {
        let mut b = good(1);
        b.recent_fingerprints = vec![Sha256([101; 32]), Sha256([102; 32])];
        assert_eq!(
            transition(Some(&b), &ok_now(2, 102), 1).change,
            Change::Unchanged
        );
        assert_eq!(
            transition(Some(&b), &ok_now(3, 103), 1).change,
            Change::Changed
        );
    }

    #[test]
    fn listed_items_added_removed_and_moved() {
        let item = |t: &str, u: &str| ListedItem {
            title: t.into(),
            section: None,
            url: Some(u.into()),
        };
        let before = vec![
            item("Programme", "http://a/p.pdf"),
            item("Summary", "http://a/s.pdf"),
            item("Old", "http://a/o"),
        ];
        let now = vec![
            item("programme", "http://a/p.pdf"),
            item("Summary", "http://b/s.pdf"),
            item("New", "http://a/n"),
        ];
        let c = item_changes(&before, &now);
        assert_eq!(c.added_to_page, vec![item("New", "http://a/n")]);
        assert_eq!(c.removed_from_page, vec![item("Old", "http://a/o")]);
        assert_eq!(
            c.href_changed,
            vec![(
                item("Summary", "http://a/s.pdf"),
                item("Summary", "http://b/s.pdf")
            )]
        );
    }
}
