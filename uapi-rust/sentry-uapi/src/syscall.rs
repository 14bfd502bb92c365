//! One function per syscall (spec §1.1), each returning the kernel's [`Status`].
//!
//! Every function is a thin call of the matching `rampart.<name>` import (declared in
//! `ffi_gen.rs`), except for the pre-checks that spec §0.3 item 7 (as amended by Rampart,
//! spec Part 1 §1.2) puts in the UAPI:
//! * [`wait_for_event`] refuses timeouts below `WFE_WAIT_NO` (-1) with `Invalid` without
//!   trapping, passes -1 through, and re-issues the call exactly once on `Intr`;
//! * [`log`] refuses a length above the configured exchange length with `Invalid` without
//!   trapping.
//!
//! The kernel re-checks every argument; the outputs of a successful call are in the exchange
//! area (read them with [`copy_from_kernel`](crate::copy_from_kernel)).
//!
//! Invariant: no function here calls another, and nothing takes their address, so the
//! linker drops the ones an app does not use *together with their imports*. That matters:
//! Rampart refuses a module that imports a syscall its task holds no capability for.

use crate::ffi_gen as ffi;
use crate::systypes::{
    AlarmFlag, CPUSleep, DeviceHandle, Precision, ShmHandle, ShmLabel, Signal, SleepDuration, SleepMode, Status,
    StreamHandle, StreamLabel, TaskHandle, TaskLabel, SVC_EXCHANGE_AREA_LEN, WFE_WAIT_NO,
};

// SAFETY (for every `unsafe` block below): the imports take and return plain integers and
// never touch this module's memory except the exchange area, which this crate only accesses
// through raw pointers.

/// Terminate the current job with `status` (0 = success). Never returns.
///
/// The `Status` return type is the reference signature's; the function diverges.
pub fn exit(status: i32) -> Status {
    unsafe { ffi::__rampart_sys_exit(status as u32) };
    // The kernel never resumes an exited job; should it ever, fault rather than run on.
    halt()
}

/// Task label → task handle, written as a `u32` at offset 0 of the exchange area.
pub fn get_process_handle(process: TaskLabel) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_get_process_handle(process) })
}

/// Device id → device handle (`u32` in the exchange area). Only the low 8 bits of the label
/// are significant.
pub fn get_device_handle(devlabel: u8) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_get_device_handle(u32::from(devlabel)) })
}

/// Give the CPU away until the next election.
pub fn sched_yield() -> Status {
    Status::from(unsafe { ffi::__rampart_sys_sched_yield() })
}

/// Sleep for `duration_ms`, shallow (woken early by events, `Intr`) or deep.
/// The normal outcome is `Timeout`.
pub fn sleep(duration_ms: SleepDuration, mode: SleepMode) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_sleep(u32::from(duration_ms), mode as u32) })
}

/// Start a task that is not started (needs `CAP_SYS_PROCSTART`).
pub fn start(process: TaskLabel) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_start(process) })
}

/// Map an owned device.
pub fn map_dev(device: DeviceHandle) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_map_dev(device) })
}

/// Map a shared memory (owner or user with the MAP credential).
pub fn map_shm(shm: ShmHandle) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_map_shm(shm) })
}

/// Unmap an owned device.
pub fn unmap_dev(device: DeviceHandle) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_unmap_dev(device) })
}

/// Unmap a shared memory.
pub fn unmap_shm(shm: ShmHandle) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_unmap_shm(shm) })
}

/// Set the credentials (`SHMPermission` bits) of `id` on a shared memory the caller owns.
pub fn shm_set_credential(shm: ShmHandle, id: TaskHandle, shm_perm: u32) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_shm_set_credential(shm, id, shm_perm) })
}

/// Send the first `length` bytes of the exchange area to `target`; blocks until it reads
/// them.
pub fn send_ipc(target: TaskHandle, length: u8) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_send_ipc(target, u32::from(length)) })
}

/// Post `signal_type` to the task `resource`.
pub fn send_signal(resource: u32, signal_type: Signal) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_send_signal(resource, signal_type as u32) })
}

/// Fetch one pending event of the kinds in `mask` (`EventType` bits) into the exchange area.
///
/// `timeout`: `WFE_WAIT_NO` (-1) polls (`Again` when nothing is pending),
/// `WFE_WAIT_FOREVER` (0) blocks, a positive value blocks at most that many milliseconds.
/// Anything below -1 is `Invalid`, refused here without entering the kernel. When the wait
/// is interrupted (`Intr`: an event arrived), the call is issued once more and its result,
/// whatever it is, returned.
pub fn wait_for_event(mask: u8, timeout: i32) -> Status {
    if timeout < WFE_WAIT_NO {
        return Status::Invalid;
    }
    let mut status = unsafe { ffi::__rampart_sys_wait_for_event(u32::from(mask), timeout) };
    if status == Status::Intr as u32 {
        status = unsafe { ffi::__rampart_sys_wait_for_event(u32::from(mask), timeout) };
    }
    Status::from(status)
}

