#[livepatch_macros::patch]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch(taget = "cmdline_proc_show"))]
    unsafe extern "C" fn replacement() {}
}

fn main() {}
