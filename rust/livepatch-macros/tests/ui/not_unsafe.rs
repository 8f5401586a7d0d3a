#[livepatch_macros::patch]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch)]
    extern "C" fn cmdline_proc_show() -> i32 {
        0
    }
}

fn main() {}
