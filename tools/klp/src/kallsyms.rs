//! Symbol lookups in `/proc/kallsyms`, as the livepatch core resolves
//! `old_name` + `old_sympos` in an object (vmlinux or one module).

use crate::sys::Sys;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};

/// How many times each wanted name occurs, per object; where, when the
/// addresses are visible (root); and which Rust functions share those
/// addresses.
#[derive(Debug, Default)]
pub struct Kallsyms {
    counts: HashMap<(String, String), usize>,
    /// The addresses of each wanted name, in `/proc/kallsyms` order (the
    /// order sympos counts in); empty when the addresses are hidden.
    addrs: HashMap<(String, String), Vec<u64>>,
    /// The Rust functions (v0 symbols, `_R...`) at each of those addresses.
    rust_at: HashMap<(String, u64), Vec<String>>,
}

/// One line of `/proc/kallsyms`: "ffffffff81234560 t name\t[module]" (no
/// module: vmlinux). Address 0 when hidden.
fn parse_line(line: &str) -> Option<(u64, &str, &str, &str)> {
    let mut fields = line.split_whitespace();
    let addr = u64::from_str_radix(fields.next()?, 16).unwrap_or(0);
    let kind = fields.next()?;
    let name = fields.next()?;
    let object = fields.next().map_or("vmlinux", |m| {
        m.trim_start_matches('[').trim_end_matches(']')
    });
    Some((addr, kind, name, object))
}

/// A Rust function's symbol: a v0 mangled name in a text section.
fn is_rust_function(kind: &str, name: &str) -> bool {
    name.starts_with("_R") && matches!(kind, "t" | "T" | "w" | "W")
}

impl Kallsyms {
    /// Reads `/proc/kallsyms`, keeping only the `wanted` names (the file has
    /// every symbol of the kernel). `None` when it cannot be read. Names are
    /// listed even to non-root users (only the addresses are hidden).
    pub fn read(sys: &Sys, wanted: &HashSet<&str>) -> Option<Self> {
        let path = sys.path("proc/kallsyms");
        let mut counts = HashMap::new();
        let mut addrs: HashMap<(String, String), Vec<u64>> = HashMap::new();
        for line in BufReader::new(File::open(&path).ok()?).lines() {
            let line = line.ok()?;
            let Some((addr, _, name, object)) = parse_line(&line) else {
                continue;
            };
            if !wanted.contains(name) {
                continue;
            }
            let key = (object.to_string(), name.to_string());
            *counts.entry(key.clone()).or_insert(0) += 1;
            if addr != 0 {
                addrs.entry(key).or_default().push(addr);
            }
        }
        // A second pass, only where addresses are visible: the Rust
        // functions at the wanted names' addresses.
        let mut rust_at: HashMap<(String, u64), Vec<String>> = HashMap::new();
        let at: HashSet<(&str, u64)> = addrs
            .iter()
            .flat_map(|((object, _), a)| a.iter().map(move |&a| (object.as_str(), a)))
            .collect();
        if !at.is_empty() {
            for line in BufReader::new(File::open(&path).ok()?).lines() {
                let line = line.ok()?;
                let Some((addr, kind, name, object)) = parse_line(&line) else {
                    continue;
                };
                if is_rust_function(kind, name) && at.contains(&(object, addr)) {
                    rust_at
                        .entry((object.to_string(), addr))
                        .or_default()
                        .push(name.to_string());
                }
            }
        }
        Some(Kallsyms {
            counts,
            addrs,
            rust_at,
        })
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

    /// The other Rust functions whose code is that of `name` at `sympos` in
    /// `object` (the same address: the compiler merged identical functions,
    /// so one ftrace site serves them all); `None` when the addresses are
    /// hidden or the name does not resolve.
    pub fn merged_with(&self, object: &str, name: &str, sympos: u64) -> Option<Vec<String>> {
        let addrs = self.addrs.get(&(object.to_string(), name.to_string()))?;
        let addr = *addrs.get((sympos as usize).saturating_sub(1))?;
        let mut others: Vec<String> = self
            .rust_at
            .get(&(object.to_string(), addr))
            .into_iter()
            .flatten()
            .filter(|n| *n != name)
            .cloned()
            .collect();
        others.sort();
        others.dedup();
        Some(others)
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
    fn merged_rust_functions() {
        let fake = FakeRoot::new();
        fake.write(
            "proc/kallsyms",
            "ffffffff81000010 T _RNvXs0_NtCs1_8bindings1AINtCs2_4core7Default7default\n\
             ffffffff81000010 T _RNvXs1_NtCs1_8bindings1BINtCs2_4core7Default7default\n\
             ffffffff81000010 T __split_text_start\n\
             ffffffff81000020 T _RNvCs1_6kernel4lone\n\
             ffffffff81000030 t dup\n\
             ffffffff81000040 t dup\n\
             ffffffff81000040 t _RNvCs1_6kernel5other\n\
             ffffffffc0000010 t _RNvCs3_11rust_victim1f\t[rust_victim]\n\
             ffffffffc0000010 t _RNvCs3_11rust_victim1g\t[rust_victim]\n\
             ffffffff81000050 t _RNvCs3_11rust_victim1f\n",
        );
        let a = "_RNvXs0_NtCs1_8bindings1AINtCs2_4core7Default7default";
        let f = "_RNvCs3_11rust_victim1f";
        let k = Kallsyms::read(
            &fake.sys(),
            &HashSet::from([a, "_RNvCs1_6kernel4lone", "dup", f]),
        )
        .unwrap();
        assert_eq!(
            k.merged_with("vmlinux", a, 0),
            Some(vec![
                "_RNvXs1_NtCs1_8bindings1BINtCs2_4core7Default7default".to_string()
            ])
        );
        assert_eq!(
            k.merged_with("vmlinux", "_RNvCs1_6kernel4lone", 0),
            Some(vec![])
        );
        // sympos picks the occurrence.
        assert_eq!(k.merged_with("vmlinux", "dup", 1), Some(vec![]));
        assert_eq!(
            k.merged_with("vmlinux", "dup", 2),
            Some(vec!["_RNvCs1_6kernel5other".to_string()])
        );
        assert_eq!(k.merged_with("vmlinux", "dup", 3), None);
        // Per object.
        assert_eq!(
            k.merged_with("rust_victim", f, 0),
            Some(vec!["_RNvCs3_11rust_victim1g".to_string()])
        );
        assert_eq!(k.merged_with("vmlinux", f, 0), Some(vec![]));
    }

    #[test]
    fn hidden_addresses_tell_nothing_of_merging() {
        let fake = FakeRoot::new();
        fake.write(
            "proc/kallsyms",
            "0000000000000000 T _RNvCs1_6kernel1a\n\
             0000000000000000 T _RNvCs1_6kernel1b\n",
        );
        let k = Kallsyms::read(&fake.sys(), &HashSet::from(["_RNvCs1_6kernel1a"])).unwrap();
        assert_eq!(k.count("vmlinux", "_RNvCs1_6kernel1a"), 1);
        assert_eq!(k.merged_with("vmlinux", "_RNvCs1_6kernel1a", 0), None);
    }

    #[test]
    fn unreadable_is_none() {
        assert!(Kallsyms::read(&FakeRoot::new().sys(), &HashSet::new()).is_none());
    }
}
