//! `linkward export bagit OUT`: a BagIt 1.0 bag (RFC 8493) of the latest good copy of every
//! document the archive's latest complete run listed, seed page included. Payload paths are
//! `data/<seed>/<section>/<title>.<ext>` (and `data/<seed>/seed-page.<ext>`), each part a safe
//! slug (see `slug`), so nothing in the bag is named by a server. Besides the required tag files
//! the bag carries `linkward-manifest.tsv`: each payload file's URL, sha256, title, section,
//! seed and the time of its copy, then its origin and, for a web archive's, its provenance.
//!
//! A document never fetched live but recovered from a web archive is bagged as that copy, named
//! `<title>.web-archive.<ext>`, with origin `web-archive`, its archive, memento URL, the URL
//! fetched, the snapshot's date and when it was recovered in the manifest, and counted in
//! `bag-info.txt`. A document with a live good copy is bagged as that copy alone: the live copy is
//! what the link served, a snapshot is a third party's capture of it, often years older.
//!
//! Invariants: the bag is built in a folder beside OUT and renamed into place only when whole, so
//! OUT is either absent or a complete bag; blobs are streamed (never held whole in memory) and
//! rehashed on the way, so a damaged copy stops the export instead of entering the bag.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sha2::Digest;

use super::{ExportError, copy_blob, latest_complete_run, manifest_of};
use crate::archive::FILE_CHUNK;
use crate::model::Sha256;
use crate::model::{Recovered, SeedSnapshot};
use crate::open::open_existing;
use crate::slug::{self, Names};

/// Our own tag file: what each payload file is a copy of.
pub const LINKWARD_MANIFEST: &str = "linkward-manifest.tsv";
/// Its columns, in order (its first line). Columns are only ever added at the end, so a reader
/// of an older bag's columns reads a newer bag the same.
pub const LINKWARD_MANIFEST_COLUMNS: [&str; 13] = [
    "path",
    "url",
    "sha256",
    "title",
    "section",
    "seed",
    "last_good_at",
    "origin",
    "archive",
    "memento_url",
    "fetched_url",
    "memento_datetime",
    "recovered_at",
];
/// `origin` of a copy fetched from the listed URL itself.
pub const ORIGIN_LIVE: &str = "live";
/// `origin` of a copy recovered from a web archive.
pub const ORIGIN_WEB_ARCHIVE: &str = "web-archive";
/// What sits between a recovered copy's name and its extension.
const WEB_ARCHIVE_MARK: &str = "web-archive";
/// The file name of a seed's own page in its folder (a section folder has no dot in its name,
/// so the two cannot meet).
const SEED_PAGE_NAME: &str = "seed-page";
/// The folder of items listed under no section.
const NO_SECTION: &str = "no-section";
/// Source-Organization when no seed names its publisher.
const DEFAULT_ORGANIZATION: &str = "linkward";

/// A resource's latest good copy, as the store knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoodCopy {
    pub sha256: Sha256,
    /// When it was fetched live; `None` for a recovered copy, which never was.
    pub at: Option<DateTime<Utc>>,
    pub content_type: Option<String>,
    /// `None`: fetched live; otherwise recovered from a web archive, with its provenance.
    pub recovered: Option<Recovered>,
}

impl GoodCopy {
    /// The live good copy when there is one, else the copy recovered from a web archive.
    pub fn of(record: &crate::store::ResourceRecord) -> Option<GoodCopy> {
        if let Some(sha256) = record.last_good_sha256 {
            return Some(GoodCopy {
                sha256,
                at: record.last_good_at,
                content_type: record.last_good_content_type.clone(),
                recovered: None,
            });
        }
        record.recovered.as_ref().map(|r| GoodCopy {
            sha256: r.sha256,
            at: None,
            content_type: r.content_type.clone(),
            recovered: Some(r.clone()),
        })
    }

