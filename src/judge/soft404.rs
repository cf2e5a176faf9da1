//! Soft 404s: the rules by which a 200 answer really means "gone". Pure decisions over URLs,
//! titles and fingerprints; the caller fetches the page and the probe and applies the verdict
//! (`broken` / `soft-404`, with the rule that fired).
//!
//! Each rule errs towards *not* firing: a false soft-404 pages a maintainer about a link that
//! works, which is worse than missing one that a human will spot anyway.

use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;
use url::Url;

use super::fingerprint::Fingerprint;
#[cfg(test)]
use super::page_text::title_and_heading;
use super::similarity::{mask_volatile, similarity};
use crate::extract::collapse_ws;

/// A page at least this similar to what the host answers for a nonexistent sibling is taken to
/// be that host's "not found" page.
pub const PROBE_SIMILARITY: f64 = 0.9;

// ---------------------------------------------------------------------------------------------
// (a) redirected to the root

/// Whether a deep link ended at the home page of the same site: `requested` has a path segment
/// that is not a home page (`index.*`, `default.*`, `home`) or a language root (`en`, `pt-br`),
/// or is a script with a query (`/index.php?id=42`); and `final_url`, on the same host once a
/// leading `www.` is dropped (any scheme or port), is `/`, a home page or a language root, with
/// any query. A redirect to another host is a move, not a soft 404.
pub fn redirected_to_root(requested: &Url, final_url: &Url) -> bool {
    let (Some(a), Some(b)) = (site_host(requested), site_host(final_url)) else {
        return false;
    };
    if a != b {
        return false;
    }
    let deep = !is_root_path(requested)
        || (requested.query().is_some_and(|q| !q.is_empty())
            && segments(requested).last().is_some_and(|s| s.contains('.')));
    deep && is_root_path(final_url)
}

fn site_host(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    Some(host.strip_prefix("www.").unwrap_or(host).to_owned())
}

