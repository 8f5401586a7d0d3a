mod bindings {
    extern "C" {
        pub fn version_proc_show(m: *mut u8, v: *mut u8) -> i32;
    }
}

#[livepatch_macros::patch]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "C" fn version_proc_show(m: *mut u8, v: *mut u8) -> i32 {
        // Wrong: enters this replacement again, forever.
        unsafe { crate::bindings::version_proc_show(m, v) }
    }
}

fn main() {}
