//! `linkward seed init`: a new seed manifest from a page as it is today. Pure but for
//! `write_new`: the extracted page in, a `Manifest` and its TOML out, serialized by `toml` from
//! the manifest's own types (never pieced together from strings, so no title can break out of
//! its value). Fetching the page is `check::seed_init`'s.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use url::Url;

use super::manifest::{Item, MANIFEST_FORMAT, Manifest, PageInfo};
use super::{ListedTarget, SeedError};
use crate::extract;
use crate::slug::slug;

/// The file name stem used when the page's title leaves no slug (a title in a script with no
/// ASCII folding).
pub const FALLBACK_NAME: &str = "seed";

/// The manifest of `page`, fetched from `page_url` on `today`: its title (else its URL), URL,
/// date and publisher, and one item per URL it lists (as `check URL` would list them: deduped,
/// first title and section kept, the other titles in the note). A link whose href is no URL
/// becomes an item without URL whose note quotes the href, since the manifest holds URLs only.
pub fn manifest_for(page_url: &Url, page: &extract::Page, today: NaiveDate) -> Manifest {
    let entries = super::dedupe(super::from_page(page));
    let items = entries
        .into_iter()
        .map(|e| {
            let (urls, href_note) = match &e.target {
                ListedTarget::Fetch(u) => (vec![u.to_string()], None),
                ListedTarget::Unsupported(u) => (vec![u.clone()], None),
                ListedTarget::Invalid(raw) => (
                    Vec::new(),
                    Some(format!("listed with href {raw:?}, which is not a URL")),
                ),
                ListedTarget::NoUrl => (Vec::new(), None),
            };
            let also = (e.titles.len() > 1).then(|| {
                let others: Vec<String> = e.titles[1..].iter().map(|t| format!("{t:?}")).collect();
                format!("also listed as {}", others.join(", "))
            });
            let note = [href_note, also].into_iter().flatten().collect::<Vec<_>>();
            let title = if e.title.trim().is_empty() {
                // A manifest item needs a title; an image link without alt text has none.
                e.target
                    .url()
                    .unwrap_or_else(|| "(untitled link)".to_owned())
            } else {
                e.title
            };
            Item {
                section: e.section,
                title,
                note: (!note.is_empty()).then(|| note.join("; ")),
                urls,
                recovered: None,
            }
        })
        .collect();
    Manifest {
        format: MANIFEST_FORMAT,
        page: PageInfo {
            title: page
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| page_url.to_string()),
            url: Some(page_url.to_string()),
            date: Some(today.format("%Y-%m-%d").to_string()),
            capture: None,
            publisher: page.publisher.clone(),
            description: None,
            note: None,
        },
        items,
        ignore: Vec::new(),
    }
}

/// The manifest as TOML, with a first line saying where it came from.
pub fn to_toml(manifest: &Manifest) -> Result<String, String> {
    let body = toml::to_string_pretty(manifest).map_err(|e| e.to_string())?;
    Ok(format!(
        "# Written by `linkward seed init`; the format is in README, \"The seed manifest\".\n{body}"
    ))
}

/// `seeds_dir/<slug of the title>.toml`.
pub fn default_path(seeds_dir: &Path, title: &str) -> PathBuf {
    seeds_dir.join(format!("{}.toml", slug(title, FALLBACK_NAME)))
}

