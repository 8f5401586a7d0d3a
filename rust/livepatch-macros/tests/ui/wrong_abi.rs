#[livepatch_macros::patch]
mod fix {
    #[livepatch]
    unsafe extern "Rust" fn cmdline_proc_show() -> i32 {
        0
    }

    #[livepatch]
    unsafe fn meminfo_proc_show() -> i32 {
        0
    }
}

fn main() {}