    /// The extension its file gets: a recovered copy's says so (`web-archive.pdf`).
    fn extension(&self, url: &str) -> String {
        let ext = slug::extension(self.content_type.as_deref(), url);
        match self.recovered {
            Some(_) => format!("{WEB_ARCHIVE_MARK}.{ext}"),
            None => ext,
        }
    }
}

/// One payload file of the bag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the bag, `/`-separated, starting with `data/`.
    pub path: String,
    pub url: String,
    pub sha256: Sha256,
    pub title: String,
    pub section: Option<String>,
    pub seed: String,
    pub last_good_at: Option<DateTime<Utc>>,
    /// `None`: the live copy; otherwise where the copy recovered from a web archive came from.
    pub recovered: Option<Recovered>,
}

/// What a bag holds: its payload files, and the listed URLs left out for having no good copy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub entries: Vec<Entry>,
    pub without_copy: usize,
}

/// What an export wrote.
#[derive(Clone, Debug)]
pub struct Summary {
    pub out: PathBuf,
    pub run_id: u64,
    pub files: u64,
    pub bytes: u64,
    /// Listed URLs with no good copy in the archive (not in the bag).
    pub without_copy: usize,
    /// Payload files that are copies recovered from a web archive.
    pub web_archive_copies: usize,
}

/// Lays out the payload: every seed's page and listed URLs that have a good copy (live, or
/// recovered from a web archive when none was fetched live), in listing order; a URL listed twice
/// in one seed is bagged once (under its first title). Pure.
pub fn plan(seeds: &[(String, SeedSnapshot)], copies: &HashMap<String, GoodCopy>) -> Plan {
    let mut out = Plan::default();
    let mut seed_names = Names::default();
    for (seed_id, snapshot) in seeds {
        let label = snapshot.title.as_deref().unwrap_or(seed_id);
        let seed_dir = seed_names.unique(&slug::slug(label, "seed"), None);
        // One namespace per seed folder: section folders and the seed page's file.
        let mut in_seed = Names::default();
        let mut sections: HashMap<Option<&str>, (String, Names)> = HashMap::new();
        let mut bagged = BTreeSet::new();
        if let Some(page) = &snapshot.page_url
            && let Some(copy) = copies.get(page)
        {
            let ext = copy.extension(page);
            let name = in_seed.unique(SEED_PAGE_NAME, Some(&ext));
            bagged.insert(page.as_str());
            out.entries.push(Entry {
                path: format!("data/{seed_dir}/{name}"),
                url: page.clone(),
                sha256: copy.sha256,
                title: label.to_owned(),
                section: None,
                seed: seed_id.clone(),
                last_good_at: copy.at,
                recovered: copy.recovered.clone(),
            });
        }
        for item in &snapshot.items {
            let Some(url) = &item.url else { continue };
            if !bagged.insert(url.as_str()) {
                continue;
            }
            let Some(copy) = copies.get(url) else {
                out.without_copy += 1;
                continue;
            };
            let section = item.section.as_deref();
            let (section_dir, names) = sections.entry(section).or_insert_with(|| {
                let base = section.map_or(NO_SECTION.to_owned(), |s| slug::slug(s, NO_SECTION));
                (in_seed.unique(&base, None), Names::default())
            });
            let ext = copy.extension(url);
            let name = names.unique(&slug::slug(&item.title, "untitled"), Some(&ext));
            out.entries.push(Entry {
                path: format!("data/{seed_dir}/{section_dir}/{name}"),
                url: url.clone(),
                sha256: copy.sha256,
                title: item.title.clone(),
                section: item.section.clone(),
                seed: seed_id.clone(),
                last_good_at: copy.at,
                recovered: copy.recovered.clone(),
            });
        }
    }
    out
}

/// The bag's descriptive metadata, from the seeds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BagInfo {
    pub organizations: Vec<String>,
    pub descriptions: Vec<String>,
    pub identifiers: Vec<String>,
    pub run_id: u64,
    /// Payload files recovered from a web archive rather than fetched live.
    pub web_archive_copies: usize,
}