/// Writes `text` to `path`, which must not exist: through a temp file beside it, linked into
/// place only if nothing is there by then, so an existing manifest is never replaced, not even
/// by a race. Creates the parent folder when it is missing.
pub fn write_new(path: &Path, text: &str) -> Result<(), SeedError> {
    if path.symlink_metadata().is_ok() {
        return Err(SeedError::Exists(path.to_path_buf()));
    }
    let err = |source| SeedError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(text.as_bytes()).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(SeedError::Exists(path.to_path_buf()))
        }
        Err(e) => Err(err(e.error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::manifest;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default()
    }

    fn written(
        html: &str,
    ) -> Result<(tempfile::TempDir, PathBuf, String), Box<dyn std::error::Error>> {
        let url = Url::parse("http://example.org/ny/node/73?page=1")?;
        let m = manifest_for(&url, &extract::extract(html, &url), today());
        let text = to_toml(&m)?;
        let dir = tempfile::tempdir()?;
        let path = default_path(dir.path(), &m.page.title);
        write_new(&path, &text)?;
        Ok((dir, path, text))
    }

    #[test]
    fn a_written_manifest_loads_with_the_pages_items() -> Result<(), Box<dyn std::error::Error>> {
        let html = r#"<html><head><title>Migrants' participation</title>
            <meta name="author" content="UNITAR"></head><body>
            <h2>Related Documents</h2>
            <a href="/docs/a.pdf">Programme (pdf)</a>
            <a href="/docs/a.pdf#p2">Programme, page 2</a>
            <a href="mailto:x@example.org">Write to us</a>
            <h2>Related Links</h2>
            <a href="http://[::1">Broken href</a>
            <a href="https://example.net/"><img src="x.png"></a>
            </body></html>"#;
        let (_dir, path, _) = written(html)?;
        assert!(path.ends_with("migrants-participation.toml"), "{path:?}");
        let m = manifest::load(&path)?;
        assert_eq!(m.page.title, "Migrants' participation");
        assert_eq!(m.page.date.as_deref(), Some("2026-12-02"));
        assert_eq!(m.page.publisher.as_deref(), Some("UNITAR"));
        assert_eq!(
            m.page_url.map(String::from).as_deref(),
            Some("http://example.org/ny/node/73?page=1")
        );
        let items: Vec<(Option<&str>, &str, Vec<&str>)> = m
            .items
            .iter()
            .map(|i| {
                (
                    i.section.as_deref(),
                    i.title.as_str(),
                    i.urls.iter().map(Url::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            items,
            vec![
                (
                    Some("Related Documents"),
                    "Programme (pdf)",
                    vec!["http://example.org/docs/a.pdf"]
                ),
                (
                    Some("Related Documents"),
                    "Write to us",
                    vec!["mailto:x@example.org"]
                ),
                (Some("Related Links"), "Broken href", vec![]),
                (
                    Some("Related Links"),
                    "https://example.net/",
                    vec!["https://example.net/"]
                ),
            ]
        );
        assert_eq!(
            m.items[0].note.as_deref(),
            Some(r#"also listed as "Programme, page 2""#)
        );
        assert!(
            m.items[2]
                .note
                .as_deref()
                .is_some_and(|n| n.contains("http://[::1")),
            "{:?}",
            m.items[2].note
        );
        Ok(())
    }

    #[test]
    fn hostile_titles_stay_values() -> Result<(), Box<dyn std::error::Error>> {
        let nasty = "A \"quoted\" title\n[[item]]\ntitle = 'injected' ]] ''' \"\"\" \\ \u{7}";
        let url = Url::parse("http://example.org/")?;
        let page = extract::Page {
            title: Some(nasty.to_owned()),
            publisher: Some(nasty.to_owned()),
            links: extract::extract(r#"<h1>S</h1><a href="/x">x</a>"#, &url)
                .links
                .into_iter()
                .map(|mut l| {
                    l.title = nasty.to_owned();
                    l.section = Some(nasty.to_owned());
                    l
                })
                .collect(),
        };
        let m = manifest_for(&url, &page, today());
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("nasty.toml");
        write_new(&path, &to_toml(&m)?)?;
        let loaded = manifest::load(&path)?;
        assert_eq!(loaded.page.title, nasty);
        assert_eq!(loaded.page.publisher.as_deref(), Some(nasty));
        assert_eq!(loaded.items.len(), 1, "no item was injected");
        assert_eq!(loaded.items[0].title, nasty);
        assert_eq!(loaded.items[0].section.as_deref(), Some(nasty));
        assert_eq!(
            default_path(dir.path(), nasty),
            dir.path().join("a-quoted-title-item-title-injected.toml")
        );
        Ok(())
    }

    #[test]
    fn an_existing_file_is_never_replaced() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("seeds").join("x.toml");
        write_new(&path, "first")?;
        let err = write_new(&path, "second").err().ok_or("replaced")?;
        assert!(matches!(err, SeedError::Exists(_)), "{err}");
        assert_eq!(std::fs::read_to_string(&path)?, "first");
        let leftovers = std::fs::read_dir(path.parent().ok_or("no parent")?)?.count();
        assert_eq!(leftovers, 1, "no temp file is left behind");
        Ok(())
    }

    #[test]
    fn a_page_without_title_is_named_by_its_url() -> Result<(), Box<dyn std::error::Error>> {
        let url = Url::parse("http://example.org/ny/node/73?page=1")?;
        let m = manifest_for(&url, &extract::extract("<p>no links</p>", &url), today());
        assert_eq!(m.page.title, url.as_str());
        assert!(m.items.is_empty());
        assert_eq!(
            default_path(Path::new("seeds"), &m.page.title),
            Path::new("seeds").join("http-example-org-ny-node-73-page-1.toml")
        );
        Ok(())
    }

    #[test]
    fn a_title_without_letters_gets_the_fallback_name() {
        assert_eq!(
            default_path(Path::new("seeds"), "移民"),
            Path::new("seeds").join("seed.toml")
        );
    }
}
