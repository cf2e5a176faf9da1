//! Safe names for files written out of the archive: ASCII slugs of titles (only `a-z`, `0-9` and
//! `-`, capped in length, never empty), file extensions from a content type or a URL path, and
//! names made unique within one folder. Pure: text in, names out. No name made here can be `.`,
//! `..`, absolute, or hold a separator, so a path joined from them stays below its root.

use std::collections::HashSet;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest slug, in bytes (all ASCII): long enough to tell titles apart, short enough that a
/// path of seed, section and title stays far below any file system's limit.
pub const MAX_SLUG: usize = 60;

/// The extension used when neither the content type nor the URL suggests one.
pub const FALLBACK_EXTENSION: &str = "bin";

/// `text` as a slug: letters folded to ASCII (`é` → `e`), lowercased, every other run of
/// characters a single `-`, at most [`MAX_SLUG`] bytes (cut at a word boundary when one is near).
/// `fallback` when nothing is left (a title in a script with no ASCII folding); it must itself
/// be a slug.
pub fn slug(text: &str, fallback: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_SLUG + 8));
    let mut gap = false;
    for c in text.nfkd() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('-');
            }
            gap = false;
            out.push(c.to_ascii_lowercase());
        } else if is_combining_mark(c) || matches!(c, '\'' | '\u{2019}' | '\u{2018}') {
            // Accents fold into their letter; an apostrophe does not split a word.
        } else {
            gap = true;
        }
        if out.len() > MAX_SLUG {
            break;
        }
    }
    if out.len() > MAX_SLUG {
        out.truncate(MAX_SLUG);
        // Prefer ending on a whole word when the last one started in the second half.
        if let Some(cut) = out.rfind('-').filter(|&i| i >= MAX_SLUG / 2) {
            out.truncate(cut);
        }
        while out.ends_with('-') {
            out.pop();
        }
    }
    if out.is_empty() {
        fallback.to_owned()
    } else if is_reserved_on_windows(&out) {
        // `con.html` cannot be created or opened on Windows, whatever follows the dot.
        format!("{out}-file")
    } else {
        out
    }
}

/// Device names Windows reserves in every folder, with any extension: `con`, `prn`, `aux`,
/// `nul`, `com0`–`com9`, `lpt0`–`lpt9` (a slug is already lowercase ASCII).
fn is_reserved_on_windows(slug: &str) -> bool {
    match slug.as_bytes() {
        b"con" | b"prn" | b"aux" | b"nul" => true,
        [b'c', b'o', b'm', d] | [b'l', b'p', b't', d] => d.is_ascii_digit(),
        _ => false,
    }
}

/// The file extension (without the dot) for a body of `content_type` fetched from `url`: the
/// content type's when it is a known, specific one; else the URL path's last segment's (1 to 5
/// ASCII letters or digits); else [`FALLBACK_EXTENSION`].
pub fn extension(content_type: Option<&str>, url: &str) -> String {
    if let Some(ext) = content_type.and_then(extension_of_type) {
        return ext.to_owned();
    }
    extension_of_url(url).unwrap_or_else(|| FALLBACK_EXTENSION.to_owned())
}

fn extension_of_type(content_type: &str) -> Option<&'static str> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(match essence.as_str() {
        "application/pdf" => "pdf",
        "text/html" => "html",
        "application/xhtml+xml" => "xhtml",
        "text/plain" => "txt",
        "text/csv" => "csv",
        "text/xml" | "application/xml" => "xml",
        "application/json" => "json",
        "application/rtf" | "text/rtf" => "rtf",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.ms-powerpoint" => "ppt",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => "pptx",
        "application/vnd.oasis.opendocument.text" => "odt",
        "application/vnd.oasis.opendocument.spreadsheet" => "ods",
        "application/epub+zip" => "epub",
        "application/zip" => "zip",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/svg+xml" => "svg",
        "image/webp" => "webp",
        "image/tiff" => "tif",
        // Generic or unknown types say nothing about the file: the URL may.
        _ => return None,
    })
}

fn extension_of_url(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let last = parsed.path_segments()?.next_back()?;
    let (stem, ext) = last.rsplit_once('.')?;
    let ok = !stem.is_empty()
        && (1..=5).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| ext.to_ascii_lowercase())
}

/// The names taken in one folder; hands out `name`, `name-2`, `name-3`... (before the extension).
#[derive(Debug, Default)]
pub struct Names {
    taken: HashSet<String>,
}

