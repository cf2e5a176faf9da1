//! Seed page recovery: the links of a seed page's snapshot, matched to the titles a manifest
//! lists or (for a page given by its URL) all of them, and recovered URLs written into the
//! manifest with their evidence.

use std::io::Write;
use std::path::Path;

use url::Url;

use chrono::{DateTime, Utc};

use super::Archives;
use super::layout::ArchiveLinks;
use crate::bodies::Bodies;
use crate::config::MAX_PAGE_PARSE_BYTES;
use crate::extract::{self, Page, Target};
use crate::fetch::{Fetcher, ListedBy, Reach};
use crate::judge::inspect::Inspector;
use crate::model::{ArchiveLookup, Recovered, RecoveredLink, Snapshot};
use crate::seed::SeedError;
use crate::seed::manifest::{self, LoadedItem};
use crate::seed::matching::same_title;

/// What recovering a seed page found.
pub struct PageRecovery {
    pub lookup: ArchiveLookup,
    /// The copy recovered in this call (`None` when none was, or the one held was reused).
    pub fresh: Option<Recovered>,
    /// The copy the links were read from.
    pub copy: Option<Recovered>,
    pub links: Vec<RecoveredLink>,
    /// The reach the links are fetched with: that of the archive the copy came from.
    pub links_reach: Reach,
}

/// What recovering a page works with: the archives asked, the fetcher and inspector of the
/// run, and the bodies the archive holds (the run's pack included).
#[derive(Clone, Copy)]
pub struct Tools<'a> {
    pub archives: &'a Archives,
    pub fetcher: &'a Fetcher,
    pub inspector: &'a Inspector,
    pub bodies: &'a Bodies,
}

/// Which links of a recovered page are wanted.
#[derive(Clone, Copy, Debug)]
pub enum Wanted<'a> {
    /// For each of a manifest's items, the first link whose text names it.
    Items(&'a [LoadedItem]),
    /// Every link the page listed (a seed given by its URL lists whatever its page lists).
    Every,
}

/// Looks up the snapshot of the page at `page_url` closest to `date` (`None`: the latest),
/// recovers it (or reuses `held`, a copy recovered before from the same memento), and returns
/// the links `wanted` of it.
pub async fn recover_page(
    with: Tools<'_>,
    page_url: &Url,
    wanted: Wanted<'_>,
    date: Option<DateTime<Utc>>,
    held: Option<Recovered>,
) -> PageRecovery {
    let Tools {
        archives,
        fetcher,
        inspector,
        bodies,
    } = with;
    let mut lookup = archives.lookup(fetcher, page_url.as_str(), date).await;
    let mut fresh = None;
    let mut copy = None;
    if let Some(snapshot) = &lookup.snapshot {
        let held = held
            .filter(|r| r.memento_url == snapshot.url && bodies.contains(&r.sha256, Some(r.bytes)));
        match held {
            Some(r) => copy = Some(r),
            None => {
                fresh = archives.recover_any(fetcher, inspector, &mut lookup).await;
                copy.clone_from(&fresh);
            }
        }
    }
    let mut links = Vec::new();
    let mut links_reach = ListedBy::Page(None).reach();
    if let (Some(copy), Some(snapshot)) = (&copy, &lookup.snapshot) {
        links_reach = archives.snapshot_reach(fetcher, snapshot).await;
        match bodies.read_capped(&copy.sha256, MAX_PAGE_PARSE_BYTES) {
            Ok(bytes) => {
                let page = extract::extract(
                    &extract::decode(&bytes, copy.content_type.as_deref()),
                    page_url,
                );
                links = match wanted {
                    Wanted::Items(items) => match_links(&page, page_url, items, snapshot),
                    Wanted::Every => every_link(&page, page_url, snapshot),
                };
            }
            Err(e) => lookup
                .notes
                .push(format!("the recovered page could not be read: {e}")),
        }
    }
    PageRecovery {
        lookup,
        fresh,
        copy,
        links,
        links_reach,
    }
}

