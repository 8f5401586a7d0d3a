// SPDX-License-Identifier: GPL-2.0

//! Compile-fail tests: every misuse of the macros is a compile error spanned
//! on the offending token (the expected output is in `ui/*.stderr`). Update
//! them after an intended change with `TRYBUILD=overwrite cargo test`, and
//! review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
