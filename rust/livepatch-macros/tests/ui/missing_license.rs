#[livepatch_macros::patch(name = "my_fix", description = "a fix")]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
