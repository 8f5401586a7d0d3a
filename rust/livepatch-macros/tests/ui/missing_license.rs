#[livepatch_macros::patch(name = "my_fix", description = "a fix")]
mod fix {
    #[livepatch]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