/// For each item, the first link of the snapshot whose text names it. A link that still points
/// into an archive (`…/<coll>/<ts>mp_/<url>`, `//web.archive.org/web/<ts>/<url>`, …; see
/// `layout::ArchiveLinks`) is unwrapped to the original URL it stands for; links were resolved
/// against `page_url`, the page's original URL.
pub fn match_links(
    page: &Page,
    page_url: &Url,
    items: &[LoadedItem],
    snapshot: &Snapshot,
) -> Vec<RecoveredLink> {
    let archived = Url::parse(&snapshot.url)
        .ok()
        .map(|memento| ArchiveLinks::of(&memento));
    let mut out = Vec::new();
    for item in items {
        let found = page.links.iter().find_map(|link| match &link.target {
            Target::Http(u) if same_title(&item.title, &link.title) => Some((u, &link.title)),
            _ => None,
        });
        let Some((url, text)) = found else {
            continue;
        };
        let url = archived
            .as_ref()
            .and_then(|a| a.original(url, page_url))
            .unwrap_or_else(|| url.clone());
        out.push(RecoveredLink {
            title: item.title.clone(),
            section: item.section.clone(),
            url: url.to_string(),
            link_text: text.clone(),
            archive: snapshot.archive.clone(),
            memento_url: snapshot.url.clone(),
            memento_datetime: snapshot.datetime,
        });
    }
    out
}

/// Every http(s) link of the snapshot, in page order, each with its text and section: a link
/// still pointing into an archive is unwrapped to the original URL it stands for (as in
/// [`match_links`]); one into the archive that does not unwrap is the archive's own navigation
/// and is left out. A URL linked twice is kept once, with its first text.
pub fn every_link(page: &Page, page_url: &Url, snapshot: &Snapshot) -> Vec<RecoveredLink> {
    let archived = Url::parse(&snapshot.url)
        .ok()
        .map(|memento| ArchiveLinks::of(&memento));
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for link in &page.links {
        let Target::Http(url) = &link.target else {
            continue;
        };
        let url = match archived.as_ref() {
            Some(a) => match a.original(url, page_url) {
                Some(original) => original,
                None if a.is_archive_own(url) => continue,
                None => url.clone(),
            },
            None => url.clone(),
        };
        if !seen.insert(url.to_string()) {
            continue;
        }
        out.push(RecoveredLink {
            title: link.title.clone(),
            section: link.section.clone(),
            url: url.to_string(),
            link_text: link.title.clone(),
            archive: snapshot.archive.clone(),
            memento_url: snapshot.url.clone(),
            memento_datetime: snapshot.datetime,
        });
    }
    out
}