/// CPU sleep policy (`WaitForInterrupt`/`WaitForEvent` are the idle task's alone).
pub fn pm_manage(mode: CPUSleep) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_pm_manage(mode as u32) })
}

/// Clock mux selection (needs `CAP_SYS_POWER`).
pub fn pm_set_clock(clk_reg: u32, clkmsk: u32, val: u32) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_pm_set_clock(clk_reg, clkmsk, val) })
}

/// Write the first `length` bytes of the exchange area to the console.
///
/// A length above the configured exchange length is `Invalid`, refused here without
/// entering the kernel.
pub fn log(length: usize) -> Status {
    if length > SVC_EXCHANGE_AREA_LEN {
        return Status::Invalid;
    }
    Status::from(unsafe { ffi::__rampart_sys_log(length as u32) })
}

/// Arm (`Start`, `StartPeriodic`) or stop (`Stop`, by period) an alarm; it fires as
/// `Signal::Alarm`.
pub fn alarm(timeout_ms: u32, flag: AlarmFlag) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_alarm(timeout_ms, flag as u32) })
}

/// A 32-bit random value (`u32` in the exchange area; needs `CAP_CRY_KRNG`).
pub fn get_random() -> Status {
    Status::from(unsafe { ffi::__rampart_sys_get_random() })
}

/// Time since boot in `precision` units (`u64` in the exchange area; `Cycle` needs
/// `CAP_TIM_HP_CHRONO`).
pub fn get_cycle(precision: Precision) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_get_cycle(precision as u32) })
}

/// Read pin `io` of device `resource` (one byte, 0 or 1, in the exchange area).
pub fn gpio_get(resource: u32, io: u8) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_gpio_get(resource, u32::from(io)) })
}

/// Drive pin `io` of device `resource` high (`val`) or low.
pub fn gpio_set(resource: u32, io: u8, val: bool) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_gpio_set(resource, u32::from(io), u32::from(val)) })
}

/// Drive pin `io` of device `resource` low.
pub fn gpio_reset(resource: u32, io: u8) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_gpio_reset(resource, u32::from(io)) })
}

/// Toggle pin `io` of device `resource`.
pub fn gpio_toggle(resource: u32, io: u8) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_gpio_toggle(resource, u32::from(io)) })
}

/// Apply the devicetree configuration of pin `io` of device `resource`.
pub fn gpio_configure(resource: u32, io: u8) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_gpio_configure(resource, u32::from(io)) })
}

/// Acknowledge (and unmask) an IRQ of an owned device.
pub fn irq_acknowledge(irq: u16) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_irq_acknowledge(u32::from(irq)) })
}

/// Unmask an IRQ of an owned device.
pub fn irq_enable(irq: u16) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_irq_enable(u32::from(irq)) })
}

/// Mask an IRQ of an owned device.
pub fn irq_disable(irq: u16) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_irq_disable(u32::from(irq)) })
}

/// SHM label → SHM handle (`u32` in the exchange area).
pub fn get_shm_handle(shm: ShmLabel) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_get_shm_handle(shm) })
}

/// Stream label → DMA stream handle (`u32` in the exchange area; needs `CAP_DEV_DMA`).
pub fn get_dma_stream_handle(stream: StreamLabel) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_get_dma_stream_handle(stream) })
}

/// Start an assigned or suspended stream.
pub fn dma_start_stream(dmah: StreamHandle) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_dma_start_stream(dmah) })
}

/// Suspend a started stream.
pub fn dma_suspend_stream(dmah: StreamHandle) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_dma_suspend_stream(dmah) })
}

/// Stream state (one byte in the exchange area).
pub fn dma_get_stream_status(dmah: StreamHandle) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_dma_get_stream_status(dmah) })
}

/// [`ShmInfo`](crate::systypes::ShmInfo) of a shared memory, in the exchange area.
pub fn shm_get_infos(shm: ShmHandle) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_shm_get_infos(shm) })
}

/// Program the channel of a stream.
pub fn dma_assign_stream(dmah: StreamHandle) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_dma_assign_stream(dmah) })
}

/// Release the channel of a stream.
pub fn dma_unassign_stream(dmah: StreamHandle) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_dma_unassign_stream(dmah) })
}

/// Static configuration of a stream
/// ([`GpdmaStreamConfig`](crate::systypes::dma::GpdmaStreamConfig)), in the exchange area.
pub fn dma_get_stream_info(dmah: StreamHandle) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_dma_get_stream_info(dmah) })
}

/// Resume a suspended stream.
pub fn dma_resume_stream(dmah: StreamHandle) -> Status {
    Status::from(unsafe { ffi::__rampart_sys_dma_resume_stream(dmah) })
}

/// Stops the task after an `exit` the kernel should never have returned from.
fn halt() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    loop {
        core::hint::spin_loop();
    }
}
