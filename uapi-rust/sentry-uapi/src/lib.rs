//! The Sentry user API for Rampart tasks, source-compatible with Outpost's `sentry-uapi`
//! 0.4.1.
//!
//! A Rampart task is a WebAssembly module; every syscall is a call to a function imported
//! from the module `rampart` (see `docs/task-abi.md` in the Rampart repository). This crate
//! gives those imports the Sentry API:
//!
//! * [`syscall`]: one function per syscall, each returning a [`systypes::Status`];
//! * [`bus`]: device register access for drivers (`read32`, `write32`, `set32`, ...),
//!   checked by the kernel against the devices the task has mapped (Rampart's own);
//! * [`systypes`]: the enumerations, handle aliases and exchange-area layouts;
//! * [`copy_to_kernel`] / [`copy_from_kernel`]: moving data through the task's exchange
//!   area, the only memory the kernel reads or writes during a syscall.
//!
//! Rampart generates part of this crate for each project (`systypes_gen.rs`, `ffi_gen.rs`):
//! the numbers come from the kernel's own ABI tables, and the exchange area has the
//! project's configured length ([`systypes::SVC_EXCHANGE_AREA_LEN`]) instead of the
//! reference crate's hard-coded 128 bytes.
//!
//! Differences from the reference crate, all deliberate:
//! * `wait_for_event` passes `WFE_WAIT_NO` (-1) through to the kernel, which answers
//!   `Again` when nothing is pending; only timeouts below -1 are refused without trapping.
//! * `Status::from(u32)` maps an out-of-range value to `Invalid` instead of panicking.
//! * The exchange helpers are bounded by the configured length, not 128.

#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod bus;
mod exchange;
mod ffi_gen;
pub mod syscall;
pub mod systypes;
mod systypes_gen;

pub use exchange::{copy_from_kernel, copy_to_kernel, SentryExchangeable};
