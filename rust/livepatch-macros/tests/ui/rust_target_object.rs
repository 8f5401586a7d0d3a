#[livepatch_macros::patch]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch(target = rust_victim::verdict))]
    fn verdict(x: u32) -> u32 {
        x
    }

    // SAFETY: a test.
    #[unsafe(livepatch(target = kernel::error::Error::to_errno, object = "rust_victim"))]
    fn to_errno(e: kernel::error::Error) -> i32 {
        0
    }
}

fn main() {}
