//! Seed inputs (an http(s) URL, a saved HTML file, or a seed manifest) and the entries each one
//! lists. Deciding what a seed lists is pure; reading files happens only in `resolve`.

pub mod init;
pub mod manifest;
pub mod matching;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use url::Url;

use crate::extract::{self, Target};
use crate::model::Kind;
pub use manifest::LoadedManifest;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(
        "seed {arg:?} is neither an http(s) URL nor an existing file: give a URL, an HTML file or a seed manifest (.toml)"
    )]
    NotFound { arg: String },
    #[error("could not read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("seed manifest {}: {msg}", path.display())]
    Manifest { path: PathBuf, msg: String },
    #[error("{} already exists: remove it, or write the manifest elsewhere with -o FILE", .0.display())]
    Exists(PathBuf),
    #[error("could not write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where a seed comes from.
#[derive(Clone, Debug)]
pub enum SeedSource {
    Url(Url),
    HtmlFile(PathBuf),
    Manifest(Box<LoadedManifest>),
}

/// A seed as named by the user.
#[derive(Clone, Debug)]
pub struct Seed {
    /// The argument (or manifest path) as given: how reports name the seed.
    pub id: String,
    pub source: SeedSource,
}

impl Seed {
    pub fn page_url(&self) -> Option<&Url> {
        match &self.source {
            SeedSource::Url(u) => Some(u),
            SeedSource::HtmlFile(_) => None,
            SeedSource::Manifest(m) => m.page_url.as_ref(),
        }
    }

    pub fn title(&self) -> Option<&str> {
        match &self.source {
            SeedSource::Manifest(m) => Some(&m.page.title),
            _ => None,
        }
    }
}

/// Turns command-line seeds into `Seed`s; with none, every `*.toml` in `seeds_dir`. A folder
/// given as a seed stands for the manifests in it.
pub fn resolve(args: &[String], seeds_dir: &Path) -> Result<Vec<Seed>, SeedError> {
    if args.is_empty() {
        // No seeds folder is the same as an empty one: the caller says what to do.
        if !seeds_dir.is_dir() {
            return Ok(Vec::new());
        }
        return manifests_in(seeds_dir);
    }
    let mut seeds = Vec::with_capacity(args.len());
    for arg in args {
        if Path::new(arg).is_dir() {
            seeds.extend(manifests_in(Path::new(arg))?);
        } else {
            seeds.push(resolve_one(arg)?);
        }
    }
    Ok(seeds)
}

/// Every `*.toml` directly in `dir`, in name order.
fn manifests_in(dir: &Path) -> Result<Vec<Seed>, SeedError> {
    let entries = std::fs::read_dir(dir).map_err(|source| SeedError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut manifests: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
        .collect();
    manifests.sort();
    manifests
        .iter()
        .map(|p| resolve_one(&p.to_string_lossy()))
        .collect()
}

fn resolve_one(arg: &str) -> Result<Seed, SeedError> {
    let lower = arg.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let url = Url::parse(arg).map_err(|_| SeedError::NotFound {
            arg: arg.to_owned(),
        })?;
        return Ok(Seed {
            id: arg.to_owned(),
            source: SeedSource::Url(url),
        });
    }
    let path = Path::new(arg);
    if !path.is_file() {
        return Err(SeedError::NotFound {
            arg: arg.to_owned(),
        });
    }
    let source = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        SeedSource::Manifest(Box::new(manifest::load(path)?))
    } else {
        SeedSource::HtmlFile(path.to_path_buf())
    };
    Ok(Seed {
        id: arg.to_owned(),
        source,
    })
}

/// What a listed entry points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListedTarget {
    Fetch(Url),
    Unsupported(String),
    Invalid(String),
    NoUrl,
}

impl ListedTarget {
    /// The URL as reported; `None` for an entry with no URL.
    pub fn url(&self) -> Option<String> {
        match self {
            ListedTarget::Fetch(u) => Some(u.to_string()),
            ListedTarget::Unsupported(s) | ListedTarget::Invalid(s) => Some(s.clone()),
            ListedTarget::NoUrl => None,
        }
    }
}

/// One entry a seed lists: a link of its page or a manifest item's candidate URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub kind: Kind,
    pub title: String,
    /// Every title the URL was listed under, first one first.
    pub titles: Vec<String>,
    pub section: Option<String>,
    pub note: Option<String>,
    pub target: ListedTarget,
}

/// The links of an extracted page as listed entries.
pub fn from_page(page: &extract::Page) -> Vec<Listed> {
    page.links
        .iter()
        .map(|l| Listed {
            kind: l.kind,
            title: l.title.clone(),
            titles: vec![l.title.clone()],
            section: l.section.clone(),
            note: None,
            target: match &l.target {
                Target::Http(u) => ListedTarget::Fetch(u.clone()),
                Target::Unsupported(u) => ListedTarget::Unsupported(u.to_string()),
                Target::Invalid(s) => ListedTarget::Invalid(s.clone()),
            },
        })
        .collect()
}

