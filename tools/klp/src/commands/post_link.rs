//! `klp post-link FILE.ko...`: convert the external symbols of freshly
//! linked livepatch modules into klp relocations (see [`crate::postlink`]).

use super::say;
use crate::error::{Error, Result};
use crate::postlink::post_link_file;
use std::io::Write;
use std::path::PathBuf;

/// Converts each file in place, one line per file; goes on past a refused
/// file (left unchanged) and fails at the end, listing every reason.
pub fn post_link(files: &[PathBuf], out: &mut dyn Write) -> Result<()> {
    let mut refused = Vec::new();
    for file in files {
        match post_link_file(file) {
            Ok(line) => say!(out, "{}: {line}", file.display()),
            Err(why) => refused.push((file.clone(), why)),
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(Error::PostLinkRefused { refused })
    }
}
