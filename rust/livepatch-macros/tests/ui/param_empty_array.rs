#[livepatch_macros::patch]
mod fix {
    #[param(perm = 0o644)]
    static pids: livepatch::IntArrayParam<0> = livepatch::IntArrayParam::new();

    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
