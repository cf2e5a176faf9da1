//! The seed manifest (TOML, format 1): a page's title, URL, date and capture, and the items it
//! lists, each with zero or more candidate URLs. Parsed and validated here; nothing is fetched.
//! The same types serialize a manifest (`seed init`), so what is written is what is read.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

use super::SeedError;
use crate::config::IgnoreRule;

/// The manifest format this build reads.
pub const MANIFEST_FORMAT: u32 = 1;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub page: PageInfo,
    #[serde(default, rename = "item")]
    pub items: Vec<Item>,
    /// Noise to drop before fingerprinting this seed's pages (all of them, or those under `url`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<IgnoreRule>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PageInfo {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// A saved copy of the page (text or HTML), relative to the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default)]
    pub urls: Vec<String>,
    /// Written by `linkward seed recover`: where the item's original URL was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered: Option<RecoveredEvidence>,
}

/// The evidence for a URL recovered from a snapshot of the seed page.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveredEvidence {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    /// The snapshot of the seed page the link was found in.
    pub memento: String,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memento_datetime: Option<String>,
}

/// A manifest that passed validation, with its URLs parsed and its capture located.
#[derive(Clone, Debug)]
pub struct LoadedManifest {
    pub path: PathBuf,
    pub page: PageInfo,
    pub page_url: Option<Url>,
    pub capture: Option<PathBuf>,
    pub items: Vec<LoadedItem>,
    pub ignore: Vec<IgnoreRule>,
}

#[derive(Clone, Debug)]
pub struct LoadedItem {
    pub section: Option<String>,
    pub title: String,
    pub note: Option<String>,
    pub urls: Vec<Url>,
}

/// Reads and validates a manifest; every problem names the file and the item.
pub fn load(path: &Path) -> Result<LoadedManifest, SeedError> {
    let bad = |msg: String| invalid(path, msg);
    let text = read_text(path)?;
    let m: Manifest = toml::from_str(&text).map_err(|e| bad(one_line(&e.to_string())))?;
    if m.format != MANIFEST_FORMAT {
        return Err(bad(format!(
            "format {} is not supported (this linkward reads format {MANIFEST_FORMAT})",
            m.format
        )));
    }
    let page_url = match &m.page.url {
        Some(u) => Some(http_url(u).map_err(|e| bad(format!("[page] url: {e}")))?),
        None => None,
    };
    if let Some(date) = &m.page.date {
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
            bad(format!(
                "[page] date {date:?} is not a date like 2007-05-03"
            ))
        })?;
    }
    let capture = match &m.page.capture {
        Some(rel) => {
            let full = path.parent().unwrap_or(Path::new(".")).join(rel);
            if !full.is_file() {
                return Err(bad(format!(
                    "capture {} not found beside the manifest",
                    rel.display()
                )));
            }
            Some(full)
        }
        None => None,
    };
    let mut items = Vec::with_capacity(m.items.len());
    for (i, item) in m.items.into_iter().enumerate() {
        if item.title.trim().is_empty() {
            return Err(bad(format!("item {} has an empty title", i + 1)));
        }
        let urls = item
            .urls
            .iter()
            .map(|u| {
                Url::parse(u.trim()).map_err(|e| {
                    bad(format!(
                        "item {} ({:?}): url {u:?} is not a URL: {e}",
                        i + 1,
                        item.title
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        items.push(LoadedItem {
            section: item.section,
            title: item.title,
            note: item.note,
            urls,
        });
    }
    Ok(LoadedManifest {
        path: path.to_path_buf(),
        page: m.page,
        page_url,
        capture,
        items,
        ignore: m.ignore,
    })
}

fn http_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s.trim()).map_err(|e| format!("{s:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{s:?} is not an http(s) URL"));
    }
    Ok(url)
}

/// A parser's message on one line, as every error of ours is.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The manifest's text.
pub(crate) fn read_text(path: &Path) -> Result<String, SeedError> {
    std::fs::read_to_string(path).map_err(|source| SeedError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// What is wrong with the manifest at `path`.
pub(crate) fn invalid(path: &Path, msg: String) -> SeedError {
    SeedError::Manifest {
        path: path.to_path_buf(),
        msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> std::io::Result<PathBuf> {
        let p = dir.join("seed.toml");
        std::fs::write(&p, text)?;
        Ok(p)
    }

    #[test]
    fn the_bundled_manifest_loads() -> Result<(), Box<dyn std::error::Error>> {
        let m = load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/seeds/unitar-ny-node-73.toml"
        )))?;
        assert_eq!(
            m.page_url.ok_or("no page url")?.as_str(),
            "http://www.unitar.org/ny/node/73?page=1"
        );
        assert_eq!(m.items.len(), 26);
        assert!(
            m.items.iter().any(|i| i.urls.is_empty()),
            "items with no URL are kept"
        );
        assert!(m.capture.ok_or("no capture")?.is_file());
        Ok(())
    }

    #[test]
    fn problems_name_the_file_and_the_item() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let cases = [
            ("format = 2\n[page]\ntitle = \"t\"\n", "format 2"),
            (
                "format = 1\n[page]\ntitle = \"t\"\nurl = \"ftp://x/\"\n",
                "not an http(s) URL",
            ),
            (
                "format = 1\n[page]\ntitle = \"t\"\ndate = \"May 2007\"\n",
                "not a date",
            ),
            (
                "format = 1\n[page]\ntitle = \"t\"\ncapture = \"gone.txt\"\n",
                "capture gone.txt not found",
            ),
            (
                "format = 1\n[page]\ntitle = \"t\"\n[[item]]\ntitle = \"A\"\nurls = [\"::\"]\n",
                "item 1 (\"A\")",
            ),
            ("format = 1\n[page]\ntitle = \"t\"\nurl = 3\n", "seed.toml"),
            ("format = 1\n[page]\ntitle = \"t\"\ntypo = 1\n", "typo"),
        ];
        for (text, want) in cases {
            let err = load(&write(dir.path(), text)?)
                .err()
                .ok_or(format!("{text:?} was accepted"))?
                .to_string();
            assert!(err.contains(want), "{err:?} should mention {want:?}");
            assert!(err.contains("seed.toml"), "{err:?} should name the file");
            assert!(!err.contains('\n'), "{err:?} should be one line");
        }
        Ok(())
    }
}
