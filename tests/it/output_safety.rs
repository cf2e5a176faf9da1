//! Issue 14: what a hostile page says reaches no terminal as control characters. A title that
//! retitles the terminal (`ESC ] 0; … BEL`), clears it or moves its cursor is printed as its
//! plain text by `check` and `history`.

use crate::changes::store_command;
use crate::common::{Behaviour, Linkward, TestServer, pdf};

/// Every byte a terminal would act on, but line feeds and tabs.
fn controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        .collect()
}

#[tokio::test]
async fn titles_urls_and_server_strings_reach_the_terminal_without_control_characters() {
    let page = "<html><head><title>Seminar\u{1b}]0;pwned\u{7}</title></head><body>\
        <h2>Related \u{1b}[2J Documents</h2>\
        <p><a href=\"/a.pdf\">Report\u{1b}]0;owned\u{7} \u{9b}1;1H(pdf)</a></p>\
        <p><a href=\"/gone\u{1b}[5m.pdf\">Gone</a></p></body></html>";
    let server = TestServer::start([
        ("/", Behaviour::html(page)),
        ("/a.pdf", Behaviour::ok("application/pdf", pdf("A"))),
    ])
    .await;
    let linkward = Linkward::new();
    let seed = server.url("/");
    let run = linkward.check(&[&seed], &["--format", "terminal"]).await;
    assert!(matches!(run.code, Some(0 | 1)), "{}", run.dump());
    assert!(run.stdout.contains("Report"), "{}", run.dump());
    assert_eq!(
        controls(&run.stdout),
        Vec::<char>::new(),
        "{}",
        run.stdout.escape_debug()
    );

    let history = store_command(&linkward, "history", &[&server.url("/a.pdf")]).await;
    assert_eq!(history.code, Some(0), "{}", history.dump());
    assert_eq!(
        controls(&history.stdout),
        Vec::<char>::new(),
        "{}",
        history.stdout.escape_debug()
    );
}
