#[livepatch_macros::patch]
mod fix {
    fn helper() {}
}

fn main() {}
