//! Schedules that install (issue 16, item 7): `deploy/systemd/` (service and timer),
//! `deploy/cron/linkward.crontab` and `deploy/github-actions/link-rot.yml`. The unit files go
//! through `systemd-analyze verify`; every `linkward` command line in the three is run through
//! the built binary, so a flag it does not accept (or a bad value) fails here; the workflow is
//! read with PyYAML (GitHub Actions does not run here).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use crate::common::linkward::Run;
use crate::common::{Behaviour, Linkward, TestServer};

fn deploy_file(path: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    (path, text)
}

/// `(section, key, value)` of every assignment in a unit file, in order.
fn unit_entries(text: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut entries = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not an assignment: {line:?}"));
        assert!(!value.ends_with('\\'), "no continuation lines: {line:?}");
        entries.push((section.clone(), key.trim().into(), value.trim().into()));
    }
    entries
}

fn unit_values(entries: &[(String, String, String)], section: &str, key: &str) -> Vec<String> {
    entries
        .iter()
        .filter(|(s, k, _)| s == section && k == key)
        .map(|(_, _, v)| v.clone())
        .collect()
}

/// The words of one shell command line up to a redirection, pipe or list operator. The deploy
/// files' `linkward` lines hold no quoting or expansion, and this says so.
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    for word in command.split_whitespace() {
        if [">", ">>", "|", "&&", "||", ";", "2>&1"].contains(&word) {
            break;
        }
        assert!(
            !word.contains(['"', '\'', '$', '`', '\\', '*', '?']),
            "a linkward line of the deploy files must be plain words: {command:?}"
        );
        words.push(word.to_string());
    }
    words
}

/// What the built binary makes of a deployed `linkward ...` command line (`line` without the
/// program), run in isolation with the paths it names replaced by temporary ones: `--config`
/// an empty configuration file, `--seeds-dir` an empty folder (so `check` stops at "no seed" once
/// every flag and the configuration were accepted), `--archive` the given folder.
async fn run_deployed(linkward: &Linkward, args: &[String], archive: &Path) -> Run {
    let empty_config = linkward.write_file("deployed.toml", "");
    let empty_seeds = linkward.cwd().join("no-seeds");
    std::fs::create_dir_all(&empty_seeds).expect("empty seeds dir");
    std::fs::create_dir_all(linkward.cwd().join("seeds")).expect("empty ./seeds");
    let mut substituted: Vec<OsString> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        assert!(
            !arg.starts_with("--") || !arg.contains('='),
            "write `{arg}` as two words"
        );
        substituted.push(arg.into());
        let replacement: Option<&Path> = match arg.as_str() {
            "--config" => Some(&empty_config),
            "--seeds-dir" => Some(&empty_seeds),
            "--archive" => Some(archive),
            _ => None,
        };
        if let Some(path) = replacement {
            args.next()
                .unwrap_or_else(|| panic!("{arg} without a value"));
            substituted.push(path.into());
        }
    }
    let run = linkward.run(&substituted).await;
    for clap_said in [
        "unexpected argument",
        "invalid value",
        "see 'linkward --help'",
        "panicked",
    ] {
        assert!(
            !run.stderr.contains(clap_said),
            "linkward rejected a deployed command line {substituted:?}\n{}",
            run.dump()
        );
    }
    run
}

/// Asserts that `linkward check ...` as deployed is accepted: every flag and value parsed and the
/// configuration read, the run stopping only because the seeds folder is empty.
async fn assert_check_line_accepted(args: &[String]) {
    assert_eq!(args.first().map(String::as_str), Some("check"), "{args:?}");
    let linkward = Linkward::new();
    let run = run_deployed(&linkward, args, linkward.archive()).await;
    run.assert_usage_error();
    assert!(
        run.stderr
            .contains("no seed given and no seed manifest (*.toml) found in"),
        "{args:?}\n{}",
        run.dump()
    );
}

fn has_flag(args: &[String], flag: &str) -> bool {
    args.iter().any(|a| a == flag)
}

fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let at = args.iter().position(|a| a == flag)?;
    args.get(at + 1).map(String::as_str)
}

/// `Some(program)` when `program --version` runs, else a NOTICE and `None`.
fn tool(program: &str, why: &str) -> Option<()> {
    match Command::new(program).arg("--version").output() {
        Ok(out) if out.status.success() => Some(()),
        _ => {
            eprintln!("NOTICE: {program} is not available; skipping {why}");
            None
        }
    }
}