/// `bag-info.txt`. Values are folded onto one line each.
pub fn bag_info_txt(info: &BagInfo, date: NaiveDate, bytes: u64, files: u64) -> String {
    let mut t = String::new();
    let mut field = |label: &str, value: &str| {
        let _ = writeln!(t, "{label}: {}", one_line(value));
    };
    if info.organizations.is_empty() {
        field("Source-Organization", DEFAULT_ORGANIZATION);
    }
    for o in &info.organizations {
        field("Source-Organization", o);
    }
    for d in &info.descriptions {
        field("External-Description", d);
    }
    for i in &info.identifiers {
        field("External-Identifier", i);
    }
    let recovered = match info.web_archive_copies {
        0 => String::new(),
        n => format!(
            "; {n} of them, never fetched live, are copies recovered from a web archive \
             (origin web-archive in {LINKWARD_MANIFEST}, with their memento URLs)"
        ),
    };
    field(
        "Internal-Sender-Description",
        &format!(
            "The latest good copy of every document listed in linkward run {}{recovered}",
            info.run_id
        ),
    );
    // Stated even when 0: a reader need not wonder whether an older linkward wrote the bag.
    field(
        "Linkward-Web-Archive-Copies",
        &info.web_archive_copies.to_string(),
    );
    field("Bagging-Date", &date.format("%Y-%m-%d").to_string());
    field("Payload-Oxum", &format!("{bytes}.{files}"));
    field(
        "Bag-Software-Agent",
        concat!("linkward/", env!("CARGO_PKG_VERSION")),
    );
    t
}

/// `linkward-manifest.tsv`: a header line, then one line per entry in `entries`' order.
pub fn linkward_manifest_tsv(entries: &[Entry]) -> String {
    let mut t = LINKWARD_MANIFEST_COLUMNS.join("\t");
    t.push('\n');
    let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    for e in entries {
        let at = e.last_good_at.as_ref().map(time).unwrap_or_default();
        let r = e.recovered.as_ref();
        let origin = if r.is_some() {
            ORIGIN_WEB_ARCHIVE
        } else {
            ORIGIN_LIVE
        };
        let memento_at = r.map(|r| time(&r.memento_datetime)).unwrap_or_default();
        let recovered_at = r.map(|r| time(&r.recovered_at)).unwrap_or_default();
        let fields = [
            e.path.as_str(),
            e.url.as_str(),
            &e.sha256.to_hex(),
            e.title.as_str(),
            e.section.as_deref().unwrap_or(""),
            e.seed.as_str(),
            &at,
            origin,
            r.map_or("", |r| r.archive.as_str()),
            r.map_or("", |r| r.memento_url.as_str()),
            r.map_or("", |r| r.fetched_url.as_str()),
            &memento_at,
            &recovered_at,
        ];
        let fields: Vec<String> = fields.iter().map(|f| tsv_field(f)).collect();
        t.push_str(&fields.join("\t"));
        t.push('\n');
    }
    t
}

