//! Whether a run's failures say "the network here is down" rather than "those hosts are down":
//! a pure decision over what the run's fetches to each host came to and what the references (a
//! `--canary`, a web-archive endpoint) answered. A run it calls an outage is `inconclusive`: its
//! checks are kept, but judge nothing (README, "When the network here is down").
//!
//! The rule: a run is an outage when no host it attempted gave any HTTP answer (and no resolver
//! said a name does not exist, which is an answer too), and either a reference that should answer
//! did not, or, with no reference asked, the errors themselves say the network here is unusable
//! (no route out, no resolver answering; "host unreachable" from every one of two hosts or more).
//! A reference that answers means the network works: those hosts are down, which is link rot.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::fetch::Silence;

/// What the run's fetches came to, per host (`host:port`).
#[derive(Clone, Debug, Default)]
pub struct Sightings {
    /// Hosts that gave an HTTP answer at least once.
    answered: BTreeSet<String>,
    /// Hosts that never did, with what their fetches ran into.
    silent: BTreeMap<String, BTreeSet<Silence>>,
}

impl Sightings {
    /// A fetch to `host` got an HTTP answer.
    pub fn answered(&mut self, host: &str) {
        self.silent.remove(host);
        self.answered.insert(host.to_owned());
    }

    /// A fetch to `host` got no HTTP answer, running into `silence`.
    pub fn silent(&mut self, host: &str, silence: Silence) {
        if !self.answered.contains(host) {
            self.silent
                .entry(host.to_owned())
                .or_default()
                .insert(silence);
        }
    }

    /// Whether any host answered: from then on the run is conclusive whatever else fails.
    pub fn any_answer(&self) -> bool {
        !self.answered.is_empty()
    }

    /// Whether the run looks down so far: hosts were attempted, none answered, and no resolver
    /// answered that a name does not exist. Only then are references worth asking.
    pub fn looks_down(&self) -> bool {
        !self.any_answer()
            && !self.silent.is_empty()
            && !self
                .silent
                .values()
                .any(|s| s.contains(&Silence::NoSuchName))
    }

    /// Whether the errors alone say the network here is unusable: every host failed with no
    /// route out, no resolver, or "host unreachable", and that is not one host's "host
    /// unreachable" alone (a router on the way says that of one dead host too).
    fn errors_say_down(&self) -> bool {
        let local = |s: &Silence| {
            matches!(
                s,
                Silence::NoRoute | Silence::NoResolver | Silence::HostUnreachable
            )
        };
        let all_local = self.silent.values().all(|set| set.iter().all(local));
        let beyond_one_host = self.silent.len() >= 2
            || self
                .silent
                .values()
                .flatten()
                .any(|s| matches!(s, Silence::NoRoute | Silence::NoResolver));
        all_local && beyond_one_host
    }

    /// `(8 network unreachable)`, `(5 network unreachable, 3 timed out)`: each host counted once,
    /// under what speaks most for an outage among its failures.
    fn tally(&self) -> String {
        let mut counts: BTreeMap<Silence, usize> = BTreeMap::new();
        for set in self.silent.values() {
            if let Some(first) = set.first() {
                *counts.entry(*first).or_default() += 1;
            }
        }
        let parts: Vec<String> = counts
            .iter()
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect();
        parts.join(", ")
    }
}

/// What the references said, asked when the run looked down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    /// None was asked: none is configured, or the run was stopped before.
    NotAsked,
    /// This one gave an HTTP answer (any status): the network works.
    Answered(String),
    /// Every one asked failed before an HTTP answer; each named as the line says it ("the
    /// canary http://…").
    Silent(Vec<String>),
}

/// The decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Judge the run's checks as usual.
    Conclusive,
    /// The network here looks down: the run is inconclusive. The text says what was seen, for
    /// the one line `check` prints and the run's record.
    Outage(String),
}

