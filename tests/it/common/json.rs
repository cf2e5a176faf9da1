//! Lookups and checks over linkward's JSON report, shared by the tests.

use std::path::Path;

use serde_json::Value;

use super::sha256_hex;

/// Every resource in the report.
pub fn resources(report: &Value) -> &Vec<Value> {
    report["resources"]
        .as_array()
        .unwrap_or_else(|| panic!("report has no resources array: {report:#}"))
}

/// The one resource whose `url` is `url`; panics listing the URLs present otherwise.
pub fn resource<'a>(report: &'a Value, url: &str) -> &'a Value {
    let matches: Vec<&Value> = resources(report)
        .iter()
        .filter(|r| r["url"] == url)
        .collect();
    match matches.as_slice() {
        [one] => one,
        [] => panic!(
            "no resource with url {url}; urls present: {:#?}",
            resources(report)
                .iter()
                .map(|r| &r["url"])
                .collect::<Vec<_>>()
        ),
        many => panic!("{} resources with url {url}: {many:#?}", many.len()),
    }
}

/// The one resource whose `title` is `title`.
pub fn resource_titled<'a>(report: &'a Value, title: &str) -> &'a Value {
    let matches: Vec<&Value> = resources(report)
        .iter()
        .filter(|r| r["title"] == title)
        .collect();
    assert_eq!(matches.len(), 1, "resources titled {title:?}: {matches:#?}");
    matches[0]
}

/// Asserts `state` and `reason` (`None` = JSON null) of `resource`.
#[track_caller]
pub fn assert_state(resource: &Value, state: &str, reason: Option<&str>) {
    assert_eq!(
        resource["state"], state,
        "state of {}: {resource:#}",
        resource["url"]
    );
    let expected_reason = reason.map_or(Value::Null, |r| Value::String(r.into()));
    assert_eq!(
        resource["reason"], expected_reason,
        "reason of {}: {resource:#}",
        resource["url"]
    );
}

/// Asserts that `resource` kept no body: no sha256, and (never good) no archived blob.
#[track_caller]
pub fn assert_nothing_kept(resource: &Value) {
    assert_eq!(resource["sha256"], Value::Null, "sha256: {resource:#}");
    assert_eq!(resource["archived"], Value::Null, "archived: {resource:#}");
    assert_eq!(
        resource["last_good_sha256"],
        Value::Null,
        "last_good_sha256: {resource:#}"
    );
}

/// Asserts that `resource` kept exactly `body`: its sha256, last good hash and archived blob
/// all agree with a hash computed here, and the blob on disk holds those bytes.
#[track_caller]
pub fn assert_kept(archive: &Path, resource: &Value, body: &[u8]) {
    let expected = sha256_hex(body);
    assert_eq!(
        resource["sha256"],
        expected.as_str(),
        "sha256: {resource:#}"
    );
    assert_eq!(
        resource["last_good_sha256"],
        expected.as_str(),
        "last_good_sha256: {resource:#}"
    );
    assert_eq!(resource["bytes"], body.len() as u64, "bytes: {resource:#}");
    if in_view(resource) {
        assert_archived(archive, resource, &expected);
    } else {
        assert_eq!(resource["archived"], Value::Null, "archived: {resource:#}");
    }
}

/// Whether the `files/` view holds `resource`'s copy: every copy but an HTML page other than a
/// seed's page (those stay in the WARC files only).
pub fn in_view(resource: &Value) -> bool {
    let html = resource["content_type"].as_str().is_some_and(|t| {
        let essence = t.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("text/html")
            || essence.eq_ignore_ascii_case("application/xhtml+xml")
    });
    resource["kind"] == "page" || !html
}

/// Asserts that `resource.archived` is the `files/` view's path of `sha256` (named by it, with
/// an extension) and that the file there exists, hashes to that name and is readable by all.
#[track_caller]
pub fn assert_archived(archive: &Path, resource: &Value, sha256: &str) {
    use std::os::unix::fs::PermissionsExt;
    let archived = resource["archived"]
        .as_str()
        .unwrap_or_else(|| panic!("archived is not a path: {resource:#}"));
    let expected_prefix = format!("files/{}/{sha256}.", &sha256[..2]);
    assert!(
        archived.starts_with(&expected_prefix) && archived.len() > expected_prefix.len(),
        "archived: {resource:#}"
    );
    let mode = std::fs::metadata(archive.join(archived))
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or_else(|e| panic!("stat archived file {archived}: {e}"));
    assert_eq!(mode & 0o444, 0o444, "{archived} is not readable by all");
    let blob = std::fs::read(archive.join(archived))
        .unwrap_or_else(|e| panic!("read archived blob {archived}: {e}"));
    assert_eq!(
        sha256_hex(&blob),
        sha256,
        "blob {archived} does not hash to its name"
    );
}

/// Asserts that the summary counts agree with the resources listed.
#[track_caller]
pub fn assert_summary_consistent(report: &Value) {
    let resources = resources(report);
    let summary = &report["summary"];
    assert_eq!(summary["total"], resources.len(), "summary: {summary:#}");
    for state in ["ok", "redirected", "broken", "skipped", "unresolved"] {
        let counted = resources.iter().filter(|r| r["state"] == state).count();
        assert_eq!(summary[state], counted, "summary.{state}: {summary:#}");
    }
}

/// `titles` of a resource as strings.
pub fn titles(resource: &Value) -> Vec<&str> {
    resource["titles"]
        .as_array()
        .unwrap_or_else(|| panic!("titles is not an array: {resource:#}"))
        .iter()
        .map(|t| t.as_str().expect("title is a string"))
        .collect()
}
