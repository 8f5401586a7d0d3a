#[livepatch_macros::patch]
mod fix {
    #[callbacks]
    struct First;

    #[callbacks("vmlinux")]
    struct Second;

    #[livepatch]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
