#[livepatch_macros::patch]
mod fix {
    #[symbols(object = "n.tty")]
    extern "C" {
        fn process_echoes();
    }

    #[symbols]
    extern "C" {
        #[symbol(name = "a,b")]
        fn comma();
        #[link_name = "process_output"]
        fn output();
        type Opaque;
    }

    // SAFETY: a test.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show() {}
}

fn main() {}
