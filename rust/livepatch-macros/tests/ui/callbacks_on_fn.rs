#[livepatch_macros::patch]
mod fix {
    #[callbacks("vmlinux")]
    fn pre_patch() {}

    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
