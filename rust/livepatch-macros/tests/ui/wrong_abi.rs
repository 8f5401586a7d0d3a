#[livepatch_macros::patch]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "Rust" fn cmdline_proc_show() -> i32 {
        0
    }

    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe fn meminfo_proc_show() -> i32 {
        0
    }
}

fn main() {}
