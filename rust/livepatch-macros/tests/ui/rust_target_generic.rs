#[livepatch_macros::patch]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch(target = kernel::alloc::helper::<u32>))]
    fn helper(x: u32) -> u32 {
        x
    }
}

fn main() {}
