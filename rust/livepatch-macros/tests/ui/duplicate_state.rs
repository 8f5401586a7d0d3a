#[livepatch_macros::patch(states = [(7, 1), (8, 1), (7, 2)])]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
