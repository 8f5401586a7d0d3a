#[livepatch_macros::patch]
mod fix {
    #[livepatch]
    unsafe extern "C" fn cmdline_proc_show() -> i32 {
        0
    }
}

fn main() {}