/// Tabs and line breaks would split a field or a row: they become spaces.
fn tsv_field(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Exports the archive at `archive_dir` as a bag at `out` (which must not exist, or be an empty
/// folder).
pub fn export(archive_dir: &Path, out: &Path, wait: Duration) -> Result<Summary, ExportError> {
    let replace_empty = check_out(out)?;
    // Read what to bag under the archive's lock, then let it go: blobs never change once written.
    let (plan, info, stored) = {
        let (_lock, store) = open_existing(archive_dir, wait)?;
        let run = latest_complete_run(&store)?
            .ok_or_else(|| ExportError::NoCompleteRun(archive_dir.to_path_buf()))?;
        // Every seed the archive tracks, each as of its own latest complete run.
        let seeds = store.tracked_seed_lists()?;
        let mut copies = HashMap::new();
        for (_, snapshot) in &seeds {
            let urls = snapshot
                .page_url
                .iter()
                .chain(snapshot.items.iter().filter_map(|i| i.url.as_ref()));
            for url in urls {
                if copies.contains_key(url) {
                    continue;
                }
                if let Some(copy) = store.resource(url)?.as_ref().and_then(GoodCopy::of) {
                    copies.insert(url.clone(), copy);
                }
            }
        }
        let plan = plan(&seeds, &copies);
        let mut stored = HashMap::new();
        for entry in &plan.entries {
            let body = store
                .body(&entry.sha256)?
                .ok_or_else(|| ExportError::NotStored {
                    url: entry.url.clone(),
                    sha256: entry.sha256,
                })?;
            stored.insert(entry.sha256, body);
        }
        let mut info = bag_info(&seeds, run.id);
        info.web_archive_copies = plan
            .entries
            .iter()
            .filter(|e| e.recovered.is_some())
            .count();
        (plan, info, stored)
    };

    let staging = Staging::beside(out)?;
    let mut sha256_lines = Vec::with_capacity(plan.entries.len());
    let mut sha512_lines = Vec::with_capacity(plan.entries.len());
    let mut bytes = 0u64;
    for entry in &plan.entries {
        let dest = staging.path.join(&entry.path);
        let write_error = |source| ExportError::Write {
            path: dest.clone(),
            source,
        };
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(write_error)?;
        }
        let file = std::fs::File::create_new(&dest).map_err(write_error)?;
        let mut w = BufWriter::with_capacity(FILE_CHUNK, file);
        let body = stored
            .get(&entry.sha256)
            .ok_or_else(|| ExportError::NotStored {
                url: entry.url.clone(),
                sha256: entry.sha256,
            })?;
        let copied = copy_blob(
            archive_dir,
            body,
            &entry.url,
            &entry.sha256,
            &mut w,
            Some(&dest),
        )?;
        bytes += copied.bytes;
        sha256_lines.push((entry.path.clone(), entry.sha256.to_hex()));
        sha512_lines.push((entry.path.clone(), hex::encode(copied.sha512)));
    }
    let files = plan.entries.len() as u64;

    let tag_files = [
        (
            "bagit.txt",
            "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_owned(),
        ),
        (
            "bag-info.txt",
            bag_info_txt(&info, Utc::now().date_naive(), bytes, files),
        ),
        ("manifest-sha256.txt", manifest_txt(sha256_lines)),
        ("manifest-sha512.txt", manifest_txt(sha512_lines)),
        (LINKWARD_MANIFEST, linkward_manifest_tsv(&plan.entries)),
    ];
    let mut tag_lines = Vec::with_capacity(tag_files.len());
    for (name, text) in &tag_files {
        staging.write(name, text.as_bytes())?;
        tag_lines.push((
            (*name).to_owned(),
            hex::encode(sha2::Sha256::digest(text.as_bytes())),
        ));
    }
    staging.write("tagmanifest-sha256.txt", manifest_txt(tag_lines).as_bytes())?;
    staging.commit(out, replace_empty)?;
    Ok(Summary {
        out: out.to_path_buf(),
        run_id: info.run_id,
        files,
        bytes,
        without_copy: plan.without_copy,
        web_archive_copies: info.web_archive_copies,
    })
}

/// Source-Organization from the manifests' publishers; External-Description and
/// External-Identifier from each seed's title, description and page URL.
fn bag_info(seeds: &[(String, SeedSnapshot)], run_id: u64) -> BagInfo {
    let mut info = BagInfo {
        run_id,
        ..BagInfo::default()
    };
    for (id, snapshot) in seeds {
        let manifest = manifest_of(id);
        let page = manifest.as_ref().map(|m| &m.page);
        if let Some(p) = page.and_then(|p| p.publisher.as_deref())
            && !info.organizations.iter().any(|o| o == p)
        {
            info.organizations.push(p.to_owned());
        }
        let title = snapshot.title.as_deref().unwrap_or(id);
        info.descriptions
            .push(match page.and_then(|p| p.description.as_deref()) {
                Some(d) => format!("{title}: {d}"),
                None => title.to_owned(),
            });
        if let Some(u) = &snapshot.page_url {
            info.identifiers.push(u.clone());
        }
    }
    info
}

/// A checksum manifest: `<hex>  <path>` lines sorted by path.
fn manifest_txt(mut lines: Vec<(String, String)>) -> String {
    lines.sort();
    lines
        .iter()
        .map(|(path, hash)| format!("{hash}  {path}\n"))
        .collect()
}

/// Whether OUT will have to be replaced (an empty folder); an error if it is anything else.
fn check_out(out: &Path) -> Result<bool, ExportError> {
    let refuse = || ExportError::OutExists(out.to_path_buf());
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(ExportError::Write {
            path: out.to_path_buf(),
            source,
        }),
        Ok(m) if m.is_dir() => {
            let mut entries = std::fs::read_dir(out).map_err(|_| refuse())?;
            if entries.next().is_none() {
                Ok(true)
            } else {
                Err(refuse())
            }
        }
        Ok(_) => Err(refuse()),
    }
}

