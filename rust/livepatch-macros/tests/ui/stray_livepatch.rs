use livepatch_macros::livepatch;

#[livepatch]
unsafe extern "C" fn cmdline_proc_show() {}

fn main() {}
