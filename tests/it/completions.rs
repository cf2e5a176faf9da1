//! `linkward completions SHELL` and `linkward man`: generated from the flags' definitions, so
//! they name every subcommand and flag; checked by the shell and by the man renderer when they
//! are installed (skipped with a NOTICE otherwise).

use std::path::Path;

use crate::common::Linkward;
use crate::common::linkward::Run;

/// Every top-level subcommand.
const SUBCOMMANDS: &[&str] = &[
    "check",
    "verify",
    "history",
    "report",
    "export",
    "get",
    "index",
    "seed",
    "completions",
    "man",
];

fn assert_mentions_everything(what: &str, run: &Run) {
    assert_eq!(run.code, Some(0), "{what}\n{}", run.dump());
    assert!(!run.stdout.trim().is_empty(), "{what} is empty");
    assert!(run.stderr.trim().is_empty(), "{what}\n{}", run.dump());
    for sub in SUBCOMMANDS {
        assert!(run.stdout.contains(sub), "{what} does not mention {sub:?}");
    }
}

/// The first of `programs` found on PATH.
fn installed(programs: &[&str]) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    programs.iter().find_map(|p| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(p))
            .find(|full| full.is_file())
    })
}

#[tokio::test]
async fn each_shells_completions_name_every_subcommand_and_flag() {
    let linkward = Linkward::new();
    for shell in ["bash", "zsh", "fish"] {
        let run = linkward.run(["completions", shell]).await;
        assert_mentions_everything(&format!("{shell} completions"), &run);
        for flag in ["archive", "per-host-rate", "dry-run"] {
            assert!(
                run.stdout.contains(flag),
                "{shell} completions do not mention --{flag}"
            );
        }
    }
}

#[tokio::test]
async fn bash_accepts_the_bash_completions() {
    let Some(bash) = installed(&["bash"]) else {
        println!("NOTICE: bash is not installed; the bash completions were not parsed");
        return;
    };
    let linkward = Linkward::new();
    let run = linkward.run(["completions", "bash"]).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let script = linkward.write_file("linkward.bash", &run.stdout);
    let checked = std::process::Command::new(&bash)
        .arg("-n")
        .arg(&script)
        .output()
        .expect("run bash -n");
    assert!(
        checked.status.success(),
        "bash -n refused the script: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
}

#[tokio::test]
async fn an_unknown_shell_is_a_one_line_usage_error_naming_the_choices() {
    let run = Linkward::new().run(["completions", "tcsh"]).await;

    run.assert_usage_error();
    assert!(run.stderr.contains("tcsh"), "{}", run.dump());
    for shell in ["bash", "zsh", "fish"] {
        assert!(run.stderr.contains(shell), "{}", run.dump());
    }
    assert!(run.stdout.is_empty(), "{}", run.dump());
}

#[tokio::test]
async fn the_man_page_is_roff_naming_every_subcommand() {
    let run = Linkward::new().run(["man"]).await;

    assert_mentions_everything("the man page", &run);
    assert_roff_page(&run.stdout, "linkward");
}

/// `page` is roff: requests only until its `.TH NAME 1` title line, then a NAME section.
fn assert_roff_page(page: &str, name: &str) {
    let mut lines = page.lines();
    let th = lines
        .by_ref()
        .find(|l| !l.starts_with('.') || l.starts_with(".TH "))
        .unwrap_or_default();
    assert!(
        th.starts_with(&format!(".TH {name} 1 ")),
        "{th:?} in\n{page}"
    );
    assert!(
        th.contains("linkward 0."),
        "the title names the version: {th:?}"
    );
    assert_eq!(lines.next(), Some(".SH NAME"), "{page}");
}

#[tokio::test]
async fn each_subcommand_has_its_page_with_its_flags() {
    let linkward = Linkward::new();
    let check = linkward.run(["man", "check"]).await;
    assert_eq!(check.code, Some(0), "{}", check.dump());
    assert_roff_page(&check.stdout, "linkward-check");
    assert!(
        check.stdout.contains("per\\-host\\-rate"),
        "{}",
        check.stdout
    );
    let recover = linkward.run(["man", "seed", "recover"]).await;
    assert_eq!(recover.code, Some(0), "{}", recover.dump());
    assert_roff_page(&recover.stdout, "linkward-seed-recover");

    let unknown = linkward.run(["man", "seed", "plant"]).await;
    unknown.assert_usage_error();
    assert!(unknown.stderr.contains("seed plant"), "{}", unknown.dump());
}

#[tokio::test]
async fn the_man_page_renders() {
    let linkward = Linkward::new();
    for sub in [&[][..], &["check"], &["seed", "recover"]] {
        let run = linkward.run(["man"].iter().chain(sub)).await;
        assert_eq!(run.code, Some(0), "{}", run.dump());
        let page = linkward.write_file("linkward.1", &run.stdout);
        if !renders(&page) {
            return;
        }
    }
}

/// Renders the man page at `page`, asserting it renders without a warning; false when no
/// renderer is installed (after a NOTICE).
fn renders(page: &Path) -> bool {
    let rendered = if let Some(groff) = installed(&["groff"]) {
        render(
            std::process::Command::new(groff).args(["-man", "-Tutf8", "-ww", "-z"]),
            page,
        )
    } else if let Some(man) = installed(&["man"]) {
        render(
            std::process::Command::new(man)
                .arg("-l")
                .env("MANPAGER", "cat")
                .env("MANWIDTH", "80"),
            page,
        )
    } else {
        println!("NOTICE: neither groff nor man is installed; the man page was not rendered");
        return false;
    };
    assert!(rendered.status.success(), "{rendered:?}");
    let warnings = String::from_utf8_lossy(&rendered.stderr);
    assert!(
        warnings.trim().is_empty(),
        "the renderer warned: {warnings}"
    );
    true
}

fn render(command: &mut std::process::Command, page: &Path) -> std::process::Output {
    command.arg(page).output().expect("run the man renderer")
}