fn segments(url: &Url) -> Vec<String> {
    url.path_segments()
        .map(|s| {
            s.filter(|s| !s.is_empty())
                .map(|s| s.to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

/// `/`, `/index.html`, `/home`, `/en/`, `/en/index.php`, `/pt-br/home`: a site's front door.
fn is_root_path(url: &Url) -> bool {
    match segments(url).as_slice() {
        [] => true,
        [one] => is_home(one) || is_language(one),
        [lang, home] => is_language(lang) && is_home(home),
        _ => false,
    }
}

fn is_home(segment: &str) -> bool {
    let stem = segment.split_once('.').map_or(segment, |(stem, _)| stem);
    matches!(stem, "index" | "default" | "home" | "start" | "welcome")
}

/// `en`, `fra`, `pt-br`, `zh_hans`: a language (and region or script) code.
fn is_language(segment: &str) -> bool {
    let (lang, region) = match segment.split_once(['-', '_']) {
        Some((l, r)) => (l, Some(r)),
        None => (segment, None),
    };
    (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_lowercase())
        && region.is_none_or(|r| {
            (2..=4).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

// ---------------------------------------------------------------------------------------------
// (b) like the host's missing page

/// Where to probe for the host's "not found" answer: a sibling of `url` that cannot exist —
/// `/a/b/doc.pdf` → `/a/b/linkward-probe-<token>.pdf` (same directory, same extension, so the
/// same handler answers), `/blog/post/` → `/blog/linkward-probe-<token>/`. Query and fragment are
/// dropped. `token` should be random letters and digits.
pub fn probe_url(url: &Url, token: &str) -> Url {
    let (dir, leaf) = split_path(url.path());
    let name = format!("linkward-probe-{token}");
    let path = match leaf {
        Leaf::Directory => format!("{dir}{name}/"),
        Leaf::File(Some(ext)) => format!("{dir}{name}.{ext}"),
        Leaf::File(None) => format!("{dir}{name}"),
    };
    let mut probe = url.clone();
    probe.set_path(&path);
    probe.set_query(None);
    probe.set_fragment(None);
    probe
}

/// The cache key of a probe: scheme, host, port and the directory probed. Every URL with the
/// same key shares one probe per run.
pub fn probe_key(url: &Url) -> String {
    let (dir, _) = split_path(url.path());
    format!("{}{dir}", url.origin().ascii_serialization())
}

enum Leaf<'a> {
    /// The URL names a directory (`/blog/post/`): its siblings are the parent's children.
    Directory,
    /// The URL names a file or page, with its extension if it has a plausible one.
    File(Option<&'a str>),
}

/// Splits a path into the directory its siblings live in (ending in `/`) and what it names.
fn split_path(path: &str) -> (&str, Leaf<'_>) {
    if path.is_empty() || path == "/" {
        return ("/", Leaf::File(None));
    }
    if let Some(trimmed) = path.strip_suffix('/') {
        let cut = trimmed.rfind('/').map_or(0, |i| i + 1);
        return (&path[..cut.max(1)], Leaf::Directory);
    }
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    let (dir, leaf) = path.split_at(cut);
    let ext = leaf.rsplit_once('.').and_then(|(stem, ext)| {
        let plausible = !stem.is_empty()
            && (1..=8).contains(&ext.len())
            && ext.chars().all(|c| c.is_ascii_alphanumeric());
        plausible.then_some(ext)
    });
    (if dir.is_empty() { "/" } else { dir }, Leaf::File(ext))
}

/// Whether a page is near-identical (`PROBE_SIMILARITY`) to the host's answer for a nonexistent
/// sibling. Call only when the probe itself answered 2xx: a host that answers the probe with a
/// 404 has no soft 404s to find this way.
///
/// Volatile tokens and paths or file names are masked first, because not-found pages often echo
/// the URL asked for. A page with no visible text never matches: single-page apps answer every
/// path with the same empty shell, and that is no evidence the page is gone. Bodies not read as
/// text match only when their fingerprints are identical.
pub fn like_missing_page(page: &Fingerprint, probe: &Fingerprint) -> bool {
    match (&page.text, &probe.text) {
        (Some(p), Some(q)) => {
            let (p, q) = (mask_for_probe(p), mask_for_probe(q));
            !p.trim().is_empty() && similarity(&p, &q) >= PROBE_SIMILARITY
        }
        (None, None) => page.hash == probe.hash,
        _ => false,
    }
}

fn mask_for_probe(text: &str) -> String {
    static PATHISH: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
        // Anything with a slash (a path or URL), or a name with a file extension.
        regex::Regex::new(r"\S*/\S*|\b[\w.-]+\.[A-Za-z][A-Za-z0-9]{0,7}\b").ok()
    });
    let masked = mask_volatile(text);
    match PATHISH.as_ref() {
        Some(re) => re.replace_all(&masked, "<path>").into_owned(),
        None => masked,
    }
}

// ---------------------------------------------------------------------------------------------
// (c) says "not found"

/// Phrases that say a page is missing, folded (lowercase, accents removed). Alphabetic phrases
/// match whole words; CJK phrases, written without spaces, match as substrings.
const NOT_FOUND: &[&str] = &[
    "not found",
    "404",
    "page not found",
    "cannot be found",
    "can t be found",
    "could not be found",
    "couldn t be found",
    "can t find",
    "cannot find",
    "couldn t find",
    "could not find",
    "does not exist",
    "doesn t exist",
    "no longer available",
    "page introuvable",
    "introuvable",
    "page non trouvee",
    "n existe pas",
    "no encontrada",
    "no encontrado",
    "pagina no encontrada",
    "no existe",
    "nicht gefunden",
    "seite nicht gefunden",
    "existiert nicht",
    "non trovata",
    "pagina non trovata",
    "nao encontrada",
    "pagina nao encontrada",
    "niet gevonden",
    "страница не найдена",
    "не найдена",
    "页面不存在",
    "页面未找到",
    "找不到",
    "ページが見つかりません",
    "見つかりません",
];

/// Words that may stand beside a not-found phrase in a title that says nothing else: "Oops!
/// Error 404 – the page you requested could not be found". A title with any other word ("Not
/// Found: a history of lost films", "404 Gallery") is about something, and does not fire.
const ERROR_PAGE_WORDS: &str = concat!(
    // English
    "a address an and any anymore are article be been can code content could document error ",
    "file for gone has have here http https is it item link longer looking may might moved no ",
    "not of oh oops or page post re removed deleted request requested resource s seems server ",
    "site sorry status t that the this to uh url was we were whoops you your ",
    // French
    "cette de demandee desole desolee du erreur est l la le les n oups pas plus que recherchee ",
    "vous ",
    // Spanish, Italian, Portuguese
    "busca buscas ci desculpe dispiace e el erro errore error esta foi il lo non o pagina ",
    "sentimos solicitada spiacenti ya ",
    // German, Dutch
    "das der die fehler fout helaas het hoppla ist konnte leider nicht oeps seite wurde ",
    // Russian
    "ошибка страница извините к сожалению не ",
);

/// CJK fillers, matched as substrings once the not-found phrase is gone.
const ERROR_PAGE_CJK: &str = "抱歉 对不起 您访问的 您要找的 该 页面 错误 申し訳ありません 申し訳ございません お探しの 指定された ページ エラー でした は が";

/// Whether the title or the main heading says the page is not found: a not-found phrase that
/// dominates it. The title is cut at site-name separators (`|`, ` - `, `–`, `—`, `·`, `»`, `::`)
/// and each part judged alone, so "Page not found | Example Corp" fires; a part fires when, the
/// phrase removed, only error-page words (`ERROR_PAGE_WORDS`) and numbers remain. Colons do not
/// cut: "Not Found: a history of lost films" is a real title. Case- and accent-insensitive.
pub fn says_not_found(title: Option<&str>, main_heading: Option<&str>) -> bool {
    [title, main_heading]
        .into_iter()
        .flatten()
        .flat_map(site_parts)
        .any(|part| part_says_not_found(&part))
}

fn site_parts(text: &str) -> Vec<String> {
    let mut parts = vec![text.to_owned()];
    for sep in ["|", " - ", "–", "—", "·", "»", "::", " / "] {
        parts = parts
            .iter()
            .flat_map(|p| p.split(sep).map(str::to_owned).collect::<Vec<_>>())
            .collect();
    }
    parts
}

/// Lowercase, accents stripped (NFD minus combining marks), everything but letters and digits
/// turned into spaces, padded with one space at each end for whole-word matching.
fn fold(text: &str) -> String {
    let folded: String = text
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    format!(" {} ", collapse_ws(&folded))
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

fn part_says_not_found(part: &str) -> bool {
    let mut rest = fold(part);
    let mut found = false;
    // Longest phrases first, so "page not found" goes whole rather than leaving "page".
    let mut phrases: Vec<String> = NOT_FOUND.iter().map(|p| fold(p)).collect();
    phrases.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
    for phrase in &phrases {
        let needle = if phrase.chars().any(is_cjk) {
            phrase.trim()
        } else {
            phrase.as_str()
        };
        while rest.contains(needle) {
            found = true;
            rest = rest.replacen(needle, " ", 1);
        }
    }
    found
        && rest.split_whitespace().all(|word| {
            word.chars().all(|c| c.is_ascii_digit())
                || ERROR_PAGE_WORDS
                    .split_whitespace()
                    .any(|w| fold(w).trim() == word)
                || (word.chars().any(is_cjk) && only_cjk_fillers(word))
        })
}

fn only_cjk_fillers(word: &str) -> bool {
    let mut rest = word.to_owned();
    // Folded like the title: NFD turns "ジ" into "シ" plus a mark, which `fold` drops.
    let mut fillers: Vec<String> = ERROR_PAGE_CJK
        .split_whitespace()
        .map(|f| fold(f).trim().to_owned())
        .collect();
    fillers.sort_by_key(|f| std::cmp::Reverse(f.chars().count()));
    for f in &fillers {
        rest = rest.replace(f.as_str(), "");
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::fingerprint::{IgnoreRules, TextKind, fingerprint_bytes, sha256_of};

    type R = Result<(), Box<dyn std::error::Error>>;

    fn url(s: &str) -> Result<Url, url::ParseError> {
        Url::parse(s)
    }

    fn html_fp(html: &str) -> Fingerprint {
        fingerprint_bytes(
            html.as_bytes(),
            Some("text/html"),
            sha256_of(html.as_bytes()),
            &IgnoreRules::default(),
        )
    }

    #[test]
    fn deep_links_redirected_to_the_front_page_fire() -> R {
        let home = [
            "https://example.org/",
            "https://www.example.org/index.html",
            "http://example.org/home",
            "https://example.org/en/",
            "https://example.org/pt-br/index.php?from=404",
            "https://example.org/?p=missing",
        ];
        for h in home {
            assert!(
                redirected_to_root(
                    &url("http://www.example.org/reports/2007/prog.pdf")?,
                    &url(h)?
                ),
                "{h}"
            );
        }
        assert!(redirected_to_root(
            &url("http://example.org/index.php?option=com_content&id=42")?,
            &url("https://example.org/")?
        ));
        // A section front door counts as a language-like root: the bundled seed's host does this.
        assert!(redirected_to_root(
            &url("http://www.unitar.org/ny/node/73?page=1")?,
            &url("http://www.unitar.org/ny")?
        ));
        Ok(())
    }

    #[test]
    fn ordinary_redirects_do_not_fire() -> R {
        let cases = [
            // Front page to front page.
            ("http://example.org/", "https://www.example.org/"),
            ("http://example.org/index.html", "https://example.org/"),
            ("http://example.org/home", "https://example.org/en/"),
            ("http://example.org/?lang=en", "https://example.org/"),
            // A real move.
            (
                "http://example.org/old/doc.pdf",
                "https://example.org/archive/doc.pdf",
            ),
            ("http://example.org/docs/page", "https://example.org/docs/"),
            ("http://example.org/about", "https://example.org/about/"),
            // Another site's root is a move (or a takeover), not this site's soft 404.
            ("http://example.org/doc.pdf", "https://example.com/"),
            ("http://old.example.org/doc.pdf", "https://example.org/"),
        ];
        for (from, to) in cases {
            assert!(!redirected_to_root(&url(from)?, &url(to)?), "{from} → {to}");
        }
        Ok(())
    }

    #[test]
    fn probes_a_sibling_with_the_same_extension() -> R {
        let p = probe_url(&url("https://h.org:8443/a/b/doc.pdf?x=1#f")?, "Zq81");
        assert_eq!(p.as_str(), "https://h.org:8443/a/b/linkward-probe-Zq81.pdf");
        let p = probe_url(&url("http://www.unitar.org/ny/node/73?page=1")?, "t");
        assert_eq!(p.as_str(), "http://www.unitar.org/ny/node/linkward-probe-t");
        let p = probe_url(&url("https://h.org/blog/my-post/")?, "t");
        assert_eq!(p.as_str(), "https://h.org/blog/linkward-probe-t/");
        let p = probe_url(&url("https://h.org/readme")?, "t");
        assert_eq!(p.as_str(), "https://h.org/linkward-probe-t");
        let p = probe_url(&url("https://h.org/")?, "t");
        assert_eq!(p.as_str(), "https://h.org/linkward-probe-t");
        let p = probe_url(&url("https://h.org/top/")?, "t");
        assert_eq!(p.as_str(), "https://h.org/linkward-probe-t/");
        let p = probe_url(&url("https://h.org/a/.hidden")?, "t");
        assert_eq!(p.as_str(), "https://h.org/a/linkward-probe-t");
        Ok(())
    }

    #[test]
    fn probe_key_is_origin_and_directory() -> R {
        let a = probe_key(&url("https://h.org/a/b/doc.pdf?x=1")?);
        assert_eq!(a, "https://h.org/a/b/");
        assert_eq!(a, probe_key(&url("https://h.org/a/b/other.html")?));
        assert_ne!(a, probe_key(&url("https://h.org:444/a/b/doc.pdf")?));
        assert_ne!(a, probe_key(&url("http://h.org/a/b/doc.pdf")?));
        assert_eq!(
            probe_key(&url("https://h.org/blog/post/")?),
            "https://h.org/blog/"
        );
        assert_eq!(probe_key(&url("https://h.org/x")?), "https://h.org/");
        Ok(())
    }

    #[test]
    fn a_page_like_the_probe_answer_is_missing() {
        let template = |body: &str| {
            format!(
                "<html><head><title>Example Org</title></head><body><nav>Home About Publications \
                 Contact</nav><main>{body}</main><footer>© Example Org 2026. Rendered in 12 ms.</footer></body></html>"
            )
        };
        let page = html_fp(&template(
            "<p>The requested URL /reports/2007/prog.pdf was not on this server.</p>",
        ));
        let probe = html_fp(&template(
            "<p>The requested URL /reports/2007/linkward-probe-Zq81.pdf was not on this server.</p>",
        ));
        assert!(like_missing_page(&page, &probe));

        let real = html_fp(&template(
            "<h1>Programme of the seminar</h1><p>Opening remarks by the Director. Panel one: \
             migrants' participation in host countries, chaired by the Permanent Representative. \
             Panel two: local authorities and civil society. Closing session and reception.</p>",
        ));
        assert!(!like_missing_page(&real, &probe));
    }

    #[test]
    fn empty_shells_and_binaries() {
        let shell = html_fp("<html><body><div id=app></div><script>boot()</script></body></html>");
        assert!(
            !like_missing_page(&shell, &shell.clone()),
            "an SPA shell is no evidence"
        );
        let a = Fingerprint::raw(TextKind::Other, sha256_of(b"same"));
        assert!(like_missing_page(&a, &a.clone()));
        let b = Fingerprint::raw(TextKind::Other, sha256_of(b"other"));
        assert!(!like_missing_page(&a, &b));
    }

    #[test]
    fn titles_that_say_not_found_fire() {
        let titles = [
            "404 Not Found",
            "Page Not Found | Example Corp",
            "Example Corp - 404",
            "Error 404 (Not Found)!!1",
            "Oops! That page can’t be found.",
            "Sorry, the page you requested does not exist",
            "This item is no longer available",
            "Page introuvable – Le Monde",
            "Erreur 404 : page non trouvée",
            "Página no encontrada",
            "PAGINA NO ENCONTRADA",
            "Seite nicht gefunden",
            "Fehler 404 – Seite wurde nicht gefunden",
            "Pagina non trovata",
            "Página não encontrada",
            "Pagina niet gevonden",
            "Страница не найдена",
            "页面不存在",
            "抱歉，页面不存在",
            "ページが見つかりません",
            "お探しのページは見つかりませんでした",
        ];
        for t in titles {
            assert!(says_not_found(Some(t), None), "{t}");
        }
        assert!(says_not_found(Some("Example Corp"), Some("Page not found")));
    }

    #[test]
    fn real_titles_do_not_fire() {
        let titles = [
            "Finding Nemo",
            "Not Found: a history of lost films",
            "404 Gallery",
            "The 404 Club | Music",
            "Lost and Found Office",
            "Migrants' participation in host countries",
            "Programme (pdf) of the seminar",
            "Found footage: a retrospective",
            "Does God exist?",
            "Error correction codes",
            "Page",
        ];
        for t in titles {
            assert!(!says_not_found(Some(t), Some(t)), "{t}");
        }
        assert!(!says_not_found(None, None));
    }

    #[test]
    fn title_and_first_heading_are_read() {
        let (t, h) = title_and_heading(
            "<html><head><title>\n  Page not\n found </title></head><body><h2>Sub</h2>\
             <h1> </h1><h1>Main <em>heading</em></h1></body></html>",
        );
        assert_eq!(t.as_deref(), Some("Page not found"));
        assert_eq!(h.as_deref(), Some("Main heading"));
        let (t, h) = title_and_heading("<p>no title</p><h2>Only h2</h2>");
        assert_eq!(t, None);
        assert_eq!(h.as_deref(), Some("Only h2"));
    }
}
