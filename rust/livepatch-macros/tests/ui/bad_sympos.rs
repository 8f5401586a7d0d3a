#[livepatch_macros::patch]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch(sympos = "1"))]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