#[test]
fn systemd_units_are_hardened_and_run_check_quietly_under_a_deadline_daily() {
    let (_, service) = deploy_file("systemd/linkward.service");
    let entries = unit_entries(&service);
    let one = |key: &str| -> String {
        let values = unit_values(&entries, "Service", key);
        assert_eq!(values.len(), 1, "[Service] {key}= once: {values:?}");
        values[0].clone()
    };
    assert_eq!(one("Type"), "oneshot");
    for (key, value) in [
        ("DynamicUser", "yes"),
        ("User", "linkward"),
        ("StateDirectory", "linkward"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("AmbientCapabilities", ""),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("RestrictNamespaces", "yes"),
        ("RestrictSUIDSGID", "yes"),
        ("RestrictRealtime", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("ProtectClock", "yes"),
        ("ProtectHostname", "yes"),
        ("SystemCallArchitectures", "native"),
        ("SuccessExitStatus", "1"),
    ] {
        assert_eq!(one(key), value, "[Service] {key}=");
    }
    let filters = unit_values(&entries, "Service", "SystemCallFilter");
    assert!(
        filters.contains(&"@system-service".to_string()),
        "{filters:?}"
    );

    let exec = words(&one("ExecStart"));
    assert_eq!(exec[0], "/usr/local/bin/linkward");
    let args = &exec[1..];
    assert!(has_flag(args, "--quiet"), "{exec:?}");
    assert_eq!(
        flag_value(args, "--config"),
        Some("/etc/linkward/linkward.toml")
    );
    // The archive is in the StateDirectory, the one place the unit may write.
    assert!(
        flag_value(args, "--archive").is_some_and(|a| a.starts_with("/var/lib/linkward/")),
        "{exec:?}"
    );
    assert!(flag_value(args, "--deadline").is_some(), "{exec:?}");

    let (_, timer) = deploy_file("systemd/linkward.timer");
    let timer = unit_entries(&timer);
    assert_eq!(unit_values(&timer, "Timer", "OnCalendar"), ["daily"]);
    assert_eq!(unit_values(&timer, "Timer", "Persistent"), ["true"]);
    assert_eq!(unit_values(&timer, "Timer", "RandomizedDelaySec").len(), 1);
    assert_eq!(
        unit_values(&timer, "Install", "WantedBy"),
        ["timers.target"]
    );
}

#[tokio::test]
async fn systemd_service_command_line_is_accepted_by_linkward() {
    let (_, service) = deploy_file("systemd/linkward.service");
    let exec = unit_values(&unit_entries(&service), "Service", "ExecStart");
    assert_check_line_accepted(&words(&exec[0])[1..]).await;
}

#[test]
fn systemd_analyze_verify_accepts_the_units() {
    if tool(
        "systemd-analyze",
        "systemd-analyze verify of deploy/systemd/",
    )
    .is_none()
    {
        return;
    }
    let (service_path, service) = deploy_file("systemd/linkward.service");
    let (timer_path, timer) = deploy_file("systemd/linkward.timer");
    // verify insists that ExecStart's program exists: a copy runs the built binary instead.
    let dir = TempDir::new().expect("temp dir");
    let installed = "/usr/local/bin/linkward";
    assert!(service.contains(&format!("ExecStart={installed} ")));
    let copy = dir.path().join("linkward.service");
    std::fs::write(
        &copy,
        service.replace(installed, env!("CARGO_BIN_EXE_linkward")),
    )
    .expect("write unit copy");
    std::fs::write(dir.path().join("linkward.timer"), &timer).expect("write timer copy");
    // --man=no: the man page (Documentation=man:linkward(1)) is not installed on a build machine.
    let verify = |paths: &[&Path]| {
        let out = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .args(paths)
            .output()
            .expect("run systemd-analyze");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, said) = verify(&[&copy, &dir.path().join("linkward.timer")]);
    assert!(ok, "systemd-analyze verify refused the units:\n{said}");
    // Not even a warning (an unknown or misspelt key is only a warning).
    assert_eq!(said.trim(), "", "systemd-analyze verify warned");
    eprintln!("systemd-analyze verify accepted linkward.service and linkward.timer");

    // verify does look: the unit as shipped names a program this machine may not have.
    if !Path::new(installed).exists() {
        let (ok, said) = verify(&[&service_path, &timer_path]);
        assert!(!ok && said.contains(installed), "{said}");
    }

    // systemd's own exposure score for the hardening (0 best, 10 worst; "OK" is below 4.5).
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes"])
        .arg(&copy)
        .output()
        .expect("run systemd-analyze security");
    let text = String::from_utf8_lossy(&out.stdout);
    let score = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for linkward.service:")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok());
    match score {
        Some(score) => assert!(score <= 2.0, "exposure {score}\n{text}"),
        None => eprintln!(
            "NOTICE: this systemd-analyze has no `security --offline` (systemd < 250); \
             skipping the exposure score\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Whether `field` is a crontab time field whose numbers are all in `min..=max`.
fn cron_field_ok(field: &str, min: u32, max: u32) -> bool {
    let number = |n: &str| n.parse::<u32>().ok().filter(|n| (min..=max).contains(n));
    field.split(',').all(|part| {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (part, None),
        };
        let step_ok = step.is_none_or(|s| s.parse::<u32>().is_ok_and(|s| s > 0));
        let range_ok = range == "*"
            || match range.split_once('-') {
                Some((a, b)) => matches!((number(a), number(b)), (Some(a), Some(b)) if a <= b),
                None => number(range).is_some(),
            };
        step_ok && range_ok
    })
}

#[tokio::test]
async fn crontab_is_one_daily_quiet_entry_whose_flags_linkward_accepts() {
    let (_, crontab) = deploy_file("cron/linkward.crontab");
    let mut env = Vec::new();
    let mut entries = Vec::new();
    for line in crontab.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or_default();
        if let Some((name, value)) = first.split_once('=')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            env.push((name.to_string(), value.to_string()));
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().take(5).collect();
        assert_eq!(fields.len(), 5, "{line:?}");
        let command = line
            .split_whitespace()
            .skip(5)
            .collect::<Vec<_>>()
            .join(" ");
        entries.push((
            fields.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
            command,
        ));
    }
    let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"PATH"), "{env:?}");
    assert!(names.contains(&"MAILTO"), "{env:?}");
    let path = &env.iter().find(|(n, _)| n == "PATH").unwrap().1;
    assert!(path.split(':').any(|d| d == "/usr/local/bin"), "{path}");

    assert_eq!(entries.len(), 1, "one entry: {entries:?}");
    let (fields, command) = &entries[0];
    let ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];
    for (field, (min, max)) in fields.iter().zip(ranges) {
        assert!(cron_field_ok(field, min, max), "time field {field:?}");
    }
    // Daily: a fixed minute and hour, every day.
    assert!(fields[0].parse::<u32>().is_ok() && fields[1].parse::<u32>().is_ok());
    assert_eq!(&fields[2..], ["*", "*", "*"]);

    let words = words(command);
    assert_eq!(words[0], "linkward", "{command}");
    let args = &words[1..];
    assert!(
        has_flag(args, "--quiet"),
        "cron mails what is printed: {command}"
    );
    assert!(flag_value(args, "--deadline").is_some(), "{command}");
    assert!(flag_value(args, "--archive").is_some(), "{command}");
    assert_check_line_accepted(args).await;
}

