#[livepatch_macros::patch]
mod fix {
    #[param(description = "replace (default=0)")]
    static replace: i32 = 0;

    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
