//! `linkward export bagit OUT`: a BagIt 1.0 bag (RFC 8493) of the latest good copy of every
//! document the archive's latest complete run listed, seed page included. Payload paths are
//! `data/<seed>/<section>/<title>.<ext>` (and `data/<seed>/seed-page.<ext>`), each part a safe
//! slug (see `slug`), so nothing in the bag is named by a server. Besides the required tag files
//! the bag carries `linkward-manifest.tsv`: each payload file's URL, sha256, title, section,
//! seed and the time of its copy.
//!
//! Invariants: the bag is built in a folder beside OUT and renamed into place only when whole, so
//! OUT is either absent or a complete bag; blobs are streamed (never held whole in memory) and
//! rehashed on the way, so a damaged copy stops the export instead of entering the bag.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sha2::Digest;

use super::slug::{self, Names};
use super::{ExportError, copy_blob, latest_complete_run, manifest_of};
use crate::archive::{Archive, FILE_CHUNK};
use crate::check::open_existing;
use crate::model::Sha256;
use crate::transition::SeedSnapshot;

/// Our own tag file: what each payload file is a copy of.
pub const LINKWARD_MANIFEST: &str = "linkward-manifest.tsv";
/// Its columns, in order (its first line).
pub const LINKWARD_MANIFEST_COLUMNS: [&str; 7] = [
    "path",
    "url",
    "sha256",
    "title",
    "section",
    "seed",
    "last_good_at",
];
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
    pub at: Option<DateTime<Utc>>,
    pub content_type: Option<String>,
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
}

/// Lays out the payload: every seed's page and listed URLs that have a good copy, in listing
/// order; a URL listed twice in one seed is bagged once (under its first title). Pure.
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
            let ext = slug::extension(copy.content_type.as_deref(), page);
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
            let ext = slug::extension(copy.content_type.as_deref(), url);
            let name = names.unique(&slug::slug(&item.title, "untitled"), Some(&ext));
            out.entries.push(Entry {
                path: format!("data/{seed_dir}/{section_dir}/{name}"),
                url: url.clone(),
                sha256: copy.sha256,
                title: item.title.clone(),
                section: item.section.clone(),
                seed: seed_id.clone(),
                last_good_at: copy.at,
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
    field(
        "Internal-Sender-Description",
        &format!(
            "The latest good copy of every document listed in linkward run {}",
            info.run_id
        ),
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
    for e in entries {
        let at = e
            .last_good_at
            .map(|a| a.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default();
        let fields = [
            e.path.as_str(),
            e.url.as_str(),
            &e.sha256.to_hex(),
            e.title.as_str(),
            e.section.as_deref().unwrap_or(""),
            e.seed.as_str(),
            &at,
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
pub fn export(archive_dir: &Path, out: &Path) -> Result<Summary, ExportError> {
    let replace_empty = check_out(out)?;
    // Read what to bag under the archive's lock, then let it go: blobs never change once written.
    let (plan, info) = {
        let (_lock, store) = open_existing(archive_dir)?;
        let run = latest_complete_run(&store)?
            .ok_or_else(|| ExportError::NoCompleteRun(archive_dir.to_path_buf()))?;
        let mut seeds = store.seeds_in_run(run.id)?;
        seeds.sort_by_key(|(id, _)| run.seeds.iter().position(|s| s == id));
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
                if let Some(r) = store.resource(url)?
                    && let Some(sha256) = r.last_good_sha256
                {
                    copies.insert(
                        url.clone(),
                        GoodCopy {
                            sha256,
                            at: r.last_good_at,
                            content_type: r.last_good_content_type,
                        },
                    );
                }
            }
        }
        (plan(&seeds, &copies), bag_info(&seeds, run.id))
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
        let blob = archive_dir.join(Archive::relative_path(&entry.sha256));
        let copied = copy_blob(&entry.url, &entry.sha256, &blob, &mut w, Some(&dest))?;
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
    use crate::transition::ListedItem;

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
        };
        let tsv = linkward_manifest_tsv(&[e]);
        let lines: Vec<&str> = tsv.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[1].split('\t').count(),
            LINKWARD_MANIFEST_COLUMNS.len()
        );
        assert!(lines[1].ends_with("\t1970-01-01T00:00:00Z"), "{tsv}");
    }
}
