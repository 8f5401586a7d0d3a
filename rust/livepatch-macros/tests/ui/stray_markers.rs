use livepatch_macros::{callbacks, param, symbols};

#[callbacks]
struct Callbacks;

#[param]
static LEVEL: i32 = 0;

#[symbols]
extern "C" {
    fn process_echoes();
}

fn main() {}
