#[livepatch_macros::patch]
#[rustfmt::skip] // `fix.rs` does not exist: rustfmt must not look for it.
mod fix;

fn main() {}
