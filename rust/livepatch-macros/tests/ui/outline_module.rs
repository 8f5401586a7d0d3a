#[livepatch_macros::patch]
mod fix;

fn main() {}
