//! A replica of the bundled seed page ("Migrants' participation in host countries", UNITAR New
//! York, 3 May 2007) served by a local test server, with its listed documents and links mapped to
//! every behaviour the checker must classify.
//!
//! Titles are the real ones from the captured page; the targets are local paths.

use std::time::Duration;

use super::server::{Behaviour, TestServer};
use super::{MIB, noise, pdf};

pub const PAGE_TITLE: &str = "Migrants' participation in host countries";
/// The page's original request-target, query included.
pub const PAGE: &str = "/ny/node/73?page=1";

pub const INFO_NOTE: &str = "/docs/information-note.pdf";
pub const PROGRAMME: &str = "/docs/programme.pdf";
/// Linked relatively (`files/summary-report.pdf`) under `<base href="BASE/">`.
pub const SUMMARY: &str = "/files/summary-report.pdf";
/// Where the summary link would land if `<base href>` were ignored.
pub const SUMMARY_WITHOUT_BASE: &str = "/ny/node/files/summary-report.pdf";
pub const BARRIGA: &str = "/docs/barriga-iom.pdf";
pub const CHEUNG: &str = "/docs/cheung-success.ppt";
pub const UVALIC: &str = "/moved/uvalic-trumbic";
pub const UVALIC_HOP: &str = "/moved-again/uvalic-trumbic";
pub const UVALIC_FINAL: &str = "/docs/uvalic-trumbic.pdf";
pub const LOOP_A: &str = "/loop-a";
pub const LOOP_B: &str = "/loop-b";
pub const SLOW: &str = "/slow/migration-and-religion.pdf";
pub const TRUNCATED: &str = "/docs/crs-rl33166.pdf";
pub const TOO_LARGE: &str = "/docs/jaouani-gmp56.pdf";
pub const GZIPPED: &str = "/papers/soysal-claims-making.html";
pub const BOMB: &str = "/docs/baubock-gmp19.pdf";
pub const MAILTO: &str = "mailto:bloemraad@berkeley.example";
pub const JAVASCRIPT: &str = "javascript:void(0)";
/// Linked as `docs/annual report.pdf` (a raw space) under the base.
pub const ANNUAL: &str = "/docs/annual%20report.pdf";
/// Listed twice: once relative, once absolute, under two titles.
pub const MIPEX: &str = "/mipex/2006";
pub const AOC: &str = "/aoc/";
pub const GCIR: &str = "/gcir/";

pub const TITLE_INFO_NOTE: &str =
    "Information note (pdf) on the seminar organization and objectives";
pub const TITLE_UVALIC: &str = "Global Agendas and Regional Frameworks for the Recognition of \
     Qualifications and Quality Assurance across borders";
pub const TITLE_MIPEX: &str =
    "The 2006 Migrant Integration Policy Index (power point presentation)";
pub const TITLE_MIPEX_AGAIN: &str = "European Commission on integration policy";

/// Declared length of the truncated response.
pub const TRUNCATED_DECLARED: usize = 64 * 1024;
/// Decoded size of the gzip bomb.
pub const BOMB_DECODED: u64 = 100 * MIB as u64;
/// How long the slow route waits before sending anything.
pub const SLOW_DELAY: Duration = Duration::from_secs(5);

pub fn info_note_body() -> Vec<u8> {
    pdf("Information note on the seminar organization and objectives")
}

pub fn summary_body() -> Vec<u8> {
    pdf("Summary report on the seminar discussions and outcomes")
}

pub fn uvalic_body() -> Vec<u8> {
    pdf("Global Agendas and Regional Frameworks")
}

pub fn annual_body() -> Vec<u8> {
    pdf("Fulfilling the Promise")
}

pub fn mipex_body() -> Vec<u8> {
    b"<html><head><title>MIPEX 2006</title></head><body>Migrant Integration Policy Index</body></html>"
        .to_vec()
}

pub fn gzipped_body() -> Vec<u8> {
    let mut body =
        b"<html><head><title>Rights, Identity and Claims-Making</title></head><body>".to_vec();
    // Repetitive text, so the encoded body is clearly shorter than the decoded one.
    for _ in 0..200 {
        body.extend_from_slice(
            b"<p>Justice Across Cultures, Brandeis University, 8 March 2004.</p>\n",
        );
    }
    body.extend_from_slice(b"</body></html>");
    body
}

pub fn too_large_body() -> Vec<u8> {
    let mut body = pdf("De l'integration des immigres");
    body.extend(noise(2 * MIB, 56));
    body
}

pub fn aoc_body() -> Vec<u8> {
    b"<html><head><title>Alliance of Civilizations</title></head><body>AoC</body></html>".to_vec()
}

pub fn gcir_body() -> Vec<u8> {
    b"<html><head><title>GCIR</title></head><body>Grantmakers</body></html>".to_vec()
}

