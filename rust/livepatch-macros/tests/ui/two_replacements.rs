#[livepatch_macros::patch]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show() {}

    // SAFETY: a test.
    #[unsafe(livepatch(target = "cmdline_proc_show"))]
    unsafe extern "C" fn another_cmdline_proc_show() {}
}

fn main() {}