/// The folder a bag is built in, beside its destination; removed unless committed.
struct Staging {
    path: PathBuf,
    committed: bool,
}

impl Staging {
    fn beside(out: &Path) -> Result<Staging, ExportError> {
        let name = out
            .file_name()
            .ok_or_else(|| ExportError::OutExists(out.to_path_buf()))?;
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let path = parent.join(format!(
            ".{}.linkward-{}-{:08x}",
            name.to_string_lossy(),
            std::process::id(),
            fastrand::u32(..)
        ));
        std::fs::create_dir(&path).map_err(|source| ExportError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(Staging {
            path,
            committed: false,
        })
    }

    fn write(&self, name: &str, bytes: &[u8]) -> Result<(), ExportError> {
        let path = self.path.join(name);
        std::fs::write(&path, bytes).map_err(|source| ExportError::Write { path, source })
    }

    fn commit(mut self, out: &Path, replace_empty: bool) -> Result<(), ExportError> {
        let write_error = |source| ExportError::Write {
            path: out.to_path_buf(),
            source,
        };
        if replace_empty {
            std::fs::remove_dir(out).map_err(write_error)?;
        }
        std::fs::rename(&self.path, out).map_err(write_error)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ListedItem;

    fn item(title: &str, section: Option<&str>, url: Option<&str>) -> ListedItem {
        ListedItem {
            title: title.into(),
            section: section.map(Into::into),
            url: url.map(Into::into),
        }
    }

    fn copy(b: u8, content_type: &str) -> GoodCopy {
        GoodCopy {
            sha256: Sha256([b; 32]),
            at: None,
            content_type: Some(content_type.into()),
            recovered: None,
        }
    }

    fn recovered(b: u8, url: &str) -> Recovered {
        let at = |s| DateTime::from_timestamp(s, 0).unwrap_or_default();
        Recovered {
            sha256: Sha256([b; 32]),
            bytes: 10,
            content_type: Some("application/pdf".into()),
            archive: "wayback".into(),
            memento_url: format!("http://a/web/20070504101112/{url}"),
            fetched_url: format!("http://a/web/20070504101112id_/{url}"),
            memento_datetime: at(1_178_273_472),
            recovered_at: at(1_764_396_000),
        }
    }

    #[test]
    fn the_payload_is_laid_out_by_seed_section_and_title() {
        let seeds = vec![(
            "seeds/unitar.toml".to_owned(),
            SeedSnapshot {
                title: Some("Migrants' participation in host countries".into()),
                page_url: Some("http://h/".into()),
                items: vec![
                    item(
                        "Programme (pdf)",
                        Some("Related Documents"),
                        Some("http://h/p.pdf"),
                    ),
                    item(
                        "Programme (PDF)",
                        Some("Related Documents"),
                        Some("http://h/p2"),
                    ),
                    item(
                        "Programme, again",
                        Some("Related Documents"),
                        Some("http://h/p.pdf"),
                    ),
                    item("No copy", Some("Related Documents"), Some("http://h/gone")),
                    item("Unresolved", Some("Related Documents"), None),
                    item("Loose", None, Some("http://h/loose.txt")),
                    item("../../x", Some("../.."), Some("http://h/evil")),
                ],
            },
        )];
        let copies: HashMap<String, GoodCopy> = [
            ("http://h/", copy(0, "text/html")),
            ("http://h/p.pdf", copy(1, "application/pdf")),
            ("http://h/p2", copy(2, "application/pdf")),
            ("http://h/loose.txt", copy(3, "application/octet-stream")),
            ("http://h/evil", copy(4, "text/html")),
        ]
        .into_iter()
        .map(|(u, c)| (u.to_owned(), c))
        .collect();
        let plan = plan(&seeds, &copies);
        let paths: Vec<&str> = plan.entries.iter().map(|e| e.path.as_str()).collect();
        let seed = "data/migrants-participation-in-host-countries";
        assert_eq!(
            paths,
            vec![
                format!("{seed}/seed-page.html"),
                format!("{seed}/related-documents/programme-pdf.pdf"),
                format!("{seed}/related-documents/programme-pdf-2.pdf"),
                format!("{seed}/no-section/loose.txt"),
                format!("{seed}/no-section-2/x.html"),
            ]
        );
        assert_eq!(
            plan.without_copy, 1,
            "the gone URL; the unresolved item has no URL"
        );
        assert!(
            paths
                .iter()
                .all(|p| !p.contains("..") && !p.starts_with('/'))
        );
    }

    #[test]
    fn bag_info_has_the_required_fields() -> Result<(), Box<dyn std::error::Error>> {
        let info = BagInfo {
            organizations: vec![],
            descriptions: vec!["A page:\n  its description".into()],
            identifiers: vec!["http://h/".into()],
            run_id: 4,
            web_archive_copies: 0,
        };
        let date = NaiveDate::from_ymd_opt(2026, 11, 29).ok_or("date")?;
        let text = bag_info_txt(&info, date, 1234, 5);
        assert!(text.contains("Source-Organization: linkward\n"), "{text}");
        assert!(
            text.contains("External-Description: A page: its description\n"),
            "{text}"
        );
        assert!(text.contains("Bagging-Date: 2026-11-29\n"), "{text}");
        assert!(text.contains("Payload-Oxum: 1234.5\n"), "{text}");
        assert!(text.contains("Linkward-Web-Archive-Copies: 0\n"), "{text}");
        assert!(!text.contains("web archive"), "{text}");
        let text = bag_info_txt(
            &BagInfo {
                web_archive_copies: 2,
                ..info
            },
            date,
            1234,
            5,
        );
        assert!(text.contains("Linkward-Web-Archive-Copies: 2\n"), "{text}");
        assert!(
            text.contains(
                "; 2 of them, never fetched live, are copies recovered from a web archive"
            ),
            "{text}"
        );
        assert!(text.contains(concat!(
            "Bag-Software-Agent: linkward/",
            env!("CARGO_PKG_VERSION")
        )));
        Ok(())
    }

    #[test]
    fn the_linkward_manifest_keeps_one_row_per_line() {
        let e = Entry {
            path: "data/s/t.pdf".into(),
            url: "http://h/t.pdf".into(),
            sha256: Sha256([0xab; 32]),
            title: "A\ttab and a\nnewline".into(),
            section: None,
            seed: "s.toml".into(),
            last_good_at: DateTime::from_timestamp(0, 0),
            recovered: None,
        };
        let tsv = linkward_manifest_tsv(&[e]);
        let lines: Vec<&str> = tsv.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[1].split('\t').count(),
            LINKWARD_MANIFEST_COLUMNS.len()
        );
        assert!(
            lines[1].ends_with("\t1970-01-01T00:00:00Z\tlive\t\t\t\t\t"),
            "{tsv}"
        );
    }

    #[test]
    fn a_recovered_copy_is_bagged_only_without_a_live_one_and_says_where_it_came_from() {
        let seeds = vec![(
            "seeds/s.toml".to_owned(),
            SeedSnapshot {
                title: Some("Seminar".into()),
                page_url: Some("http://h/".into()),
                items: vec![
                    item("Programme", Some("Docs"), Some("http://h/p.pdf")),
                    item("Programme", Some("Docs"), Some("http://h/p2.pdf")),
                    item("Gone", Some("Docs"), Some("http://h/gone.pdf")),
                ],
            },
        )];
        // The store's records: the page was only ever recovered; p.pdf is live now though a copy
        // was recovered while it was down; p2.pdf was only recovered; gone.pdf has nothing.
        let record = |url: &str, live: Option<u8>, rec: Option<u8>| {
            let mut r = crate::store::ResourceRecord::apply(
                None,
                &crate::store::CheckRecord {
                    url: url.into(),
                    state: crate::model::State::Broken,
                    ..Default::default()
                },
            );
            r.last_good_sha256 = live.map(|b| Sha256([b; 32]));
            r.last_good_content_type = Some("application/pdf".into());
            r.recovered = rec.map(|b| recovered(b, url));
            r
        };
        let copies: HashMap<String, GoodCopy> = [
            record("http://h/", None, Some(1)),
            record("http://h/p.pdf", Some(2), Some(3)),
            record("http://h/p2.pdf", None, Some(4)),
            record("http://h/gone.pdf", None, None),
        ]
        .iter()
        .filter_map(|r| Some((r.url.clone(), GoodCopy::of(r)?)))
        .collect();
        let plan = plan(&seeds, &copies);
        let rows: Vec<(&str, u8, bool)> = plan
            .entries
            .iter()
            .map(|e| (e.path.as_str(), e.sha256.0[0], e.recovered.is_some()))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("data/seminar/seed-page.web-archive.pdf", 1, true),
                ("data/seminar/docs/programme.pdf", 2, false),
                ("data/seminar/docs/programme.web-archive.pdf", 4, true),
            ]
        );
        assert_eq!(plan.without_copy, 1);

