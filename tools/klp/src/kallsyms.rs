//! Symbol lookups in `/proc/kallsyms`, as the livepatch core resolves
//! `old_name` + `old_sympos` in an object (vmlinux or one module).

use crate::sys::Sys;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};

/// How many times each wanted name occurs, per object.
#[derive(Debug, Default)]
pub struct Kallsyms {
    counts: HashMap<(String, String), usize>,
}

impl Kallsyms {
    /// Reads `/proc/kallsyms`, keeping only the `wanted` names (the file has
    /// every symbol of the kernel). `None` when it cannot be read. Names are
    /// listed even to non-root users (only the addresses are hidden).
    pub fn read(sys: &Sys, wanted: &HashSet<&str>) -> Option<Self> {
        let file = File::open(sys.path("proc/kallsyms")).ok()?;
        let mut counts = HashMap::new();
        for line in BufReader::new(file).lines() {
            let line = line.ok()?;
            // "ffffffff81234560 t name\t[module]" (no module: vmlinux)
            let mut fields = line.split_whitespace().skip(2);
            let Some(name) = fields.next() else { continue };
            if !wanted.contains(name) {
                continue;
            }
            let object = fields.next().map_or("vmlinux", |m| {
                m.trim_start_matches('[').trim_end_matches(']')
            });
            *counts
                .entry((object.to_string(), name.to_string()))
                .or_insert(0) += 1;
        }
        Some(Kallsyms { counts })
    }

    /// Occurrences of `name` in `object`.
    pub fn count(&self, object: &str, name: &str) -> usize {
        self.counts
            .get(&(object.to_string(), name.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Whether `name` at `sympos` resolves in `object` the way
    /// `klp_find_object_symbol()` would: sympos 0 needs a unique name,
    /// sympos N at least N occurrences. `Err` explains why not.
    pub fn resolve(&self, object: &str, name: &str, sympos: u64) -> Result<(), String> {
        let n = self.count(object, name);
        match (n, sympos) {
            (0, _) => Err(format!("{name} is not in {object}'s symbols")),
            (1, 0) => Ok(()),
            (n, 0) => Err(format!(
                "{name} occurs {n} times in {object}: ambiguous without a sympos"
            )),
            (n, pos) if pos as usize > n => Err(format!(
                "{name} occurs {n} times in {object}, sympos is {pos}"
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeRoot;

    fn sample() -> Kallsyms {
        let fake = FakeRoot::new();
        fake.write(
            "proc/kallsyms",
            "0000000000000000 T cmdline_proc_show\n\
             0000000000000000 t dup\n\
             0000000000000000 t dup\n\
             0000000000000000 t dup\t[ext4]\n\
             0000000000000000 T other\n",
        );
        Kallsyms::read(&fake.sys(), &HashSet::from(["cmdline_proc_show", "dup"])).unwrap()
    }

    #[test]
    fn counts_per_object_only_wanted_names() {
        let k = sample();
        assert_eq!(k.count("vmlinux", "dup"), 2);
        assert_eq!(k.count("ext4", "dup"), 1);
        assert_eq!(k.count("vmlinux", "other"), 0);
    }

    #[test]
    fn resolves_like_the_core() {
        let k = sample();
        assert_eq!(k.resolve("vmlinux", "cmdline_proc_show", 0), Ok(()));
        assert_eq!(k.resolve("vmlinux", "dup", 2), Ok(()));
        assert_eq!(k.resolve("ext4", "dup", 0), Ok(()));
        assert!(k
            .resolve("vmlinux", "dup", 0)
            .unwrap_err()
            .contains("ambiguous"));
        assert!(k
            .resolve("vmlinux", "dup", 3)
            .unwrap_err()
            .contains("occurs 2 times"));
        assert!(k
            .resolve("vmlinux", "nope", 0)
            .unwrap_err()
            .contains("not in vmlinux"));
    }

    #[test]
    fn unreadable_is_none() {
        assert!(Kallsyms::read(&FakeRoot::new().sys(), &HashSet::new()).is_none());
    }
}
