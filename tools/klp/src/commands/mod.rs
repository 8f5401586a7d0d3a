//! The `klp` commands. Each takes a [`Ctx`] and writes what it did to `out`.

mod build;
mod disable;
mod force;
mod info;
mod list;
mod load;
mod new;
mod post_link;
mod status;

pub use build::{build, find_checkout, BuildEnv, BuildOptions};
pub use disable::{disable, unload};
pub use force::force;
pub use info::info;
pub use list::list;
pub use load::{load_all, load_file, Loaded};
pub use new::{new, NewOptions};
pub use post_link::post_link;
pub use status::status;

use crate::error::{Error, Result};
use crate::kernel::Kernel;
use crate::sys::Sys;
use crate::wait::WaitOptions;

/// What every command works with.
pub struct Ctx<'a> {
    pub sys: Sys,
    pub kernel: &'a dyn Kernel,
    pub wait: WaitOptions,
}

impl Ctx<'_> {
    /// Fails with [`Error::NotRoot`] unless the caller is root.
    pub fn require_root(&self, action: &'static str) -> Result<()> {
        if self.kernel.is_root() {
            Ok(())
        } else {
            Err(Error::NotRoot { action })
        }
    }
}

/// Writes to the command's output; a closed stdout (`klp list | head`) is
/// not an error worth reporting.
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}
pub(crate) use say;

/// Serialises `value` as pretty JSON to `out`.
fn print_json(out: &mut dyn std::io::Write, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    say!(out, "{text}");
    Ok(())
}

#[cfg(test)]
mod external_tests;

#[cfg(test)]
pub(crate) mod test_ctx {
    use super::*;
    use crate::testutil::{FakeKernel, FakeRoot};
    use std::time::Duration;

    /// A context over `fake` and `kernel` with short waits.
    pub fn ctx<'a>(fake: &FakeRoot, kernel: &'a FakeKernel) -> Ctx<'a> {
        Ctx {
            sys: fake.sys(),
            kernel,
            wait: WaitOptions {
                timeout: Duration::from_millis(100),
                poll: Duration::from_millis(10),
                progress: false,
            },
        }
    }

    /// Runs `f` with a byte buffer as `out`; returns its result and the text.
    pub fn capture<T>(f: impl FnOnce(&mut dyn std::io::Write) -> T) -> (T, String) {
        let mut buf = Vec::new();
        let r = f(&mut buf);
        (r, String::from_utf8(buf).unwrap())
    }
}
