//! rusty: the demo's Rust task. Answers every IPC with "rust heard: <message>" and ends
//! when it receives SIGNAL_TERM.
#![no_std]

use sentry_uapi::syscall;
use sentry_uapi::systypes::{EventType, Signal, Status};

shield::shield_main!();

fn main() {
    shield::println!("rusty: ready");
    let mut event = [0u8; 64];
    loop {
        if syscall::wait_for_event(EventType::Ipc as u8 | EventType::Signal as u8, 0) != Status::Ok {
            continue;
        }
        let _ = sentry_uapi::copy_from_kernel(&mut &mut event[..]);
        let kind = event[0];
        let length = event[1] as usize;
        let source = u32::from_le_bytes([event[4], event[5], event[6], event[7]]);
        if kind == EventType::Signal as u8 {
            let signal = u32::from_le_bytes([event[8], event[9], event[10], event[11]]);
            if signal == Signal::Term as u32 {
                shield::println!("rusty: terminated, bye");
                return;
            }
            continue;
        }
        let mut reply = [0u8; 48];
        let prefix = b"rust heard: ";
        reply[..prefix.len()].copy_from_slice(prefix);
        let n = core::cmp::min(length, reply.len() - prefix.len());
        reply[prefix.len()..prefix.len() + n].copy_from_slice(&event[8..8 + n]);
        let _ = sentry_uapi::copy_to_kernel(&&reply[..prefix.len() + n]);
        if syscall::send_ipc(source, (prefix.len() + n) as u8) != Status::Ok {
            shield::println!("rusty: reply failed");
        }
    }
}
