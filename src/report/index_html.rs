//! The offline index's page, `ARCHIVE/index.html`: one self-contained page (inline CSS; no
//! JavaScript, no external stylesheet, font or image) that lists every seed of the latest
//! complete run and its items by section: title, note, state, when last checked, when last good,
//! the sha256 of the good copy, a relative link to that copy under `blobs/`, and the original URL.
//! A copy recovered from a web archive is linked too, after the live one and marked as such with
//! its archive, snapshot date and memento URL, so it is never taken for what the live URL served.
//! It opens from `file://` with no network and no server, and moves with the archive folder.
//!
//! Rendering is pure: `crate::index` gathers the `IndexPage` from the store and writes the file.

use std::collections::HashMap;
use std::io::{self, Write};

use chrono::{DateTime, Utc};

use super::Render;
use super::formats::{Html, webarchive};
// One escaping and one date style for every HTML linkward writes.
use super::formats::{day, escape_xml as esc, minute as time};
use crate::model::{Reason, Recovered, Sha256, State};
use crate::store::{RunRecord, VerificationRecord};

/// Hex digits of a sha256 shown in the table (the full one is in the cell's tooltip).
const SHORT_HASH: usize = 12;

/// Everything the page shows, gathered from the store.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexPage {
    pub generated: DateTime<Utc>,
    /// The run whose lists are shown: the latest complete one.
    pub run: Option<RunRecord>,
    /// The latest run, when it is not that one (interrupted, inconclusive, or still running).
    pub later_run: Option<RunRecord>,
    /// The latest `linkward verify`, if any.
    pub last_verified: Option<VerificationRecord>,
    pub seeds: Vec<SeedEntry>,
}

/// One seed and what it listed.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedEntry {
    pub id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub publisher: Option<String>,
    /// The seed page itself, when it is a checked resource.
    pub page: Option<Row>,
    /// Sections in listing order; `None` is items listed under no heading.
    pub sections: Vec<(Option<String>, Vec<Row>)>,
}

/// One listed item (one of its URLs) and what the store knows of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub title: String,
    pub note: Option<String>,
    pub url: Option<String>,
    pub state: State,
    pub reason: Option<Reason>,
    pub http_status: Option<u16>,
    pub last_checked: Option<DateTime<Utc>>,
    pub last_good_at: Option<DateTime<Utc>>,
    pub sha256: Option<Sha256>,
    pub bytes: Option<u64>,
    pub content_type: Option<String>,
    /// Where the good copy opens from (`Missing` when there is none).
    pub copy: Place,
    /// The latest copy recovered from a web archive, kept apart from the live good copy.
    pub recovered: Option<Recovered>,
    /// Where it opens from.
    pub recovered_copy: Place,
}

/// Where a copy the archive holds opens from the index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Place {
    /// Its file in the `files/` view, relative to the archive folder.
    View(String),
    /// The WARC files only: a page the view does not hold, which `linkward get` writes out.
    Packs,
    /// Its file should be in the view and is not.
    #[default]
    Missing,
}

