//! The kernel log lines an action caused, read from `/dev/kmsg`: open it at
//! its end before the action, read what was added after.

use crate::sys::Sys;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;

/// A position in the kernel log.
pub struct KmsgCursor {
    file: Option<File>,
}

impl KmsgCursor {
    /// The current end of the log (no cursor when `/dev/kmsg` cannot be
    /// opened: the log is then simply not shown).
    pub fn at_end(sys: &Sys) -> Self {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(sys.path("dev/kmsg"))
            .ok()
            .and_then(|mut f| f.seek(SeekFrom::End(0)).ok().map(|_| f));
        KmsgCursor { file }
    }

    /// The messages logged since the cursor (without their
    /// `prio,seq,time,flags;` prefix), consuming them.
    pub fn new_messages(&mut self) -> Vec<String> {
        let Some(f) = self.file.as_mut() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut buf = vec![0u8; 8192];
        loop {
            // /dev/kmsg returns one record per read; EPIPE when records were
            // overwritten (skip on), EAGAIN at the end.
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend(parse_record(&buf[..n])),
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        out
    }
}

/// The message of one `/dev/kmsg` record (continuation lines, which start
/// with a space, carry dictionary entries and are dropped).
fn parse_record(rec: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(rec);
    let first = text.lines().next()?;
    let (_, msg) = first.split_once(';')?;
    Some(msg.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeRoot;

    #[test]
    fn parses_records() {
        assert_eq!(
            parse_record(
                b"3,1234,5678,-;livepatch: symbol 'x' not found in symbol table\n SUBSYSTEM=x\n"
            )
            .as_deref(),
            Some("livepatch: symbol 'x' not found in symbol table")
        );
        assert_eq!(parse_record(b"garbage"), None);
    }

    #[test]
    fn no_kmsg_means_no_messages() {
        let fake = FakeRoot::new();
        assert!(KmsgCursor::at_end(&fake.sys()).new_messages().is_empty());
    }
}