/// The workflow as JSON, through PyYAML (YAML 1.1 reads the key `on` as true: it is renamed
/// back), or `None` with a NOTICE when python3 or PyYAML is missing.
fn workflow_json(path: &Path) -> Option<Value> {
    let script = "import json, sys, yaml\n\
                  d = yaml.safe_load(open(sys.argv[1]))\n\
                  if True in d: d['on'] = d.pop(True)\n\
                  print(json.dumps(d))";
    match Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
    {
        Ok(out) if out.status.success() => {
            Some(serde_json::from_slice(&out.stdout).expect("python printed JSON"))
        }
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("No module named 'yaml'") => {
            eprintln!("NOTICE: PyYAML is not installed; skipping the workflow's YAML checks");
            None
        }
        Ok(out) => panic!(
            "link-rot.yml is not valid YAML:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => {
            eprintln!("NOTICE: python3 is not available; skipping the workflow's YAML checks");
            None
        }
    }
}

/// Every line of `text` that runs linkward (its first word), as words.
fn linkward_lines(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("linkward "))
        .map(words)
        .collect()
}

#[tokio::test]
async fn workflow_runs_check_keeps_the_archive_and_files_one_issue() {
    let (path, text) = deploy_file("github-actions/link-rot.yml");

    // Every linkward line, whatever the YAML says: flags the binary accepts.
    let lines = linkward_lines(&text);
    let subcommands: Vec<&str> = lines.iter().map(|l| l[1].as_str()).collect();
    assert_eq!(subcommands, ["check", "report"], "{lines:?}");
    for line in &lines {
        match line[1].as_str() {
            "check" => {
                let args = &line[1..];
                assert!(has_flag(args, "--quiet"), "{line:?}");
                let fail_on = flag_value(args, "--fail-on").unwrap_or_default();
                assert!(fail_on.split(',').any(|c| c == "newly-broken"), "{line:?}");
                assert!(flag_value(args, "--deadline").is_some(), "{line:?}");
                assert_check_line_accepted(args).await;
            }
            _ => {
                // The report, on an archive where a run (exit 1, as when the step runs) found a
                // link broken: it names the link.
                let args = &line[1..];
                assert_eq!(flag_value(args, "--format"), Some("markdown"));
                let server = TestServer::start([(
                    "/gone.pdf",
                    Behaviour::status(404, "text/plain", "gone"),
                )])
                .await;
                let linkward = Linkward::new();
                let gone = server.url("/gone.pdf");
                let seed = linkward.seed_listing(std::slice::from_ref(&gone));
                let check = linkward.check(&[seed], &[]).await;
                assert_eq!(check.code, Some(1), "{}", check.dump());
                let run = run_deployed(&linkward, args, linkward.archive()).await;
                assert_eq!(run.code, Some(0), "{line:?}\n{}", run.dump());
                assert!(run.stdout.contains(&gone), "markdown: {}", run.dump());
            }
        }
    }

    let Some(workflow) = workflow_json(&path) else {
        return;
    };
    let on = &workflow["on"];
    let cron = on["schedule"][0]["cron"]
        .as_str()
        .expect("on.schedule[0].cron");
    assert_eq!(cron.split_whitespace().count(), 5, "{cron}");
    assert!(on.get("workflow_dispatch").is_some(), "{on}");
    assert_eq!(workflow["permissions"]["issues"], "write");

    let jobs = workflow["jobs"].as_object().expect("jobs");
    assert_eq!(jobs.len(), 1);
    let steps = jobs.values().next().unwrap()["steps"]
        .as_array()
        .expect("steps");
    let uses = |prefix: &str| -> Vec<&Value> {
        steps
            .iter()
            .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(prefix)))
            .collect()
    };
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    // The lines checked above are all the workflow runs.
    let in_steps: Vec<Vec<String>> = runs.iter().flat_map(|r| linkward_lines(r)).collect();
    assert_eq!(in_steps, lines);

    // The archive: restored by prefix before the check, saved under a key of this run after it,
    // even when the check failed.
    let restore = uses("actions/cache/restore@");
    let save = uses("actions/cache/save@");
    assert_eq!((restore.len(), save.len()), (1, 1), "cache steps");
    let (restore, save) = (&restore[0]["with"], save[0]);
    assert_eq!(restore["path"], "archive");
    assert_eq!(save["with"]["path"], "archive");
    let key = restore["key"].as_str().unwrap();
    assert!(key.contains("${{ github.run_id }}"), "{key}");
    assert_eq!(save["with"]["key"].as_str(), Some(key));
    let prefix = restore["restore-keys"].as_str().unwrap().trim();
    assert!(key.starts_with(prefix) && key != prefix, "{prefix} / {key}");
    assert_eq!(save["if"], "always()");
    let position = |step: &Value| steps.iter().position(|s| s == step).unwrap();
    let check = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("linkward check"))
        })
        .expect("a check step");
    assert!(position(uses("actions/cache/restore@")[0]) < position(check));
    assert!(position(check) < position(save));

    // The issue: only when the check exited 1, one issue labelled link-rot, edited if open.
    let issue = steps
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("gh issue")))
        .expect("an issue step");
    assert!(position(check) < position(issue));
    let check_id = check["id"].as_str().expect("the check step has an id");
    assert_eq!(
        issue["if"].as_str(),
        Some(format!("steps.{check_id}.outputs.code == '1'").as_str())
    );
    let script = issue["run"].as_str().unwrap();
    for needed in [
        "linkward report --format markdown",
        "gh issue list --label link-rot --state open",
        "gh issue edit",
        "gh issue create",
        "--label link-rot",
        "--body-file report.md",
    ] {
        assert!(script.contains(needed), "{needed:?} in\n{script}");
    }
    assert!(issue["env"]["GH_TOKEN"].as_str().is_some(), "{issue}");
}
