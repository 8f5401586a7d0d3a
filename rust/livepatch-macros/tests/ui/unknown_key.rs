#[livepatch_macros::patch]
mod fix {
    #[livepatch(taget = "cmdline_proc_show")]
    unsafe extern "C" fn replacement() {}
}

fn main() {}
