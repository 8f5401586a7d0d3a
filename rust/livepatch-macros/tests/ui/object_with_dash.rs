#[livepatch_macros::patch]
mod fix {
    // SAFETY: a test.
    #[unsafe(livepatch(object = "test-klp-livepatch", target = "f"))]
    unsafe extern "C" fn replacement() {}
}

fn main() {}
