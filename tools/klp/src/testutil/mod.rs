//! Test doubles: a fake sysfs/procfs tree, a fake kernel, synthetic `.ko`
//! files.

pub mod btf;
pub mod declared;
mod fake_kernel;
mod fake_root;
mod klp_ko;
mod ko;

pub use fake_kernel::FakeKernel;
pub use fake_root::{FakePatch, FakeRoot};
pub use klp_ko::{Decl, In, KlpKo, MarkerAt, Ref};
pub use ko::{
    klp_module, klp_module_with, livepatch_ko, vermagic, vmlinux_fn, Ko, KoFunc, KoObject, Layout,
    Modinfo, RELEASE,
};