        let tsv = linkward_manifest_tsv(&plan.entries);
        let header: Vec<&str> = tsv.lines().next().unwrap_or_default().split('\t').collect();
        assert_eq!(header[..7], LINKWARD_MANIFEST_COLUMNS[..7]);
        let row = |path: &str| -> Vec<String> {
            tsv.lines()
                .find(|l| l.starts_with(path))
                .map(|l| l.split('\t').map(String::from).collect())
                .unwrap_or_default()
        };
        let col = |name: &str| {
            LINKWARD_MANIFEST_COLUMNS
                .iter()
                .position(|c| *c == name)
                .unwrap_or(usize::MAX)
        };
        let live = row("data/seminar/docs/programme.pdf");
        assert_eq!(live[col("origin")], ORIGIN_LIVE);
        assert_eq!(live[col("memento_url")], "");
        let rec = row("data/seminar/docs/programme.web-archive.pdf");
        assert_eq!(rec[col("origin")], ORIGIN_WEB_ARCHIVE);
        assert_eq!(rec[col("last_good_at")], "", "never good live");
        assert_eq!(rec[col("archive")], "wayback");
        assert_eq!(
            rec[col("memento_url")],
            "http://a/web/20070504101112/http://h/p2.pdf"
        );
        assert_eq!(
            rec[col("fetched_url")],
            "http://a/web/20070504101112id_/http://h/p2.pdf"
        );
        assert_eq!(rec[col("memento_datetime")], "2007-05-04T10:11:12Z");
        assert_eq!(rec[col("recovered_at")], "2025-11-29T06:00:00Z");
    }
}
