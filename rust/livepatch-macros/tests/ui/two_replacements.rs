#[livepatch_macros::patch]
mod fix {
    #[livepatch]
    unsafe extern "C" fn cmdline_proc_show() {}

    #[livepatch(target = "cmdline_proc_show")]
    unsafe extern "C" fn another_cmdline_proc_show() {}
}

fn main() {}
