#[livepatch_macros::patch]
mod fix {
    #[callbacks]
    struct First;

    #[callbacks("vmlinux")]
    struct Second;

    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
