#[livepatch_macros::patch(name = "my_fix", license = "MIT")]
mod fix {
    #[livepatch]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
