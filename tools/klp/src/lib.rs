//! `klp`: operate Linux kernel livepatches (list, load, disable, unload,
//! force, inspect a `.ko`, per-task state).
//!
//! Everything that reads the kernel's state goes through [`sys::Sys`], whose
//! root directory is a parameter (`/` on a real machine, a fake tree in
//! tests); the two system calls (`finit_module`, `delete_module`) and the
//! privilege check go through [`kernel::Kernel`], so the commands can be
//! tested without a kernel.

pub mod btf;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod declared;
pub mod descriptors;
pub mod error;
pub mod fit;
pub mod kallsyms;
pub mod kernel;
pub mod klpsyms;
pub mod kmsg;
pub mod kofile;
pub mod livepatch;
pub mod modsign;
pub mod postlink;
pub mod scaffold;
pub mod sigcheck;
pub mod signature;
pub mod sys;
pub mod tasks;
pub mod transition;
pub mod tree;
pub mod wait;

#[cfg(test)]
pub mod testutil;