/// The seed page; `base` is the server's `http://127.0.0.1:PORT`.
pub fn page_html(base: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{PAGE_TITLE}</title>
<base href="{base}/">
</head>
<body>
<div id="content">
<h1 class="title">{PAGE_TITLE}</h1>
<p class="date">Date: 3 May 2007</p>
<p>Migrants’ important contributions to the countries and communities in which they live tend to
be understated and often overshadowed by concerns over security and preserving a cohesive sense
of national identity.</p>

<h2>Related Documents</h2>
<ul>
<li><a href="{INFO_NOTE}">{TITLE_INFO_NOTE}</a></li>
<li><a href="{PROGRAMME}">Programme (pdf) of the seminar</a></li>
<li><a href="files/summary-report.pdf">Summary report (pdf) on the seminar discussions and outcomes</a></li>
<li><a href="{BARRIGA}">Migrant Integration from an International Perspective</a><br>
Mr. William Barriga, Head, Facilitated Migration Division, IOM</li>
<li><a href="{CHEUNG}">Settlement, Labour Market and Business Integration</a><br>
Ms. Ansar Cheung, Director, Settlement Programme, S.U.C.C.E.S.S.</li>
<li><a href="{UVALIC}">Global Agendas and Regional Frameworks for the Recognition of
      Qualifications   and Quality Assurance across borders</a><br>
Stamenka Uvalic-Trumbic, Division of Higher Education, UNESCO</li>
<li><a href="{LOOP_A}">Alliance of Civilizations: Research Paper on Migration</a><br>
by Leila Ezzarqui, Senior Research Officer, Alliance of Civilizations Secretariat, UN, New York</li>
<li><a href="{SLOW}">Migration and Religion in a Globalized World</a><br>
Conference held on 5-6 December 2005 in Rabat, Morocco. Final Report, IOM, 2006</li>
<li><a href="{TRUNCATED}">Muslims in Europe: Integration Policies in Selected Countries</a><br>
Congressional Research Service, Report for Congress, November 2005</li>
<li><a href="{TOO_LARGE}">De l’intégration des immigrés: le discours et la méthode</a><br>
by Ali Jaouani, Global Migration Perspectives No. 56, December 2005</li>
<li><a href="{GZIPPED}">Rights, Identity and Claims-Making</a><br>
by Dr. Yasemin Soysal, University of Essex</li>
<li><a href="{BOMB}">Citizenship policies: international, state, migrant and democratic perspectives</a><br>
by Rainer Bauböck, Global Migration Perspectives No. 19, January 2005</li>
<li><a href="{MAILTO}">Immigration and citizenship</a><br>
Articles by Dr. Irene Bloemraad</li>
<li><a href="{JAVASCRIPT}">Migrants, labour markets and integration in Europe: a comparative analysis</a></li>
<li><a href="docs/annual report.pdf">Fulfilling the Promise: Integrating Immigrant Skills into the Canadian Economy</a></li>
<li><a href="{MIPEX}">{TITLE_MIPEX}</a></li>
</ul>

<h2>Related Links</h2>
<ul>
<li><a href="{base}{AOC}">Alliance of Civilizations</a></li>
<li><a href="{base}{MIPEX}">{TITLE_MIPEX_AGAIN}</a></li>
<li><a href="{base}{GCIR}">Grantmakers Concerned with Immigrants and Refugees</a></li>
</ul>
</div>
</body>
</html>
"#
    )
}

/// Starts a server with the seed page and every target it links to.
pub async fn start() -> TestServer {
    let pdf_type = "application/pdf";
    let server = TestServer::start([
        (INFO_NOTE, Behaviour::ok(pdf_type, info_note_body())),
        (
            PROGRAMME,
            Behaviour::status(404, "text/html", "<h1>Not Found</h1>"),
        ),
        (SUMMARY, Behaviour::ok(pdf_type, summary_body())),
        (
            BARRIGA,
            Behaviour::status(410, "text/html", "<h1>Gone</h1>"),
        ),
        (
            CHEUNG,
            Behaviour::status(500, "text/html", "<h1>Internal Server Error</h1>"),
        ),
        (UVALIC, Behaviour::redirect(301, UVALIC_HOP)),
        (UVALIC_HOP, Behaviour::redirect(302, UVALIC_FINAL)),
        (UVALIC_FINAL, Behaviour::ok(pdf_type, uvalic_body())),
        (LOOP_A, Behaviour::redirect(302, LOOP_B)),
        (LOOP_B, Behaviour::redirect(302, LOOP_A)),
        (
            SLOW,
            Behaviour::delay(
                SLOW_DELAY,
                Behaviour::ok(pdf_type, pdf("Migration and Religion")),
            ),
        ),
        (
            TRUNCATED,
            Behaviour::Truncated {
                declared_len: TRUNCATED_DECLARED,
                body: pdf("Muslims in Europe"),
            },
        ),
        (TOO_LARGE, Behaviour::ok(pdf_type, too_large_body())),
        (
            GZIPPED,
            Behaviour::Gzip {
                body: gzipped_body(),
            },
        ),
        (
            BOMB,
            Behaviour::GzipBomb {
                decoded_len: BOMB_DECODED,
            },
        ),
        (ANNUAL, Behaviour::ok(pdf_type, annual_body())),
        (MIPEX, Behaviour::ok("text/html", mipex_body())),
        (AOC, Behaviour::ok("text/html", aoc_body())),
        (GCIR, Behaviour::ok("text/html", gcir_body())),
    ])
    .await;
    server.set_route(PAGE, Behaviour::html(page_html(server.base())));
    server
}
