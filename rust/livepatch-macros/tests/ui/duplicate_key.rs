#[livepatch_macros::patch]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch(target = "cmdline_proc_show", target = "meminfo_proc_show"))]
    unsafe extern "C" fn replacement() {}
}

fn main() {}
