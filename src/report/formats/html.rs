//! The HTML change report: one self-contained file that opens from a mail attachment. Inline CSS
//! and inline SVG only: no JavaScript, no external stylesheet, font or image (the only URLs in it
//! are the links the report is about). Colours that carry meaning are SVG `fill` attributes, so
//! they survive a mail client that drops `<style>`.
//!
//! It says what the markdown report says (same `Outline`, web archives' snapshots and recovered
//! copies included), plus a health timeline per link (a cell per run, coloured by state, with a
//! tooltip) and a chart of the share of reachable links per run.

use crate::report::{html_link, linkable};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use super::outline::{self, Outline};
use super::{escape_xml as esc, minute};
use crate::model::ListedItem;
use crate::model::State;
use crate::report::Render;
use crate::report::changes::{Cell, ChangeReport, Entry, RunPoint, Timeline, Urgency};

/// HTML: the change report here, and the offline index in `report::index_html`.
pub struct Html;

const STYLE: &str = "
body{font:15px/1.45 -apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2328;background:#fff;margin:0}
main{max-width:1100px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 6px;padding:0 0 4px 10px;border-left:5px solid #8c959f}
h3{font-size:16px;margin:18px 0 4px}
h4{font-size:14px;margin:10px 0 4px;color:#57606a;font-weight:600}
a{color:#0969da;text-decoration:none}
a:hover{text-decoration:underline}
.sub,.blurb,.url,footer{color:#57606a}
.sub{margin:0 0 10px;font-size:13px}
.summary{font-size:16px;font-weight:600;margin:8px 0 0}
.blurb{margin:0 0 6px;font-size:13px}
.nothing{font-size:17px;padding:14px 16px;background:#dafbe1;border-radius:6px}
ul.entries{list-style:none;padding:0;margin:0}
ul.entries>li{padding:8px 10px;margin:6px 0;border:1px solid #d0d7de;border-radius:6px}
.name{font-weight:600}
.url{font-size:12px;word-break:break-all}
.fact{display:inline-block;font-size:12px;padding:1px 7px;margin:3px 4px 0 0;border-radius:10px;background:#eaeef2}
.fact.lead{color:#fff}
.update{margin-top:6px;font-weight:600}
.held{margin-top:6px}
ul.archive{margin:6px 0 0;padding-left:18px;font-size:13px}
ul.archive a{word-break:break-all}
ul.archive .when{color:#57606a}
pre.diff{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:8px 10px;margin:8px 0 0;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
pre.diff span{display:block}
.add{background:#dafbe1;color:#116329}
.del{background:#ffebe9;color:#82071e}
.hunk{color:#8250df}
section.u-broken h2{border-color:#cf222e}
section.u-moved h2{border-color:#bf8700}
section.u-changed h2{border-color:#0969da}
section.u-recovered h2{border-color:#1a7f37}
section.u-still-broken h2{border-color:#a40e26}
section.u-failing h2{border-color:#bc4c00}
.u-broken .lead,.u-still-broken .lead{background:#cf222e}
.u-moved .lead{background:#9a6700}
.u-changed .lead{background:#0969da}
.u-recovered .lead{background:#1a7f37}
.u-failing .lead{background:#bc4c00}
.seed ul{margin:4px 0}
table.timeline{border-collapse:collapse;margin-top:8px}
table.timeline td,table.timeline th{padding:3px 10px 3px 0;vertical-align:middle;text-align:left}
table.timeline th{font-size:12px;color:#57606a;font-weight:600}
table.timeline tr+tr td{border-top:1px solid #eaeef2}
table.timeline td.link{max-width:420px;font-size:13px}
table.timeline .section{font-size:11px;color:#57606a}
.legend{font-size:12px;color:#57606a}
.legend svg{vertical-align:-2px;margin:0 3px 0 10px}
svg text{font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}
footer{margin-top:40px;font-size:12px}
";

impl Render<ChangeReport> for Html {
    fn render(&self, report: &ChangeReport, out: &mut dyn Write) -> io::Result<()> {
        let doc = Outline::new(report);
        let mut h = String::new();
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(h, "<title>{}</title>", esc(&doc.title));
        let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
        let _ = writeln!(h, "<h1>{}</h1>", esc(&doc.title));
        let _ = writeln!(h, "<p class=\"sub\">{}</p>", esc(&doc.subtitle));
        if doc.nothing {
            let _ = writeln!(
                h,
                "<p class=\"nothing\">{}</p>",
                esc(&Outline::nothing_line(report))
            );
        } else {
            let _ = writeln!(h, "<p class=\"summary\">{}</p>", esc(&doc.summary));
        }

        for section in &doc.sections {
            let _ = writeln!(
                h,
                "<section class=\"u-{}\">\n<h2>{} ({})</h2>\n<p class=\"blurb\">{}</p>",
                urgency_class(section.urgency),
                esc(section.heading),
                section.count,
                esc(section.blurb)
            );
            for seed in &section.seeds {
                let _ = writeln!(h, "<h3>{}</h3>", esc(&seed.label));
                for group in &seed.sections {
                    if let Some(name) = group.name {
                        let _ = writeln!(h, "<h4>{}</h4>", esc(name));
                    }
                    h.push_str("<ul class=\"entries\">\n");
                    for e in &group.entries {
                        entry(&mut h, e, doc.archive);
                    }
                    h.push_str("</ul>\n");
                }
            }
            h.push_str("</section>\n");
        }

        if !doc.seeds.is_empty() {
            h.push_str("<section class=\"seeds\">\n<h2>Seed pages</h2>\n");
            for seed in &doc.seeds {
                let _ = writeln!(h, "<div class=\"seed\">\n<h3>{}</h3>", esc(&seed.label));
                if !seed.page.is_empty() {
                    match seed.page_url {
                        Some(url) => {
                            let _ = writeln!(h, "<p>The page itself, {}:</p>", html_link(url, url));
                        }
                        None => h.push_str("<p>The page itself:</p>\n"),
                    }
                    h.push_str("<ul>\n");
                    for e in &seed.page {
                        let _ = writeln!(
                            h,
                            "<li><strong>{}</strong>: {}</li>",
                            esc(outline::label(e)),
                            esc(&outline::facts(e).join(" · "))
                        );
                    }
                    h.push_str("</ul>\n");
                }
                let items = seed.items;
                listed_block(&mut h, "Added to the page", items.added_to_page.iter());
                listed_block(
                    &mut h,
                    "Removed from the page",
                    items.removed_from_page.iter(),
                );
                if !items.href_changed.is_empty() {
                    h.push_str("<p>Link changed on the page:</p>\n<ul>\n");
                    for (before, now) in &items.href_changed {
                        let _ = writeln!(
                            h,
                            "<li>{}: {} → {}</li>",
                            item_title(now),
                            item_url(before),
                            item_url(now)
                        );
                    }
                    h.push_str("</ul>\n");
                }
                h.push_str("</div>\n");
            }
            h.push_str("</section>\n");
        }

        h.push_str("<section class=\"chart\">\n<h2>Reachable links per run</h2>\n");
        h.push_str(
            "<p class=\"blurb\">Share of the links checked in each run that answered (ok or redirected).</p>\n",
        );
        h.push_str(&reachability_chart(&report.reachability));
        h.push_str("</section>\n");

        h.push_str("<section class=\"timelines\">\n<h2>Health timeline</h2>\n");
        if report.timelines.is_empty() {
            h.push_str("<p class=\"blurb\">No link was checked in this window.</p>\n");
        } else {
            h.push_str(
                "<p class=\"blurb\">One cell per run, oldest first; hover over a cell for its date, HTTP status and reason.</p>\n",
            );
            legend(&mut h);
            timeline_table(&mut h, report);
        }
        h.push_str("</section>\n");

        let _ = writeln!(
            h,
            "<footer>Generated by linkward on {}.</footer>\n</main>\n</body>\n</html>",
            esc(&minute(&report.generated))
        );
        out.write_all(h.as_bytes())
    }
}

fn urgency_class(u: Urgency) -> &'static str {
    match u {
        Urgency::Broken => "broken",
        Urgency::Moved => "moved",
        Urgency::Changed => "changed",
        Urgency::Recovered => "recovered",
        Urgency::StillBroken => "still-broken",
        Urgency::Failing => "failing",
    }
}

fn entry(h: &mut String, e: &Entry, archive: Option<&Path>) {
    let name = outline::name(e);
    let _ = if linkable(&e.url) {
        write!(
            h,
            "<li>\n<a class=\"name\" href=\"{}\">{}</a>",
            esc(&e.url),
            esc(name)
        )
    } else {
        write!(h, "<li>\n<span class=\"name\">{}</span>", esc(name))
    };
    if name != e.url {
        let _ = write!(h, "\n<div class=\"url\">{}</div>", esc(&e.url));
    }
    h.push_str("\n<div>");
    for (i, fact) in outline::facts(e).iter().enumerate() {
        let class = if i == 0 { "fact lead" } else { "fact" };
        let _ = write!(h, "<span class=\"{class}\">{}</span>", esc(fact));
    }
    h.push_str("</div>");
    if let Some(to) = &e.update_to {
        let _ = write!(
            h,
            "\n<div class=\"update\">Update the link to {}</div>",
            html_link(to, to)
        );
    }
    if let Some((held, get)) = outline::good_copy(e, archive) {
        let _ = write!(
            h,
            "\n<div class=\"held\">{}: <code>{}</code></div>",
            esc(&held),
            esc(&get)
        );
    }
    if let Some(w) = outline::web_archive(e) {
        h.push_str("\n<ul class=\"archive\">");
        if let Some((url, label)) = &w.snapshot {
            let _ = write!(
                h,
                "<li>closest snapshot: {} <span class=\"when\">({})</span></li>",
                memento_link(url),
                esc(label)
            );
        }
        if let Some(absence) = &w.absence {
            let _ = write!(h, "<li>{}</li>", esc(absence));
        }
        for note in &w.notes {
            let _ = write!(h, "<li>note: {}</li>", esc(note));
        }
        // The report travels alone (a mail attachment): the blob's path is text, not a link.
        if let Some((text, path)) = &w.copy {
            let _ = write!(
                h,
                "<li>{}, kept as <code>{}</code></li>",
                esc(text),
                esc(path)
            );
        }
        h.push_str("</ul>");
    }
    if let Some(diff) = e.diff.as_deref().filter(|d| !d.trim().is_empty()) {
        h.push_str("\n<pre class=\"diff\">");
        for line in diff.trim_end_matches('\n').lines() {
            let class = if line.starts_with("@@") {
                "hunk"
            } else if line.starts_with('+') {
                "add"
            } else if line.starts_with('-') {
                "del"
            } else {
                "ctx"
            };
            // An empty span would collapse; a space keeps a blank context line's height.
            let text = if line.is_empty() { " " } else { line };
            let _ = write!(h, "<span class=\"{class}\">{}</span>", esc(text));
        }
        h.push_str("</pre>");
    }
    h.push_str("\n</li>\n");
}

/// The memento as a link when it is a web URL, as text otherwise.
pub(super) fn memento_link(url: &str) -> String {
    html_link(url, url)
}

fn listed_block<'a>(
    h: &mut String,
    heading: &str,
    items: impl ExactSizeIterator<Item = &'a ListedItem>,
) {
    if items.len() == 0 {
        return;
    }
    let _ = writeln!(h, "<p>{}:</p>\n<ul>", esc(heading));
    for item in items {
        let _ = writeln!(h, "<li>{}: {}</li>", item_title(item), item_url(item));
    }
    h.push_str("</ul>\n");
}

fn item_title(item: &ListedItem) -> String {
    match &item.section {
        Some(section) => format!("<strong>{}</strong> ({})", esc(&item.title), esc(section)),
        None => format!("<strong>{}</strong>", esc(&item.title)),
    }
}

fn item_url(item: &ListedItem) -> String {
    match &item.url {
        Some(url) => html_link(url, url),
        None => String::from("no URL"),
    }
}

/// The fill of a timeline cell: green ok, amber redirected, red broken, grey skipped or
/// unresolved.
fn state_fill(state: State) -> &'static str {
    match state {
        State::Ok => "#2da44e",
        State::Redirected => "#d4a72c",
        State::Broken => "#cf222e",
        State::Skipped | State::Unresolved => "#8c959f",
    }
}

/// A run not checked is a blank cell with a faint outline, so the columns stay readable.
const BLANK_FILL: &str = "#ffffff";
const BLANK_STROKE: &str = "#d0d7de";

fn legend(h: &mut String) {
    h.push_str("<p class=\"legend\">");
    let swatch = |fill: &str, stroke: &str| {
        format!(
            "<svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect x=\"0.5\" y=\"0.5\" width=\"11\" height=\"11\" rx=\"2\" fill=\"{fill}\" stroke=\"{stroke}\"/></svg>"
        )
    };
    for (fill, stroke, label) in [
        (state_fill(State::Ok), "none", "ok"),
        (state_fill(State::Redirected), "none", "redirected"),
        (state_fill(State::Broken), "none", "broken"),
        (state_fill(State::Skipped), "none", "skipped or unresolved"),
        (BLANK_FILL, BLANK_STROKE, "not checked"),
    ] {
        let _ = write!(h, "{}{}", swatch(fill, stroke), esc(label));
    }
    h.push_str("</p>\n");
}

/// Width of one run's cell: wide enough to hover, narrow enough that a long window fits.
fn cell_width(runs: usize) -> f64 {
    (560.0 / runs.max(1) as f64).clamp(6.0, 22.0)
}

fn timeline_table(h: &mut String, report: &ChangeReport) {
    let runs = report.window.runs.len().max(
        report
            .timelines
            .iter()
            .map(|t| t.cells.len())
            .max()
            .unwrap_or(0),
    );
    let cw = cell_width(runs);
    let width = (cw * runs as f64).ceil();
    h.push_str("<table class=\"timeline\">\n<tr><th>Link</th><th>");
    // Run numbers over the cells: each when they fit, else about ten of them.
    let step = if cw >= 18.0 {
        1
    } else {
        runs.div_ceil(10).max(1)
    };
    let _ = write!(
        h,
        "<svg width=\"{width}\" height=\"14\" role=\"img\" aria-label=\"runs\">"
    );
    for (i, run) in report.window.runs.iter().enumerate() {
        if i % step == 0 || i + 1 == runs {
            let _ = write!(
                h,
                "<text x=\"{:.1}\" y=\"11\" font-size=\"10\" fill=\"#57606a\" text-anchor=\"middle\">{}</text>",
                cw * i as f64 + cw / 2.0,
                run.id
            );
        }
    }
    h.push_str("</svg></th></tr>\n");
    for t in &report.timelines {
        timeline_row(h, report, t, cw, runs);
    }
    h.push_str("</table>\n");
}

fn timeline_row(h: &mut String, report: &ChangeReport, t: &Timeline, cw: f64, runs: usize) {
    let name = match t.title.as_deref() {
        Some(title) if !title.trim().is_empty() => title.trim(),
        _ => &t.url,
    };
    let _ = if linkable(&t.url) {
        write!(
            h,
            "<tr><td class=\"link\"><a href=\"{}\" title=\"{}\">{}</a>",
            esc(&t.url),
            esc(&t.url),
            esc(name)
        )
    } else {
        write!(
            h,
            "<tr><td class=\"link\"><span title=\"{}\">{}</span>",
            esc(&t.url),
            esc(name)
        )
    };
    let place: Vec<&str> = [t.seed.as_deref(), t.section.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !place.is_empty() {
        let _ = write!(
            h,
            "<div class=\"section\">{}</div>",
            esc(&place.join(" · "))
        );
    }
    let width = (cw * runs as f64).ceil();
    let gap = if cw >= 10.0 { 2.0 } else { 1.0 };
    let _ = write!(
        h,
        "</td><td><svg width=\"{width}\" height=\"18\" role=\"img\" aria-label=\"{}\">",
        esc(&format!("health of {name} per run"))
    );
    for i in 0..runs {
        let cell = t.cells.get(i).and_then(Option::as_ref);
        let x = cw * i as f64;
        let (fill, stroke, tip) = match cell {
            Some(c) => (state_fill(c.state), "none", cell_tip(c)),
            None => {
                let run = report
                    .window
                    .runs
                    .get(i)
                    .map(|r| {
                        let why = if r.status == crate::store::RunStatus::Inconclusive {
                            "inconclusive: the network was down"
                        } else {
                            "not checked"
                        };
                        format!("run {} · {} · {why}", r.id, minute(&r.started))
                    })
                    .unwrap_or_else(|| String::from("not checked"));
                (BLANK_FILL, BLANK_STROKE, run)
            }
        };
        let _ = write!(
            h,
            "<rect x=\"{:.1}\" y=\"1.5\" width=\"{:.1}\" height=\"15\" rx=\"2\" fill=\"{fill}\" stroke=\"{stroke}\"><title>{}</title></rect>",
            x + 0.5,
            (cw - gap - 1.0).max(1.0),
            esc(&tip)
        );
    }
    h.push_str("</svg></td></tr>\n");
}

/// `run 43 · 2026-11-29 06:43 UTC · broken · HTTP 404 · not-found`.
fn cell_tip(c: &Cell) -> String {
    let mut parts = vec![
        format!("run {}", c.run_id),
        minute(&c.checked_at),
        c.state.to_string(),
    ];
    match c.http_status {
        Some(status) => parts.push(format!("HTTP {status}")),
        None => parts.push(String::from("no HTTP status")),
    }
    if let Some(reason) = c.reason {
        parts.push(reason.to_string());
    }
    parts.join(" · ")
}

/// The share of reachable links per run as an SVG line chart: a 0–100% axis with grid lines, a
/// label per run (thinned to about ten), a line through consecutive runs that checked something
/// (a run that checked nothing breaks it) and a dot with a tooltip per run. One run is a single
/// dot; no runs is an empty frame that says so.
fn reachability_chart(points: &[RunPoint]) -> String {
    const W: f64 = 720.0;
    const H: f64 = 240.0;
    const LEFT: f64 = 52.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 22.0;
    const BOTTOM: f64 = 46.0;
    const PAD: f64 = 16.0;
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let y = |share: f64| TOP + ph * (1.0 - share.clamp(0.0, 1.0));
    let n = points.len();
    let x = |i: usize| {
        if n <= 1 {
            LEFT + pw / 2.0
        } else {
            LEFT + PAD + (pw - 2.0 * PAD) * i as f64 / (n - 1) as f64
        }
    };

    let mut s = String::new();
    let _ = write!(
        s,
        "<svg width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"share of reachable links per run\">"
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let ty = y(tick);
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{ty:.1}\" x2=\"{:.1}\" y2=\"{ty:.1}\" stroke=\"{}\" stroke-width=\"1\"/>",
            LEFT + pw,
            if tick == 0.0 { "#8c959f" } else { "#eaeef2" }
        );
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#57606a\" text-anchor=\"end\">{:.0}%</text>",
            LEFT - 6.0,
            ty + 4.0,
            tick * 100.0
        );
    }
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{:.1}\" stroke=\"#8c959f\" stroke-width=\"1\"/>",
        TOP + ph
    );
    let _ = write!(
        s,
        "<text x=\"14\" y=\"{:.1}\" font-size=\"11\" fill=\"#57606a\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1})\">reachable</text>",
        TOP + ph / 2.0,
        TOP + ph / 2.0
    );
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#57606a\" text-anchor=\"middle\">run</text>",
        LEFT + pw / 2.0,
        H - 4.0
    );

    if n == 0 || points.iter().all(|p| p.reachable_share.is_none()) {
        let text = if n == 0 {
            "No runs in this window"
        } else {
            "Nothing was checked in this window"
        };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"14\" fill=\"#57606a\" text-anchor=\"middle\">{text}</text>",
            LEFT + pw / 2.0,
            TOP + ph / 2.0
        );
    }

    let step = n.div_ceil(10).max(1);
    for (i, p) in points.iter().enumerate() {
        if i % step == 0 || i + 1 == n {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#1f2328\" text-anchor=\"middle\">{}</text>",
                x(i),
                TOP + ph + 15.0,
                p.run_id
            );
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#57606a\" text-anchor=\"middle\">{}</text>",
                x(i),
                TOP + ph + 28.0,
                p.started.format("%m-%d")
            );
        }
    }

    // Runs that checked something, split where one did not.
    let mut segments: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, p) in points.iter().enumerate() {
        match p.reachable_share {
            Some(share) => {
                if let Some(seg) = segments.last_mut() {
                    seg.push((x(i), y(share)));
                }
            }
            None => segments.push(Vec::new()),
        }
    }
    for seg in segments.iter().filter(|seg| seg.len() >= 2) {
        let line: Vec<String> = seg
            .iter()
            .map(|(px, py)| format!("{px:.1},{py:.1}"))
            .collect();
        let (first, last) = (seg[0].0, seg[seg.len() - 1].0);
        let _ = write!(
            s,
            "<polygon points=\"{first:.1},{base:.1} {} {last:.1},{base:.1}\" fill=\"#2da44e\" fill-opacity=\"0.12\" stroke=\"none\"/>",
            line.join(" "),
            base = TOP + ph
        );
        let _ = write!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#2da44e\" stroke-width=\"2.5\" stroke-linejoin=\"round\"/>",
            line.join(" ")
        );
    }
    for (i, p) in points.iter().enumerate() {
        let tip = match p.reachable_share {
            Some(share) => format!(
                "run {} · {} · {} reachable of {} checked",
                p.run_id,
                minute(&p.started),
                outline::percent(share),
                p.checked
            ),
            None => format!(
                "run {} · {} · nothing checked",
                p.run_id,
                minute(&p.started)
            ),
        };
        let (cy, fill) = match p.reachable_share {
            Some(share) => (y(share), "#2da44e"),
            None => (TOP + ph, "#ffffff"),
        };
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{cy:.1}\" r=\"4.5\" fill=\"{fill}\" stroke=\"#1a7f37\" stroke-width=\"1.5\"><title>{}</title></circle>",
            x(i),
            esc(&tip)
        );
        // Values over the dots while they fit; past a dozen runs the tooltips carry them.
        if let (Some(share), true) = (p.reachable_share, n <= 12) {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#1a7f37\" text-anchor=\"middle\">{}</text>",
                x(i),
                cy - 9.0,
                outline::percent(share)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}
