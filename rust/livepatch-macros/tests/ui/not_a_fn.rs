#[livepatch_macros::patch]
mod fix {
    #[livepatch]
    static CMDLINE: u8 = 0;

    #[livepatch]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
