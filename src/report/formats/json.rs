//! The change report as JSON: the `ChangeReport` itself, pretty-printed, then a newline. The
//! same document `--notify` posts; its fields are the contract the README documents.

use std::io::{self, Write};

use crate::report::Render;
use crate::report::changes::ChangeReport;

pub struct Json;

impl Render<ChangeReport> for Json {
    fn render(&self, report: &ChangeReport, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)
    }
}
