//! Criterion micro-benchmark of link extraction (issue 7): `linkward::extract::extract` on a
//! large, real-world-sized page: about 5,000 links under headings in about 1 MB of HTML, with the
//! clutter real pages carry (navigation, paragraphs, tables, scripts, relative links, fragments,
//! `mailto:`, bold lines standing alone as headings).
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

criterion_group!(benches, bench_extract);
criterion_main!(benches);
