//! The deliberate failures: trap, endless loop, endless sleep, memory
//! bomb, and a slow but finite computation.

use crate::config::Mode;

/// Size of each block the memory bomb allocates.
const BLOCK: usize = 1 << 20;

/// Misbehave per `mode`. Trap, loop and bomb never return; `work` returns
/// `ok` once done; the other modes are returned for the caller to act on.
pub fn run(mode: Mode) -> Mode {
    match mode {
        Mode::Trap => trap(),
        Mode::Loop => spin(),
        Mode::Nap => nap(),
        Mode::Bomb => bomb(),
        Mode::Work(steps) => {
            work(steps);
            Mode::Ok
        }
        other => other,
    }
}

/// Panic; with `panic = "abort"` this traps the Wasm instance.
// Deliberate: trapping is the whole point of this mode.
#[allow(clippy::panic)]
fn trap() -> ! {
    panic!("misbehave: deliberate trap")
}

/// Spin forever.
fn spin() -> ! {
    loop {
        work(u64::MAX);
    }
}

/// Sleep forever, an hour at a time.
fn nap() -> ! {
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

/// Compute for `steps` steps; `black_box` keeps the optimiser from removing
/// the loop.
fn work(steps: u64) {
    let mut counter: u64 = 0;
    for _ in 0..steps {
        std::hint::black_box(&mut counter);
        counter = counter.wrapping_add(1);
    }
}

/// Allocate and touch 1 MiB blocks forever, keeping every one alive, until
/// the host's memory limit stops the instance.
fn bomb() -> ! {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; BLOCK];
        // Write every page so the memory is really used.
        for byte in block.iter_mut().step_by(4096) {
            *byte = 1;
        }
        blocks.push(std::hint::black_box(block));
        std::hint::black_box(&mut blocks);
    }
}
