//! Change over time (issue 3), run after run against local servers whose content changes between
//! runs: every transition, each significance level, rotating pages, soft 404s, `--confirm`,
//! ignore rules, seed list changes, the change report in every format, `--notify` and `history`.

mod ignore;
mod notify;
mod reports;
mod seeds;
mod significance;
mod soft404;
mod transitions;

use serde_json::Value;

use crate::common::Linkward;
use crate::common::json::resource;
use crate::common::linkward::Run;

/// A seed page titled `title` listing `links` (href, text) under one heading.
pub fn seed_html(title: &str, links: &[(&str, &str)]) -> String {
    let items: String = links
        .iter()
        .map(|(href, text)| format!("<li><a href=\"{href}\">{text}</a></li>\n"))
        .collect();
    format!(
        "<!doctype html><html><head><title>{title}</title></head><body>\
         <h1>{title}</h1><h2>Related Documents</h2><ul>\n{items}</ul></body></html>"
    )
}

/// An ordinary article page: a title, a heading and its paragraphs.
pub fn article(title: &str, paragraphs: &[&str]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><header><nav>Home · Publications · Events · Contact</nav></header>\
         <main><h1>{title}</h1>\n{body}</main><footer>Migration Policy Institute</footer>\
         </body></html>"
    )
}

/// `linkward check` with the fast flags; asserts it ran (exit 0 or 1) and returns its report.
pub async fn check<S: AsRef<std::ffi::OsStr>>(
    linkward: &Linkward,
    seeds: &[S],
    extra: &[&str],
) -> Value {
    let run = linkward.check(seeds, extra).await;
    assert_ran(&run);
    run.json()
}

/// Asserts a run that worked: exit 0 or 1, nothing on stderr that looks like a crash.
#[track_caller]
pub fn assert_ran(run: &Run) {
    assert!(
        matches!(run.code, Some(0 | 1)),
        "linkward did not run cleanly\n{}",
        run.dump()
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.dump());
}

/// The `change` of the resource at `url`.
#[track_caller]
pub fn change_of<'a>(report: &'a Value, url: &str) -> &'a str {
    let r = resource(report, url);
    r["change"]
        .as_str()
        .unwrap_or_else(|| panic!("no change on {url}: {r:#}"))
}

/// `linkward <subcommand> --archive <archive> <args>`.
pub async fn store_command(linkward: &Linkward, subcommand: &str, args: &[&str]) -> Run {
    let mut all: Vec<std::ffi::OsString> = vec![subcommand.into()];
    all.extend(args.iter().map(Into::into));
    all.push("--archive".into());
    all.push(linkward.archive().into());
    linkward.run(all).await
}

/// `linkward report --format json` (plus `args`), parsed.
pub async fn report_json(linkward: &Linkward, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let run = store_command(linkward, "report", &all).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    run.json()
}

/// The report entries about `url`.
pub fn entries_for<'a>(report: &'a Value, url: &str) -> Vec<&'a Value> {
    report["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no entries array: {report:#}"))
        .iter()
        .filter(|e| e["url"] == url)
        .collect()
}
