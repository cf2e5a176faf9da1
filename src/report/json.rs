//! The JSON report: one document on stdout, the machine-readable contract.

use std::io::{self, Write};

use super::{Render, RunReport};

pub struct Json;

impl Render<RunReport> for Json {
    fn render(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)
    }
}
