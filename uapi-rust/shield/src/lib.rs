//! Shield: the runtime of Rampart Rust apps.
//!
//! An app is a `#![no_std]` `cdylib` crate that writes
//!
//! ```ignore
//! #![no_std]
//! shield::shield_main!();
//!
//! fn main() {
//!     shield::println!("hello from task {:#x}", shield::task_label());
//! }
//! ```
//!
//! and gets:
//! * [`shield_main!`]: the `_start(label, seed)` entry the kernel calls (docs/task-abi.md),
//!   which runs `main` and then exits with status 0 (or `main`'s status, see [`Termination`]);
//! * [`println!`] / [`print!`]: formatted output through the `log` syscall, with no
//!   allocator;
//! * a panic handler that logs `panicked at ...` and exits with [`PANIC_EXIT_STATUS`].
//!
//! Invariants:
//! * Output is formatted into a buffer on the stack of at most the exchange length, flushed
//!   with one `log` per chunk. Chunks end on UTF-8 character boundaries, and formatting
//!   never happens inside the exchange area, so a `Display` impl that makes syscalls cannot
//!   clobber half-written output.
//! * The panic handler never recurses: a panic while reporting a panic exits at once.

#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU32, Ordering};
use sentry_uapi::systypes::{Status, SVC_EXCHANGE_AREA_LEN};

pub use sentry_uapi;

/// Exit status of a task that panicked (Rust's own exit code for a panicking process).
pub const PANIC_EXIT_STATUS: i32 = 101;

static TASK_LABEL: AtomicU32 = AtomicU32::new(0);
static START_SEED: AtomicU32 = AtomicU32::new(0);

/// The label the kernel passed to `_start` (this task's `CONFIG_TASK_LABEL`).
pub fn task_label() -> u32 {
    TASK_LABEL.load(Ordering::Relaxed)
}

/// The fresh 32-bit value from the boot entropy the kernel passed to `_start`.
pub fn start_seed() -> u32 {
    START_SEED.load(Ordering::Relaxed)
}

/// What `main` may return: its exit status.
pub trait Termination {
    /// The status passed to `exit`.
    fn report(self) -> i32;
}

impl Termination for () {
    fn report(self) -> i32 {
        0
    }
}

impl Termination for i32 {
    fn report(self) -> i32 {
        self
    }
}

/// `Ok` is 0; `Err(status)` is the status's value.
impl Termination for Result<(), Status> {
    fn report(self) -> i32 {
        match self {
            Ok(()) => 0,
            Err(status) => status as i32,
        }
    }
}

/// Defines the task entry `_start(label, seed)`, which runs the crate's `fn main()` and
/// exits with its [`Termination`] status.
#[macro_export]
macro_rules! shield_main {
    () => {
        /// Task entry called by the kernel (docs/task-abi.md).
        #[no_mangle]
        pub extern "C" fn _start(label: u32, seed: u32) {
            $crate::__private::run(label, seed, main)
        }
    };
}

/// Prints to the console through the `log` syscall.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::__private::print(::core::format_args!($($arg)*))
    };
}

/// Prints to the console through the `log` syscall, with a newline.
#[macro_export]
macro_rules! println {
    () => {
        $crate::__private::print(::core::format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::__private::print(::core::format_args!("{}\n", ::core::format_args!($($arg)*)))
    };
}

/// Formats `args` and logs the result; the status of the first `log` that failed, else `Ok`.
pub fn log_fmt(args: fmt::Arguments<'_>) -> Status {
    let mut writer = LogWriter { buf: [0; SVC_EXCHANGE_AREA_LEN], len: 0, status: Status::Ok };
    // LogWriter never fails; a Display impl that does just ends the output there.
    let _ = writer.write_fmt(args);
    writer.flush();
    writer.status
}

/// Accumulates output and sends it in chunks of at most the exchange length.
struct LogWriter {
    buf: [u8; SVC_EXCHANGE_AREA_LEN],
    len: usize,
    status: Status,
}

impl LogWriter {
    fn flush(&mut self) {
        if self.len == 0 {
            return;
        }
        let chunk = &self.buf[..self.len];
        let status = match sentry_uapi::copy_to_kernel(chunk) {
            Ok(_) => sentry_uapi::syscall::log(chunk.len()),
            Err(status) => status,
        };
        if self.status == Status::Ok {
            self.status = status;
        }
        self.len = 0;
    }
}

impl Write for LogWriter {
    fn write_str(&mut self, mut s: &str) -> fmt::Result {
        while !s.is_empty() {
            let room = self.buf.len() - self.len;
            let mut take = s.len().min(room);
            // Never split a character across two log calls.
            while !s.is_char_boundary(take) {
                take -= 1;
            }
            if take == 0 {
                self.flush();
                continue;
            }
            self.buf[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
            self.len += take;
            s = &s[take..];
        }
        Ok(())
    }
}

/// Implementation details of the macros; not a stable API.
#[doc(hidden)]
pub mod __private {
    use super::*;

    /// Body of `_start`.
    pub fn run<R: Termination>(label: u32, seed: u32, main: fn() -> R) {
        TASK_LABEL.store(label, Ordering::Relaxed);
        START_SEED.store(seed, Ordering::Relaxed);
        let status = main().report();
        let _ = sentry_uapi::syscall::exit(status);
    }

    /// Body of `print!` and `println!`: the status is dropped, as `std::print!` has no
    /// result either (use [`log_fmt`](super::log_fmt) to see it).
    pub fn print(args: fmt::Arguments<'_>) {
        let _ = log_fmt(args);
    }
}

#[cfg(all(target_arch = "wasm32", not(test)))]
mod panic {
    use core::panic::PanicInfo;
    use core::sync::atomic::{AtomicBool, Ordering};

    static PANICKING: AtomicBool = AtomicBool::new(false);

    #[panic_handler]
    fn panic(info: &PanicInfo<'_>) -> ! {
        // PanicInfo's Display starts with "panicked at" on every compiler (the rest of the
        // layout changed in Rust 1.73).
        if !PANICKING.swap(true, Ordering::Relaxed) {
            crate::println!("{}", info);
        }
        let _ = sentry_uapi::syscall::exit(crate::PANIC_EXIT_STATUS);
        // `exit` does not return (it traps if the kernel ever resumed the job).
        loop {}
    }
}