impl Names {
    /// A name not handed out before in this folder: `base` (a slug) with `ext` when given.
    pub fn unique(&mut self, base: &str, ext: Option<&str>) -> String {
        let with_ext = |stem: &str| match ext {
            Some(e) => format!("{stem}.{e}"),
            None => stem.to_owned(),
        };
        let mut name = with_ext(base);
        let mut n = 2u32;
        while self.taken.contains(&name) {
            name = with_ext(&format!("{base}-{n}"));
            n += 1;
        }
        self.taken.insert(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn names_windows_reserves_are_never_made() {
        for title in ["CON", "con", "Nul", "aux", "PRN", "COM1", "lpt9", "Com0"] {
            let got = slug(title, "item");
            assert_eq!(
                got,
                format!("{}-file", title.to_ascii_lowercase()),
                "{title}"
            );
        }
        for title in ["console", "com10", "lpt", "nullify", "con report"] {
            assert_eq!(
                slug(title, "item"),
                slug(title, "item").replace("-file", ""),
                "{title}"
            );
            assert!(!slug(title, "item").ends_with("-file"), "{title}");
        }
    }
    use super::*;

    fn is_safe(s: &str) -> bool {
        !s.is_empty()
            && s.len() <= MAX_SLUG
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    }

    #[test]
    fn titles_become_ascii_slugs() {
        assert_eq!(
            slug("Programme (pdf) of the seminar", "x"),
            "programme-pdf-of-the-seminar"
        );
        assert_eq!(
            slug("Migrants' participation in host countries", "x"),
            "migrants-participation-in-host-countries"
        );
        assert_eq!(
            slug("Références — Année 2007", "x"),
            "references-annee-2007"
        );
        assert_eq!(slug("  ../../etc/passwd  ", "x"), "etc-passwd");
        assert_eq!(slug("..", "untitled"), "untitled");
        assert_eq!(slug("移民", "untitled"), "untitled");
        assert_eq!(slug("", "untitled"), "untitled");
    }

    #[test]
    fn long_titles_are_capped_on_a_word() {
        let long = "Summary report (pdf) on the seminar discussions and outcomes, with annexes and \
                    the list of participants";
        let s = slug(long, "x");
        assert!(is_safe(&s), "{s}");
        assert_eq!(
            s,
            "summary-report-pdf-on-the-seminar-discussions-and-outcomes"
        );
        let one_word = "a".repeat(200);
        assert_eq!(slug(&one_word, "x").len(), MAX_SLUG);
    }

    #[test]
    fn every_slug_is_safe() {
        for text in [
            "/abs/path",
            "C:\\windows\\system32",
            "a/../b",
            "-leading and trailing-",
            "tab\tand\nnewline",
            "%2e%2e",
            "\u{202e}rtl override",
            "ﬁ ligature Ⅻ",
        ] {
            let s = slug(text, "untitled");
            assert!(is_safe(&s), "{text:?} → {s:?}");
        }
    }

    #[test]
    fn extensions_come_from_the_type_then_the_url() {
        assert_eq!(extension(Some("application/pdf"), "http://h/x.bin"), "pdf");
        assert_eq!(
            extension(Some("text/html; charset=utf-8"), "http://h/"),
            "html"
        );
        assert_eq!(
            extension(
                Some("application/octet-stream"),
                "http://h/a/report.PDF?x=1"
            ),
            "pdf"
        );
        assert_eq!(extension(None, "http://h/a/report.tar.gz"), "gz");
        assert_eq!(extension(None, "http://h/a/node/73"), FALLBACK_EXTENSION);
        assert_eq!(extension(None, "http://h/a/.hidden"), FALLBACK_EXTENSION);
        assert_eq!(extension(None, "http://h/a/x.../"), FALLBACK_EXTENSION);
        assert_eq!(extension(None, "http://h/a/x.a%2Fb"), FALLBACK_EXTENSION);
    }

    #[test]
    fn names_are_deduplicated_before_the_extension() {
        let mut names = Names::default();
        assert_eq!(names.unique("report", Some("pdf")), "report.pdf");
        assert_eq!(names.unique("report", Some("pdf")), "report-2.pdf");
        assert_eq!(names.unique("report", Some("html")), "report.html");
        assert_eq!(names.unique("report", Some("pdf")), "report-3.pdf");
        assert_eq!(names.unique("report", None), "report");
        assert_eq!(names.unique("report-2", Some("pdf")), "report-2-2.pdf");
    }
}
