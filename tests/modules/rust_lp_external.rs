// SPDX-License-Identifier: GPL-2.0

//! A patch that reads a non-exported variable and calls a non-exported
//! function of vmlinux (klp relocations): see `common/external.rs`. Built
//! like any module, then converted by `klp post-link` (scripts/build.sh).

include!("common/external.rs");
