#[livepatch_macros::patch]
mod fix {
    #[param(perm = 0o060)]
    static level: livepatch::IntParam = livepatch::IntParam::new(0);

    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
