#[livepatch_macros::patch]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show<T>(_m: *mut T) -> i32 {
        0
    }
}

fn main() {}