const STYLE: &str = "
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2328;background:#fff;margin:0}
main{max-width:1280px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 4px;padding:0 0 4px 10px;border-left:5px solid #0969da}
h3{font-size:15px;margin:20px 0 6px;color:#424a53}
a{color:#0969da;text-decoration:none}
a:hover{text-decoration:underline}
.sub,.muted,footer{color:#57606a}
.sub{margin:0 0 6px;font-size:13px}
.warn{margin:10px 0;padding:8px 12px;background:#fff8c5;border:1px solid #d4a72c;border-radius:6px}
.counts{margin:10px 0 0;padding:0;list-style:none}
.counts li{display:inline-block;margin:0 6px 6px 0}
.seedinfo{margin:2px 0 0;font-size:13px;color:#57606a}
.seedinfo p{margin:2px 0}
table{border-collapse:collapse;width:100%;table-layout:fixed;font-size:13px}
col.c-title{width:28%}col.c-state{width:12%}col.c-date{width:10%}col.c-copy{width:17%}col.c-url{width:23%}
th{text-align:left;font-weight:600;color:#57606a;border-bottom:2px solid #d0d7de;padding:4px 8px}
td{vertical-align:top;border-bottom:1px solid #eaeef2;padding:6px 8px;overflow-wrap:anywhere}
tr.page td{background:#f6f8fa}
.title{font-weight:600}
.note{margin-top:3px;font-size:12px;color:#57606a}
.url{font-size:12px;word-break:break-all}
.none{color:#8c959f;font-style:italic}
.date{white-space:nowrap;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.badge{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;color:#fff;background:#6e7781}
.s-web-archive{background:#1b7c83}
.recovered{margin-top:4px}
.live+.recovered{border-top:1px dashed #d0d7de;padding-top:4px}
.prov{font-size:11px;color:#57606a;word-break:break-all}
.s-ok{background:#1a7f37}.s-redirected{background:#9a6700}.s-broken{background:#cf222e}.s-skipped{background:#6e7781}.s-unresolved{background:#8250df}
.reason{display:block;margin-top:2px;font-size:12px;color:#57606a}
footer{margin-top:36px;font-size:12px;border-top:1px solid #d0d7de;padding-top:8px}
@media print{main{max-width:none;padding:0}a{color:#1f2328}}
";

/// The page. Pure; every text from the store or a server is escaped, and the only links are
/// relative ones to the archive's own blobs, the listed URLs themselves and the http(s) mementos
/// copies were recovered from.
impl Render<IndexPage> for Html {
    fn render(&self, page: &IndexPage, out: &mut dyn Write) -> io::Result<()> {
        page_html(page, out)
    }
}

fn page_html(page: &IndexPage, h: &mut dyn Write) -> io::Result<()> {
    writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"linkward/{}\">\n\
         <title>linkward archive index</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>",
        env!("CARGO_PKG_VERSION")
    )?;
    h.write_all(b"<h1>Archive index</h1>\n")?;
    match &page.run {
        Some(run) => {
            writeln!(
                h,
                "<p class=\"sub\">Run {} &middot; started {} &middot; finished {} &middot; {} seed{}</p>",
                run.id,
                time(&run.started),
                run.finished.as_ref().map_or_else(|| "—".to_owned(), time),
                page.seeds.len(),
                if page.seeds.len() == 1 { "" } else { "s" }
            )?;
        }
        None => {
            h.write_all(b"<p class=\"warn\">No run has completed yet: nothing to list.</p>\n")?
        }
    }
    match &page.last_verified {
        Some(v) => {
            let scope = v.sampled.map_or_else(String::new, |p| format!(" (a {p}% sample)"));
            let outcome = if v.clean {
                format!("intact: {} blobs, {} WARC records{scope}", v.blobs, v.warc_records)
            } else {
                format!("{} problems found{scope}; run <code>linkward verify</code> for the list", v.problems)
            };
            writeln!(
                h,
                "<p class=\"{}\">Last verified {}: {outcome}</p>",
                if v.clean { "sub" } else { "warn" },
                time(&v.at)
            )?;
        }
        None => h.write_all(b"<p class=\"sub\">Last verified: never (<code>linkward verify</code> rehashes every copy)</p>\n")?,
    }
    if let Some(later) = &page.later_run {
        let what = if later.status == crate::store::RunStatus::Inconclusive {
            "was inconclusive (the network here was down)"
        } else {
            "did not complete"
        };
        writeln!(
            h,
            "<p class=\"warn\">Run {} (started {}) {what}: the lists below are from the \
             last complete run; states and copies are the latest known.</p>",
            later.id,
            time(&later.started)
        )?;
    }
    counts(h, page)?;
    for seed in &page.seeds {
        seed_section(h, seed)?;
    }
    writeln!(
        h,
        "<footer>Generated {} by linkward {}. Local copies are relative links into this archive \
         folder (<code>blobs/sha256/</code>); they open without a network. A copy marked \
         <em>web archive</em> was recovered from a web archive&rsquo;s snapshot (linked), not \
         fetched from the live URL. States and dates are each URL&rsquo;s latest check.</footer>\n</main>\n</body>\n</html>",
        time(&page.generated),
        env!("CARGO_PKG_VERSION")
    )
}

fn counts(h: &mut dyn Write, page: &IndexPage) -> io::Result<()> {
    let mut n: HashMap<State, usize> = HashMap::new();
    let mut only_recovered = 0;
    for row in page
        .seeds
        .iter()
        .flat_map(|s| s.sections.iter().flat_map(|(_, rows)| rows))
    {
        *n.entry(row.state).or_default() += 1;
        if row.sha256.is_none() && row.recovered.is_some() {
            only_recovered += 1;
        }
    }
    if n.is_empty() {
        return Ok(());
    }
    h.write_all(b"<ul class=\"counts\">")?;
    for state in State::ALL {
        if let Some(k) = n.get(&state) {
            write!(
                h,
                "<li><span class=\"badge s-{s}\">{k} {s}</span></li>",
                s = state.as_str()
            )?;
        }
    }
    if only_recovered > 0 {
        write!(
            h,
            "<li><span class=\"badge s-web-archive\">{only_recovered} kept only as a web archive copy</span></li>"
        )?;
    }
    h.write_all(b"</ul>\n")
}

fn seed_section(h: &mut dyn Write, seed: &SeedEntry) -> io::Result<()> {
    writeln!(
        h,
        "<section class=\"seed\">\n<h2>{}</h2>",
        esc(seed.title.as_deref().unwrap_or(&seed.id))
    )?;
    h.write_all(b"<div class=\"seedinfo\">")?;
    write!(h, "<p>Seed <code>{}</code>", esc(&seed.id))?;
    if let Some(p) = &seed.publisher {
        write!(h, " &middot; {}", esc(p))?;
    }
    h.write_all(b"</p>")?;
    if let Some(d) = &seed.description {
        write!(h, "<p>{}</p>", esc(d))?;
    }
    h.write_all(b"</div>\n")?;
    if let Some(page) = &seed.page {
        table_start(h, None)?;
        row_html(h, page, true)?;
        h.write_all(b"</tbody></table>\n")?;
    }
    for (section, rows) in &seed.sections {
        table_start(h, Some(section.as_deref().unwrap_or("Not under a heading")))?;
        for r in rows {
            row_html(h, r, false)?;
        }
        h.write_all(b"</tbody></table>\n")?;
    }
    h.write_all(b"</section>\n")
}

fn table_start(h: &mut dyn Write, section: Option<&str>) -> io::Result<()> {
    if let Some(s) = section {
        writeln!(h, "<h3>{}</h3>", esc(s))?;
    }
    h.write_all(
        b"<table><colgroup><col class=\"c-title\"><col class=\"c-state\"><col class=\"c-date\">\
         <col class=\"c-date\"><col class=\"c-copy\"><col class=\"c-url\"></colgroup>\n\
         <thead><tr><th>Title</th><th>State</th><th>Last checked</th><th>Last good</th>\
         <th>Local copy</th><th>Original URL</th></tr></thead><tbody>\n",
    )
}

fn row_html(h: &mut dyn Write, r: &Row, is_page: bool) -> io::Result<()> {
    write!(h, "<tr{}>", if is_page { " class=\"page\"" } else { "" })?;
    // Title and note.
    write!(h, "<td><div class=\"title\">{}</div>", esc(&r.title))?;
    if is_page {
        h.write_all(b"<div class=\"note\">The seed page itself</div>")?;
    }
    if let Some(n) = &r.note {
        write!(h, "<div class=\"note\">{}</div>", esc(n))?;
    }
    h.write_all(b"</td>")?;
    // State and reason.
    write!(
        h,
        "<td><span class=\"badge s-{s}\">{s}</span>",
        s = r.state.as_str()
    )?;
    let reason = match (r.reason, r.http_status) {
        (Some(Reason::HttpError), Some(code)) => Some(format!("http-error ({code})")),
        (Some(reason), _) => Some(reason.as_str().to_owned()),
        (None, _) => None,
    };
    if let Some(reason) = reason {
        write!(h, "<span class=\"reason\">{}</span>", esc(&reason))?;
    }
    h.write_all(b"</td>")?;
    // Dates.
    for t in [&r.last_checked, &r.last_good_at] {
        match t {
            Some(t) => {
                write!(
                    h,
                    "<td class=\"date\" title=\"{}\">{}</td>",
                    t.to_rfc3339(),
                    day(t)
                )?;
            }
            None => h.write_all(b"<td class=\"none\">never</td>")?,
        }
    }
    // The local copies: the live one first, then one recovered from a web archive, each marked.
    match (&r.sha256, &r.copy, &r.recovered) {
        (Some(sha), Place::View(path), _) => {
            write!(
                h,
                "<td><div class=\"live\">{}</div>",
                blob_link(sha, path, r.content_type.as_deref(), r.bytes, "")
            )?;
        }
        (Some(sha), place, _) => {
            let hex = sha.to_hex();
            let (class, said) = match place {
                Place::Packs => (
                    "muted",
                    "a page: in the WARC files (<code>linkward get</code> writes it out)",
                ),
                _ => ("none", "missing from the archive"),
            };
            write!(
                h,
                "<td><div class=\"live\" title=\"sha256 {hex}\"><code>{}</code> <span class=\"{class}\">{said}</span></div>",
                &hex[..SHORT_HASH]
            )?;
        }
        (None, _, Some(_)) => h.write_all(b"<td><div class=\"live none\">no live copy</div>")?,
        (None, _, None) => h.write_all(b"<td class=\"none\">no copy")?,
    }
    if let Some(rec) = &r.recovered {
        recovered_html(h, rec, &r.recovered_copy)?;
    }
    h.write_all(b"</td>")?;
    // The original URL.
    match &r.url {
        Some(u) if crate::report::linkable(u) => {
            write!(
                h,
                "<td class=\"url\"><a href=\"{0}\" rel=\"noreferrer\">{0}</a></td>",
                esc(u)
            )?;
        }
        Some(u) => {
            write!(h, "<td class=\"url\">{}</td>", esc(u))?;
        }
        None => h.write_all("<td class=\"none\">unresolved — no URL</td>".as_bytes())?,
    }
    h.write_all(b"</tr>\n")
}

/// A relative link to a blob: its short hash, the full one in the tooltip, its size.
fn blob_link(
    sha: &Sha256,
    path: &str,
    content_type: Option<&str>,
    bytes: Option<u64>,
    tip: &str,
) -> String {
    let hex = sha.to_hex();
    let kind = content_type
        .map(|t| format!(" type=\"{}\"", esc(t.split(';').next().unwrap_or(t).trim())))
        .unwrap_or_default();
    let size = bytes
        .map(|b| format!(" <span class=\"muted\">{}</span>", bytesize::ByteSize(b)))
        .unwrap_or_default();
    format!(
        "<a href=\"{}\"{kind} title=\"sha256 {hex}{tip}\"><code>{}</code></a>{size}",
        esc(path),
        &hex[..SHORT_HASH]
    )
}

/// A copy recovered from a web archive: marked as such, linked when its blob is there, with
/// where it came from (archive, snapshot date, memento) so it is never taken for the live copy.
fn recovered_html(h: &mut dyn Write, rec: &Recovered, place: &Place) -> io::Result<()> {
    h.write_all(
        b"<div class=\"recovered\"><span class=\"badge s-web-archive\">web archive</span> ",
    )?;
    match place {
        Place::View(path) => h.write_all(
            blob_link(
                &rec.sha256,
                path,
                rec.content_type.as_deref(),
                Some(rec.bytes),
                ", recovered from a web archive",
            )
            .as_bytes(),
        )?,
        Place::Packs => {
            let hex = rec.sha256.to_hex();
            write!(
                h,
                "<code title=\"sha256 {hex}\">{}</code> <span class=\"muted\">a page: in the WARC files</span>",
                &hex[..SHORT_HASH]
            )?;
        }
        Place::Missing => {
            let hex = rec.sha256.to_hex();
            write!(
                h,
                "<code title=\"sha256 {hex}\">{}</code> <span class=\"none\">missing from the archive</span>",
                &hex[..SHORT_HASH]
            )?;
        }
    }
    let memento = if webarchive::linkable(&rec.memento_url) {
        format!(
            "<a href=\"{0}\" rel=\"noreferrer\">{0}</a>",
            esc(&rec.memento_url)
        )
    } else {
        esc(&rec.memento_url)
    };
    write!(
        h,
        "<div class=\"prov\" title=\"snapshot taken {}; recovered {}\">{}: {memento}</div></div>",
        rec.memento_datetime.to_rfc3339(),
        rec.recovered_at.to_rfc3339(),
        esc(&webarchive::recovered_from(rec))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(page: &IndexPage) -> String {
        let mut out = Vec::new();
        let rendered = Html.render(page, &mut out);
        assert!(rendered.is_ok());
        String::from_utf8_lossy(&out).into_owned()
    }

    fn row(title: &str, url: Option<&str>, state: State) -> Row {
        Row {
            title: title.into(),
            note: None,
            url: url.map(Into::into),
            state,
            reason: None,
            http_status: None,
            last_checked: None,
            last_good_at: None,
            sha256: None,
            bytes: None,
            content_type: None,
            copy: Place::Missing,
            recovered: None,
            recovered_copy: Place::Missing,
        }
    }

    fn recovered(b: u8, memento: &str) -> Recovered {
        let when = |s| DateTime::from_timestamp(s, 0).unwrap_or_default();
        Recovered {
            sha256: Sha256([b; 32]),
            bytes: 2048,
            content_type: Some("application/pdf".into()),
            archive: "wayback".into(),
            memento_url: memento.into(),
            fetched_url: memento.into(),
            // 2007-05-04 10:11:12 UTC.
            memento_datetime: when(1_178_273_472),
            recovered_at: when(1_764_396_000),
        }
    }

    fn page(rows: Vec<Row>) -> IndexPage {
        IndexPage {
            generated: DateTime::from_timestamp(0, 0).unwrap_or_default(),
            run: Some(RunRecord {
                id: 7,
                ..RunRecord::default()
            }),
            later_run: None,
            last_verified: None,
            seeds: vec![SeedEntry {
                id: "seeds/s.toml".into(),
                title: Some("A <seed>".into()),
                description: None,
                publisher: None,
                page: None,
                sections: vec![(Some("Related Documents".into()), rows)],
            }],
        }
    }

    fn view_path(sha: &Sha256) -> String {
        crate::view::path(sha, Some("application/pdf"), "https://h/x.pdf", false)
            .unwrap_or_default()
    }

    #[test]
    fn text_is_escaped_and_nothing_is_executable_or_fetched() {
        let sha = Sha256([0xab; 32]);
        let mut evil = row(
            "<script>alert(1)</script>",
            Some("https://h/x?a=\"><img src=x>"),
            State::Ok,
        );
        evil.note = Some("note & <b>".into());
        evil.sha256 = Some(sha);
        evil.copy = Place::View(view_path(&sha));
        evil.content_type = Some("application/pdf\"><script>".into());
        let html = render(&page(vec![evil, row("Unlisted", None, State::Unresolved)]));
        assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("note &amp; &lt;b&gt;"));
        assert!(html.contains(&format!("href=\"files/ab/{}.pdf\"", sha.to_hex())));
        assert!(html.contains(&format!("title=\"sha256 {}\"", sha.to_hex())));
        assert!(html.contains("unresolved — no URL"));
        assert!(html.contains("Run 7"));
        assert!(html.contains("A &lt;seed&gt;"));
    }

    #[test]
    fn a_recovered_copy_is_linked_marked_and_never_before_the_live_one() {
        const MEMENTO: &str = "https://web.archive.org/web/20070504101112/https://h/p.pdf";
        let live = Sha256([0x11; 32]);
        let mut both = row("Both", Some("https://h/both.pdf"), State::Ok);
        both.sha256 = Some(live);
        both.copy = Place::View(view_path(&live));
        both.recovered = Some(recovered(0x22, MEMENTO));
        both.recovered_copy = Place::View(view_path(&Sha256([0x22; 32])));
        let mut only = row("Only", Some("https://h/p.pdf"), State::Broken);
        only.recovered = Some(recovered(0x33, MEMENTO));
        only.recovered_copy = Place::View(view_path(&Sha256([0x33; 32])));
        let mut hostile = row("Hostile", Some("https://h/x.pdf"), State::Broken);
        hostile.recovered = Some(recovered(0x44, "javascript:alert(1)"));
        let html = render(&page(vec![both, only, hostile]));

        let href = |b: u8| format!("href=\"{}\"", view_path(&Sha256([b; 32])));
        let at = |needle: &str| html.find(needle).unwrap_or(usize::MAX);
        assert!(at(&href(0x11)) < at(&href(0x22)), "live copy first\n{html}");
        assert!(
            at(&href(0x33)) < usize::MAX,
            "the recovered-only copy is linked"
        );
        let marked = "recovered from wayback snapshot of 2007-05-04 10:11 UTC: \
                      <a href=\"https://web.archive.org/web/20070504101112/https://h/p.pdf\" rel=\"noreferrer\">";
        assert_eq!(html.matches(marked).count(), 2, "{html}");
        assert_eq!(html.matches(">web archive</span> <a").count(), 2);
        assert!(html.contains("no live copy"));
        assert!(html.contains("2 kept only as a web archive copy"), "{html}");
        // A memento that is not a web URL is text, and a blob that is not there is not linked.
        assert!(!html.contains("href=\"javascript:"), "{html}");
        assert!(html.contains(": javascript:alert(1)</div>"));
        assert!(!html.contains(&href(0x44)));
        assert!(html.contains("missing from the archive"));
    }
}