/// Writes each recovered URL into its item of the manifest at `path`: first among the item's
/// `urls`, with a `recovered` table keeping the evidence (the memento and its date). Comments
/// and layout are kept; the file is replaced whole (temp file + rename). Returns how many items
/// changed.
pub fn write_manifest(path: &Path, links: &[RecoveredLink]) -> Result<usize, SeedError> {
    let bad = |msg: String| manifest::invalid(path, msg);
    let text = manifest::read_text(path)?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| bad(manifest::one_line(&e.to_string())))?;
    let mut changed = 0;
    if let Some(items) = doc
        .get_mut("item")
        .and_then(toml_edit::Item::as_array_of_tables_mut)
    {
        for item in items.iter_mut() {
            let title = item
                .get("title")
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_owned();
            let section = item
                .get("section")
                .and_then(|t| t.as_str())
                .map(str::to_owned);
            let Some(link) = links
                .iter()
                .find(|l| l.title == title && (l.section.is_none() || l.section == section))
            else {
                continue;
            };
            let urls = item
                .entry("urls")
                .or_insert_with(|| toml_edit::value(toml_edit::Array::new()));
            let Some(urls) = urls.as_array_mut() else {
                return Err(bad(format!("item {title:?}: urls is not a list")));
            };
            // The original URL leads: it is what the page listed.
            let listed = urls
                .iter()
                .position(|u| u.as_str() == Some(link.url.as_str()));
            if let Some(at) = listed {
                urls.remove(at);
            }
            urls.insert(0, link.url.as_str());
            let mut evidence = toml_edit::InlineTable::new();
            evidence.insert("url", link.url.as_str().into());
            evidence.insert("link_text", link.link_text.as_str().into());
            evidence.insert("archive", link.archive.as_str().into());
            evidence.insert("memento", link.memento_url.as_str().into());
            evidence.insert(
                "memento_datetime",
                link.memento_datetime.to_rfc3339().as_str().into(),
            );
            item.insert("recovered", toml_edit::value(evidence));
            changed += 1;
        }
    }
    if changed > 0 {
        replace_file(path, doc.to_string().as_bytes()).map_err(|source| SeedError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok(changed)
}

/// Writes beside `path` and renames over it, so an interrupted write leaves the old manifest.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract;

    fn snapshot() -> Snapshot {
        Snapshot {
            archive: "wayback".into(),
            url: "http://archive.test/web/20070504000000/http://www.unitar.org/ny/node/73".into(),
            datetime: chrono::DateTime::from_timestamp(1_178_236_800, 0).unwrap_or_default(),
            status: Some(200),
        }
    }

    fn item(title: &str) -> LoadedItem {
        LoadedItem {
            section: Some("Related Documents".into()),
            title: title.into(),
            note: None,
            urls: Vec::new(),
        }
    }

    #[test]
    fn links_matched_to_titles_and_unwrapped() -> Result<(), url::ParseError> {
        let html = r#"<h2>Related Documents</h2>
            <p><a href="/docs/barriga.pdf">Migrant Integration from an International Perspective</a> (IOM)</p>
            <p><a href="http://archive.test/web/20070101000000/http://www.unesco.org/qa.pdf">Global Agendas and Regional Frameworks</a></p>
            <p><a href="/other">Something else entirely</a></p>"#;
        let base = Url::parse("http://www.unitar.org/ny/node/73")?;
        let page = extract::extract(html, &base);
        let items = [
            item("Migrant Integration from an International Perspective"),
            item("Global Agendas and Regional Frameworks"),
            item("Settlement, Labour Market and Business Integration"),
        ];
        let found = match_links(&page, &base, &items, &snapshot());
        let urls: Vec<&str> = found.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://www.unitar.org/docs/barriga.pdf",
                "http://www.unesco.org/qa.pdf"
            ]
        );
        Ok(())
    }

    #[test]
    fn every_link_unwrapped_and_the_archives_navigation_left_out() -> Result<(), url::ParseError> {
        let html = r#"<a href="http://archive.test/web/">Wayback home</a>
            <a href="https://web.archive.org/web/*/http://www.unitar.org/*">Calendar</a>
            <h2>Related Documents</h2>
            <p><a href="/docs/barriga.pdf">Migrant Integration</a></p>
            <p><a href="http://archive.test/web/20070101000000/http://www.unesco.org/qa.pdf">Global Agendas</a></p>
            <p><a href="/web/20070101000000im_/http://www.iom.int/x.pdf">IOM</a></p>
            <p><a href="/docs/barriga.pdf">Migrant Integration, again</a></p>
            <p><a href="mailto:ny@unitar.org">Write to us</a></p>"#;
        let base = Url::parse("http://www.unitar.org/ny/node/73")?;
        let page = extract::extract(html, &base);
        let found = every_link(&page, &base, &snapshot());
        let got: Vec<(&str, &str, Option<&str>)> = found
            .iter()
            .map(|l| (l.url.as_str(), l.link_text.as_str(), l.section.as_deref()))
            .collect();
        let docs = Some("Related Documents");
        assert_eq!(
            got,
            [
                (
                    "http://www.unitar.org/docs/barriga.pdf",
                    "Migrant Integration",
                    docs
                ),
                ("http://www.unesco.org/qa.pdf", "Global Agendas", docs),
                ("http://www.iom.int/x.pdf", "IOM", docs),
            ]
        );
        assert!(found.iter().all(|l| l.memento_url == snapshot().url));
        Ok(())
    }

    #[test]
    fn the_manifest_gains_urls_and_evidence_and_keeps_its_comments()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("seed.toml");
        std::fs::write(
            &path,
            "# kept comment\nformat = 1\n[page]\ntitle = \"T\"\n\n[[item]]\nsection = \"Related Documents\"\ntitle = \"A\"\nurls = []\n\n[[item]]\ntitle = \"B\"\nurls = [\"http://b.test/\"]\n",
        )?;
        let link = RecoveredLink {
            title: "A".into(),
            section: Some("Related Documents".into()),
            url: "http://a.test/a.pdf".into(),
            link_text: "A (pdf)".into(),
            archive: "wayback".into(),
            memento_url: snapshot().url,
            memento_datetime: snapshot().datetime,
        };
        assert_eq!(write_manifest(&path, &[link])?, 1);
        let text = std::fs::read_to_string(&path)?;
        assert!(text.starts_with("# kept comment\n"), "{text}");
        let loaded = crate::seed::manifest::load(&path)?;
        assert_eq!(loaded.items[0].urls[0].as_str(), "http://a.test/a.pdf");
        assert_eq!(loaded.items[1].urls.len(), 1);
        assert!(
            text.contains("memento = \"http://archive.test/web/20070504000000/"),
            "{text}"
        );
        Ok(())
    }
}
