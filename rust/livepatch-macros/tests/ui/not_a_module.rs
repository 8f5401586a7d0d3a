#[livepatch_macros::patch]
fn not_a_module() {}

fn main() {}
