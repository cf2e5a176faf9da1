//! Criterion micro-benchmark of link extraction (issue 7): `linkward::extract::extract` on a
//! large, real-world-sized page: about 5,000 links under headings in about 1 MB of HTML, with the
//! clutter real pages carry (navigation, paragraphs, tables, scripts, relative links, fragments,
//! `mailto:`, bold lines standing alone as headings).
//!
//! Issue 14 adds three hostile pages of about 1 MB each, which must stay linear: bold elements
//! nested tens of thousands deep, each with its own words (each a section candidate); one URL
//! listed under tens of thousands of titles; and tens of thousands of sections. Each is run
//! through what a seed page goes through: link extraction, de-duplication and the page's
//! fingerprint text.
//!
//! Run: `cargo bench --bench extract` (add `-- --quick` for a short run).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use url::Url;

/// Deterministic pseudo-random numbers (an LCG), so every run parses the same page.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const WORDS: &[&str] = &[
    "migration",
    "participation",
    "host",
    "countries",
    "report",
    "seminar",
    "annual",
    "policy",
    "integration",
    "labour",
    "rights",
    "development",
    "programme",
    "statement",
    "working",
    "paper",
    "summary",
    "conference",
    "regional",
    "dialogue",
    "the",
    "of",
    "and",
    "in",
    "on",
];

fn words(rng: &mut Lcg, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.next(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// A page of `links` links, grouped 50 to a section, padded with the markup real pages carry.
fn page(links: usize) -> String {
    let mut rng = Lcg(7);
    let mut s = String::with_capacity(links * 220);
    s.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Documents and links of the seminar</title>\
         <base href=\"https://www.example.org/ny/node/\">\
         <link rel=\"stylesheet\" href=\"/css/site.css\">\
         <script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}</script>\
         </head><body><div id=\"page\"><nav class=\"menu\"><ul>",
    );
    for i in 0..40 {
        s.push_str(&format!(
            "<li class=\"leaf\"><a href=\"/ny/menu/{i}\" title=\"Menu {i}\">Menu item {i}</a></li>"
        ));
    }
    s.push_str(
        "</ul></nav><div id=\"content\"><h1>Migrants' participation in host countries</h1>\n",
    );
    for i in 0..links {
        if i % 50 == 0 {
            let section = i / 50;
            if section % 3 == 2 {
                // A bold line standing alone, as older pages mark their sections.
                s.push_str(&format!(
                    "<p><strong>Related Documents {section}</strong></p>\n"
                ));
            } else {
                s.push_str(&format!(
                    "<h{} class=\"title\">Related Documents {section}</h{0}>\n",
                    2 + section % 3
                ));
            }
            s.push_str(&format!(
                "<p class=\"intro\">{}.</p>\n<table class=\"docs\"><tbody>\n",
                words(&mut rng, 20)
            ));
        }
        let href = match rng.next(20) {
            0 => format!("mailto:office{i}@example.org"),
            1 => format!("#note-{i}"),
            2 => format!("../files/doc-{i}.pdf#page={}", rng.next(40)),
            3..=7 => format!(
                "/sites/default/files/{}/report-{i}.pdf",
                1990 + rng.next(35)
            ),
            _ => format!(
                "https://host{}.example.com/path/to/document-{i}.html?lang=en&amp;v={}",
                rng.next(50),
                rng.next(9)
            ),
        };
        let n = 3 + rng.next(8) as usize;
        let title = words(&mut rng, n);
        s.push_str(&format!(
            "<tr class=\"row-{}\"><td class=\"date\">{:04}-{:02}-{:02}</td><td><span class=\"file\">\
             <a href=\"{href}\" class=\"doc-link\">{title}</a></span> \
             <em>({} KB)</em></td></tr>\n",
            i % 2,
            1990 + rng.next(35),
            1 + rng.next(12),
            1 + rng.next(28),
            2 + rng.next(900),
        ));
        if i % 50 == 49 {
            s.push_str("</tbody></table>\n");
        }
    }
    s.push_str("</div><footer><p>&copy; Example Office. <a href=\"/contact\">Contact</a></p></footer></div></body></html>\n");
    s
}

/// Bold elements nested `depth` deep, each with its own words, then one link.
fn nested_bold(depth: usize) -> String {
    let mut s = String::from("<html><body>");
    for i in 0..depth {
        s.push_str(&format!("<b>level {i} "));
    }
    s.push_str("<a href=\"/deep.pdf\">Deep report</a>");
    s.push_str(&"</b>".repeat(depth));
    s.push_str("</body></html>");
    s
}

/// One URL listed under `n` different titles.
fn one_url_many_titles(n: usize) -> String {
    let mut s = String::from("<html><body><h2>Documents</h2><ul>");
    for i in 0..n {
        s.push_str(&format!(
            "<li><a href=\"/same.pdf\">Title number {i}</a></li>"
        ));
    }
    s.push_str("</ul></body></html>");
    s
}

/// `n` sections of one link each.
fn many_sections(n: usize) -> String {
    let mut s = String::from("<html><body>");
    for i in 0..n {
        s.push_str(&format!(
            "<h3>Section {i}</h3><p><a href=\"/doc-{i}.pdf\">Doc {i}</a></p>"
        ));
    }
    s.push_str("</body></html>");
    s
}

/// What a seed page goes through: its links extracted and de-duplicated, and its text
/// fingerprinted.
fn seed_page(html: &str, url: &Url) -> usize {
    let page = linkward::extract::extract(html, url);
    let listed = linkward::seed::dedupe(linkward::seed::from_page(&page));
    let fp = linkward::judge::fingerprint_bytes(
        html.as_bytes(),
        Some("text/html"),
        linkward::judge::sha256_of(html.as_bytes()),
        &linkward::judge::IgnoreRules::default(),
    );
    listed.len() + usize::from(fp.text.is_some())
}

fn bench_hostile(c: &mut Criterion) {
    let url = Url::parse("https://www.example.org/ny/node/73?page=1").unwrap();
    let pages = [
        ("nested-bold", nested_bold(60_000)),
        ("one-url-many-titles", one_url_many_titles(25_000)),
        ("many-sections", many_sections(20_000)),
    ];
    let mut group = c.benchmark_group("hostile");
    group.sample_size(10);
    for (name, html) in &pages {
        eprintln!("hostile page {name}: {} bytes", html.len());
        group.throughput(Throughput::Bytes(html.len() as u64));
        // On a thread with a 2 MiB stack, like a tokio worker: recursion would overflow it.
        let (html, url) = (html.clone(), url.clone());
        group.bench_function(*name, move |b| {
            b.iter(|| {
                let (html, url) = (html.clone(), url.clone());
                std::thread::Builder::new()
                    .stack_size(2 * 1024 * 1024)
                    .spawn(move || seed_page(black_box(&html), black_box(&url)))
                    .unwrap()
                    .join()
                    .unwrap()
            })
        });
    }
    group.finish();
}

fn bench_extract(c: &mut Criterion) {
    let html = page(5_000);
    let url = Url::parse("https://www.example.org/ny/node/73?page=1").unwrap();
    let found = linkward::extract::extract(&html, &url).links.len();
    eprintln!(
        "extract bench page: {} bytes, {found} links extracted",
        html.len()
    );

    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Bytes(html.len() as u64));
    group.sample_size(20);
    group.bench_function("5000-links-1MB", |b| {
        b.iter(|| linkward::extract::extract(black_box(&html), black_box(&url)))
    });
    group.finish();
}

criterion_group!(benches, bench_extract, bench_hostile);
criterion_main!(benches);
