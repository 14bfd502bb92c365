//! Device registers, reached through the kernel-checked bus imports (Rampart's own; the
//! reference crate has no equivalent, Outpost drivers dereference MMIO pointers).
//!
//! A register is a *bus* address (the device's base address from the devicetree plus the
//! register offset), not task memory, so a pointer cannot reach it: every access is one
//! call of a `rampart.bus_*` import. The kernel checks it against the devices this task has
//! mapped with [`map_dev`](crate::syscall::map_dev) (a software MPU); an address outside
//! them, or one not aligned to the access width, faults the task at once, so a refused
//! access never returns here.
//!
//! The names follow the C helpers of `uapi/bus.h`: [`read32`] is `ioread32`, [`write32`]
//! is `iowrite32`, [`set32`] is `ioset32`, and so on.
//!
//! Invariant: as in `syscall.rs`, no function here is referenced unless the app calls it,
//! and each calls exactly one import (the read-modify-write helpers call the two 32-bit
//! ones), so the linker keeps only the access widths the app uses. Importing any bus
//! function needs a `CAP_DEV_*` capability: a task that never touches a register must not
//! import one, and does not.

use crate::ffi_gen as ffi;

// SAFETY (for every `unsafe` block below): the imports take and return plain integers and
// never touch this module's memory. A bad address cannot corrupt the task either: the
// kernel faults the task instead of performing the access. Hence safe functions.

/// Read the 8-bit register at `addr` (C `ioread8`).
#[inline]
pub fn read8(addr: u32) -> u8 {
    unsafe { ffi::__rampart_bus_read8(addr) as u8 }
}

/// Read the 16-bit register at `addr` (C `ioread16`).
#[inline]
pub fn read16(addr: u32) -> u16 {
    unsafe { ffi::__rampart_bus_read16(addr) as u16 }
}

/// Read the 32-bit register at `addr` (C `ioread32`).
#[inline]
pub fn read32(addr: u32) -> u32 {
    unsafe { ffi::__rampart_bus_read32(addr) }
}

/// Write the 8-bit register at `addr` (C `iowrite8`).
#[inline]
pub fn write8(addr: u32, value: u8) {
    unsafe { ffi::__rampart_bus_write8(addr, u32::from(value)) };
}

/// Write the 16-bit register at `addr` (C `iowrite16`).
#[inline]
pub fn write16(addr: u32, value: u16) {
    unsafe { ffi::__rampart_bus_write16(addr, u32::from(value)) };
}

/// Write the 32-bit register at `addr` (C `iowrite32`).
#[inline]
pub fn write32(addr: u32, value: u32) {
    unsafe { ffi::__rampart_bus_write32(addr, value) };
}

/// Set `bits` in the 32-bit register at `addr` (C `ioset32`): a read, then a write.
///
/// Two accesses, so not atomic against the device: do not use it on a register whose bits
/// the hardware changes or clears on write (status, clear and set/reset registers).
#[inline]
pub fn set32(addr: u32, bits: u32) {
    write32(addr, read32(addr) | bits);
}

/// Clear `bits` in the 32-bit register at `addr` (C `ioclear32`), read-modify-write as
/// [`set32`].
#[inline]
pub fn clear32(addr: u32, bits: u32) {
    write32(addr, read32(addr) & !bits);
}
