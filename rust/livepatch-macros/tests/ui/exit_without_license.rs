#[livepatch_macros::patch(exit = cleanup)]
mod fix {
    fn cleanup() {}

    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
