//! JSON, the machine-readable form of linkward's documents (all but the offline index): the
//! document itself, pretty-printed, then a newline. Its fields are the contracts the README
//! documents (the run report, the change report that `--notify` also posts, verify's report), so
//! this one renderer serves every document that derives `Serialize`.

use std::io::{self, Write};

use serde::Serialize;

use super::Render;

/// JSON: the document itself, pretty-printed, then a newline.
pub struct Json;

impl<D: Serialize + ?Sized> Render<D> for Json {
    fn render(&self, doc: &D, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, doc)?;
        writeln!(out)
    }
}
