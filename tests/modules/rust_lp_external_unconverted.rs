// SPDX-License-Identifier: GPL-2.0

//! `rust_lp_external` as it is before `klp post-link`: scripts/build.sh
//! converts every module but this one. The loader accepts its unresolved
//! weak symbols as address 0, so the patch must refuse to be enabled.

include!("common/external.rs");
