#[livepatch_macros::patch]
mod fix {
    // Prints a new /proc/cmdline.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show() -> i32 {
        0
    }
}

fn main() {}
