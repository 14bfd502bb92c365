//! rust-hello: the smallest useful Rust task. It greets, looks up its own task handle and
//! the time since boot, then returns (an `exit(0)`). Written against the Outpost-compatible
//! `sentry-uapi` and `shield` crates only.

#![no_std]

use sentry_uapi::syscall;
use sentry_uapi::systypes::{Precision, Status, TaskHandle};

shield::shield_main!();

fn main() {
    let label = shield::task_label();
    shield::println!("hello from Rust, label {:#x}", label);

    // Outputs of a syscall arrive in the exchange area; copy them out at once.
    let mut handle: TaskHandle = 0;
    if syscall::get_process_handle(label) == Status::Ok && sentry_uapi::copy_from_kernel(&mut handle).is_ok() {
        shield::println!("my task handle is {:#010x}", handle);
    }

    let mut uptime_ms: u64 = 0;
    match syscall::get_cycle(Precision::Milliseconds) {
        Status::Ok => {
            let _ = sentry_uapi::copy_from_kernel(&mut uptime_ms);
            shield::println!("up for {} ms", uptime_ms);
        }
        other => shield::println!("get_cycle failed: {:?}", other),
    }
}
