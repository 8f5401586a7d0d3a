#[livepatch_macros::patch]
mod fix {
    #[livepatch(object = "test-klp-livepatch", target = "f")]
    unsafe extern "C" fn replacement() {}
}

fn main() {}
