#[livepatch_macros::patch]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch(target = "_RNvCs1234_11rust_victim7verdict", object = "rust_victim"))]
    fn verdict(x: u32) -> u32 {
        x
    }

    // SAFETY: a test.
    #[unsafe(livepatch(target = rust_victim::other, object = "rust_victim"))]
    extern "C-unwind" fn other(x: u32) -> u32 {
        x
    }
}

fn main() {}