/// A manifest's items: one entry per candidate URL, one `NoUrl` entry for an item without any.
pub fn from_manifest(m: &LoadedManifest) -> Vec<Listed> {
    let mut out = Vec::new();
    for item in &m.items {
        let entry = |target| Listed {
            kind: Kind::Item,
            title: item.title.clone(),
            titles: vec![item.title.clone()],
            section: item.section.clone(),
            note: item.note.clone(),
            target,
        };
        if item.urls.is_empty() {
            out.push(entry(ListedTarget::NoUrl));
        }
        for url in &item.urls {
            let target = if matches!(url.scheme(), "http" | "https") {
                let mut u = url.clone();
                u.set_fragment(None);
                ListedTarget::Fetch(u)
            } else {
                ListedTarget::Unsupported(url.to_string())
            };
            out.push(entry(target));
        }
    }
    out
}

/// One entry per URL, in first-listed order, keeping every title it was listed under. Entries
/// with no URL are each kept.
pub fn dedupe(entries: Vec<Listed>) -> Vec<Listed> {
    let mut out: Vec<Listed> = Vec::with_capacity(entries.len());
    // URL → its entry's index and the titles it already has (a set: a hostile page can list one
    // URL under thousands of titles).
    let mut index: HashMap<String, (usize, HashSet<String>)> = HashMap::new();
    for e in entries {
        let Some(key) = e.target.url() else {
            out.push(e);
            continue;
        };
        match index.get_mut(&key) {
            Some((i, seen)) => {
                let kept: &mut Listed = &mut out[*i];
                for t in e.titles {
                    if seen.insert(t.clone()) {
                        kept.titles.push(t);
                    }
                }
                if kept.note.is_none() {
                    kept.note = e.note;
                }
            }
            None => {
                let seen = e.titles.iter().cloned().collect();
                index.insert(key, (out.len(), seen));
                out.push(e);
            }
        }
    }
    out
}

/// How the live page differs from what the seed says it lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageDiff {
    /// Listed titles no link on the live page carries.
    pub missing_from_page: Vec<String>,
    /// URLs on the live page that match no listed title and no listed URL.
    pub new_on_page: Vec<String>,
}

pub fn compare(
    listed_titles: &[String],
    listed_urls: &HashSet<String>,
    live: &[Listed],
) -> PageDiff {
    let live_titles: Vec<&str> = live
        .iter()
        .flat_map(|l| l.titles.iter().map(String::as_str))
        .collect();
    let mut missing: Vec<String> = Vec::new();
    for title in listed_titles {
        if !missing.contains(title) && !live_titles.iter().any(|t| matching::same_title(title, t)) {
            missing.push(title.clone());
        }
    }
    let new_on_page = live
        .iter()
        .filter_map(|l| {
            let url = l.target.url()?;
            let known = listed_urls.contains(&url)
                || l.titles
                    .iter()
                    .any(|t| listed_titles.iter().any(|lt| matching::same_title(lt, t)));
            (!known).then_some(url)
        })
        .collect();
    PageDiff {
        missing_from_page: missing,
        new_on_page,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(title: &str, url: &str) -> Listed {
        Listed {
            kind: Kind::Link,
            title: title.into(),
            titles: vec![title.into()],
            section: None,
            note: None,
            target: ListedTarget::Fetch(Url::parse(url).expect("test URLs are valid")),
        }
    }

    #[test]
    fn a_url_listed_twice_is_one_entry_with_both_titles() {
        let out = dedupe(vec![
            link("Programme (pdf)", "http://a.test/p.pdf"),
            link("Other", "http://a.test/o"),
            link("Programme of the seminar", "http://a.test/p.pdf"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].titles,
            vec!["Programme (pdf)", "Programme of the seminar"]
        );
    }

    #[test]
    fn missing_titles_and_new_links() {
        let listed = vec![
            "Alliance of Civilizations".to_string(),
            "Grantmakers Concerned with Immigrants and Refugees".to_string(),
        ];
        let live = vec![
            link("alliance of  civilizations", "http://unaoc.test/"),
            link("Contact us", "http://a.test/contact"),
        ];
        let diff = compare(&listed, &HashSet::new(), &live);
        assert_eq!(
            diff.missing_from_page,
            vec!["Grantmakers Concerned with Immigrants and Refugees"]
        );
        assert_eq!(diff.new_on_page, vec!["http://a.test/contact"]);
        let known: HashSet<String> = ["http://a.test/contact".to_string()].into();
        assert!(compare(&listed, &known, &live).new_on_page.is_empty());
    }
}