/// Decides whether the run is an outage (see the module's rule).
pub fn decide(seen: &Sightings, reference: &Reference) -> Verdict {
    if !seen.looks_down() {
        return Verdict::Conclusive;
    }
    let down = match reference {
        Reference::Answered(_) => false,
        Reference::Silent(_) => true,
        Reference::NotAsked => seen.errors_say_down(),
    };
    if !down {
        return Verdict::Conclusive;
    }
    let hosts = seen.silent.len();
    let mut text = if hosts == 1 {
        format!(
            "the one host attempted gave no HTTP answer ({})",
            seen.tally()
        )
    } else {
        format!(
            "every one of {hosts} hosts failed before any HTTP answer ({})",
            seen.tally()
        )
    };
    if let Reference::Silent(names) = reference {
        match names.as_slice() {
            [one] => {
                let _ = write!(text, "; {one} did not answer either");
            }
            many => {
                let _ = write!(text, "; neither did {}", many.join(" nor "));
            }
        }
    }
    Verdict::Outage(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(outcomes: &[(&str, Option<Silence>)]) -> Sightings {
        let mut seen = Sightings::default();
        for (host, silence) in outcomes {
            match silence {
                Some(s) => seen.silent(host, *s),
                None => seen.answered(host),
            }
        }
        seen
    }

    fn eight(silence: Silence) -> Sightings {
        let names: Vec<String> = (1..=8).map(|i| format!("127.0.0.{i}:8080")).collect();
        let outcomes: Vec<(&str, Option<Silence>)> =
            names.iter().map(|n| (n.as_str(), Some(silence))).collect();
        hosts(&outcomes)
    }

    fn silent_canary() -> Reference {
        Reference::Silent(vec!["the canary http://canary.test/".into()])
    }

    #[test]
    fn no_route_to_any_host_is_an_outage_without_a_reference() {
        assert_eq!(
            decide(&eight(Silence::NoRoute), &Reference::NotAsked),
            Verdict::Outage(
                "every one of 8 hosts failed before any HTTP answer (8 network unreachable)".into()
            )
        );
        assert!(matches!(
            decide(&eight(Silence::NoResolver), &Reference::NotAsked),
            Verdict::Outage(_)
        ));
    }

    #[test]
    fn a_silent_reference_says_so_in_the_line() {
        assert_eq!(
            decide(&eight(Silence::NoRoute), &silent_canary()),
            Verdict::Outage(
                "every one of 8 hosts failed before any HTTP answer (8 network unreachable); \
                 the canary http://canary.test/ did not answer either"
                    .into()
            )
        );
        let two = Reference::Silent(vec![
            "the canary http://canary.test/".into(),
            "the web-archive endpoint https://archive.test/".into(),
        ]);
        let Verdict::Outage(text) = decide(&eight(Silence::Timeout), &two) else {
            panic!("timeouts everywhere and no reference answering is an outage");
        };
        assert!(
            text.ends_with(
                "(8 timed out); neither did the canary http://canary.test/ nor the \
                 web-archive endpoint https://archive.test/"
            ),
            "{text}"
        );
    }

    #[test]
    fn dead_hosts_without_a_reference_are_link_rot() {
        // Timeouts and refusals say those hosts are down, not that the network here is.
        for silence in [Silence::Timeout, Silence::Refused, Silence::Other] {
            assert_eq!(
                decide(&eight(silence), &Reference::NotAsked),
                Verdict::Conclusive,
                "{silence:?}"
            );
        }
        let one = hosts(&[("old.example:80", Some(Silence::Timeout))]);
        assert_eq!(decide(&one, &Reference::NotAsked), Verdict::Conclusive);
    }

    #[test]
    fn a_reference_that_answers_makes_a_dead_single_host_link_rot() {
        let one = hosts(&[("old.example:80", Some(Silence::Timeout))]);
        let answered = Reference::Answered("the canary http://canary.test/".into());
        assert_eq!(decide(&one, &answered), Verdict::Conclusive);
        assert_eq!(
            decide(&eight(Silence::NoRoute), &answered),
            Verdict::Conclusive
        );
        // The same host with the reference silent too: the network is what is down.
        assert_eq!(
            decide(&one, &silent_canary()),
            Verdict::Outage(
                "the one host attempted gave no HTTP answer (1 timed out); the canary \
                 http://canary.test/ did not answer either"
                    .into()
            )
        );
    }

    #[test]
    fn one_host_answering_makes_the_run_conclusive() {
        let mut seen = eight(Silence::NoRoute);
        seen.answered("127.0.0.3:8080");
        assert!(seen.any_answer() && !seen.looks_down());
        assert_eq!(decide(&seen, &silent_canary()), Verdict::Conclusive);
        // An answer later in the run wins over earlier silence from the same host, and silence
        // after an answer does not undo it.
        let mut seen = hosts(&[("a:80", Some(Silence::Timeout)), ("a:80", None)]);
        seen.silent("a:80", Silence::NoRoute);
        assert_eq!(decide(&seen, &silent_canary()), Verdict::Conclusive);
    }

    #[test]
    fn a_resolver_saying_no_such_name_is_an_answer() {
        let seen = hosts(&[
            ("gone.example:80", Some(Silence::NoSuchName)),
            ("b.example:80", Some(Silence::NoRoute)),
        ]);
        assert!(!seen.looks_down());
        assert_eq!(decide(&seen, &silent_canary()), Verdict::Conclusive);
    }

    #[test]
    fn host_unreachable_from_one_host_alone_is_not_an_outage() {
        let one = hosts(&[("a.example:80", Some(Silence::HostUnreachable))]);
        assert_eq!(decide(&one, &Reference::NotAsked), Verdict::Conclusive);
        let two = hosts(&[
            ("a.example:80", Some(Silence::HostUnreachable)),
            ("b.example:80", Some(Silence::HostUnreachable)),
        ]);
        assert!(matches!(
            decide(&two, &Reference::NotAsked),
            Verdict::Outage(_)
        ));
        // Mixed with a host that timed out, the errors alone no longer say the network is down.
        let mixed = hosts(&[
            ("a.example:80", Some(Silence::NoRoute)),
            ("b.example:80", Some(Silence::Timeout)),
        ]);
        assert_eq!(decide(&mixed, &Reference::NotAsked), Verdict::Conclusive);
    }

    #[test]
    fn nothing_attempted_is_not_an_outage() {
        let seen = Sightings::default();
        assert!(!seen.looks_down());
        assert_eq!(decide(&seen, &silent_canary()), Verdict::Conclusive);
    }

    #[test]
    fn each_host_is_counted_once_under_its_strongest_sign() {
        let seen = hosts(&[
            ("a:80", Some(Silence::Timeout)),
            ("a:80", Some(Silence::NoRoute)),
            ("b:80", Some(Silence::NoResolver)),
            ("c:80", Some(Silence::NoRoute)),
        ]);
        let Verdict::Outage(text) = decide(&seen, &silent_canary()) else {
            panic!("no host answered and the canary is silent");
        };
        assert!(
            text.starts_with(
                "every one of 3 hosts failed before any HTTP answer (2 network unreachable, \
                 1 no DNS resolver answered)"
            ),
            "{text}"
        );
    }
}
