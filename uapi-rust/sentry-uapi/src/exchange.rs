//! The exchange area and the copy helpers (spec §3).
//!
//! The exchange area is the only part of a task's memory the kernel reads or writes during a
//! syscall: handles, values, structures and events arrive at offset 0, log text and IPC
//! payloads leave from offset 0. It is the `__svcexchange` static below, which the build
//! exports from the module as the immutable global `__svcexchange` holding its address
//! (docs/task-abi.md).
//!
//! Invariants:
//! * Every access goes through the raw pointer [`area`], never through a Rust reference to
//!   the static: the kernel writes it behind the compiler's back (during the import calls),
//!   and the symbol is externally visible, so the optimiser must re-read it after a call.
//! * Every copy is bounded by [`SVC_EXCHANGE_AREA_LEN`], the project's configured length,
//!   not by the reference crate's hard-coded 128.
//! * Decoding never trusts kernel bytes to be valid Rust values: booleans are decoded as
//!   `!= 0`, enumerations as raw integers.

use crate::systypes::dma::GpdmaStreamConfig;
use crate::systypes::{Event, EventType, ExchangeHeader, ShmInfo, Status, EVENT_HEADER_SIZE, SVC_EXCHANGE_AREA_LEN};
use core::mem::size_of;
use core::ptr;

/// Backing store of the exchange area: 8-byte aligned so that an event header or the u64 of
/// `get_cycle` at offset 0 is naturally aligned.
#[repr(C, align(8))]
pub struct ExchangeArea(pub [u8; SVC_EXCHANGE_AREA_LEN]);

/// The task's exchange area. The symbol name is ABI: the build exports it by that name.
/// It is plain zero-initialised data, so it lies inside the module's initial memory.
#[no_mangle]
pub static mut __svcexchange: ExchangeArea = ExchangeArea([0; SVC_EXCHANGE_AREA_LEN]);

/// Address of the first byte of the exchange area.
// Newer compilers no longer require `unsafe` to take the address of a `static mut`; older
// ones (1.63) do. The allowance keeps both quiet.
#[allow(unused_unsafe)]
#[inline(always)]
fn area() -> *mut u8 {
    // SAFETY: only the address is taken; no reference to the static is created.
    unsafe { ptr::addr_of_mut!(__svcexchange) as *mut u8 }
}

/// Copies `min(bytes.len(), LEN)` bytes to offset 0 of the area; returns the count.
fn write_area(bytes: &[u8]) -> usize {
    let n = bytes.len().min(SVC_EXCHANGE_AREA_LEN);
    // SAFETY: `n` bytes fit in the area; `ptr::copy` tolerates overlap, should a caller have
    // built a slice over the area itself.
    unsafe { ptr::copy(bytes.as_ptr(), area(), n) };
    n
}

/// Copies `min(out.len(), LEN - offset)` bytes from `offset` of the area; returns the count.
fn read_area(offset: usize, out: &mut [u8]) -> usize {
    let available = SVC_EXCHANGE_AREA_LEN.saturating_sub(offset);
    let n = out.len().min(available);
    // SAFETY: offset + n <= LEN, and `out` is a valid destination of n bytes.
    unsafe { ptr::copy(area().add(offset), out.as_mut_ptr(), n) };
    n
}

/// `N` bytes from `offset` of the area (offset + N <= LEN is checked by the callers' types).
fn read_array<const N: usize>(offset: usize) -> [u8; N] {
    let mut bytes = [0u8; N];
    read_area(offset, &mut bytes);
    bytes
}

mod sealed {
    /// Keeps [`SentryExchangeable`](super::SentryExchangeable) implemented only here: each
    /// implementation encodes a kernel layout.
    pub trait Sealed {}
}

/// A value that can be copied to or from the exchange area.
///
/// Implemented (inside this crate only) for byte buffers (`[u8]`, `[u8; N]`, `&[u8]`,
/// `&mut [u8]`), the integers the kernel returns (`u8`, `u16`, `u32`, `u64`), [`ShmInfo`],
/// [`GpdmaStreamConfig`] and [`Event`]. Both methods return `Ok(Status::Ok)` on success and
/// `Err(Status::Invalid)` when the direction makes no sense for the type or the area does
/// not hold a valid value.
// The method names are the reference crate's; clippy expects `from_*` to be constructors.
#[allow(clippy::wrong_self_convention)]
pub trait SentryExchangeable: sealed::Sealed {
    /// Copy `self` from the exchange area.
    fn from_kernel(&mut self) -> Result<Status, Status>;
    /// Copy `self` into the exchange area.
    fn to_kernel(&self) -> Result<Status, Status>;
}

/// Copy `to` from the exchange area (what the kernel wrote at offset 0).
///
/// ```ignore
/// let mut handle: TaskHandle = 0;
/// if syscall::get_process_handle(0x2000) == Status::Ok {
///     copy_from_kernel(&mut handle)?;
/// }
/// ```
pub fn copy_from_kernel<T>(to: &mut T) -> Result<Status, Status>
where
    T: SentryExchangeable + ?Sized,
{
    to.from_kernel()
}

/// Copy `from` into the exchange area (what `log` and `send_ipc` read from offset 0).
pub fn copy_to_kernel<T>(from: &T) -> Result<Status, Status>
where
    T: SentryExchangeable + ?Sized,
{
    from.to_kernel()
}

// -- byte buffers -------------------------------------------------------------------------

impl sealed::Sealed for [u8] {}
/// Both directions copy `min(len, LEN)` bytes (silent truncation, as the reference does).
impl SentryExchangeable for [u8] {
    fn from_kernel(&mut self) -> Result<Status, Status> {
        read_area(0, self);
        Ok(Status::Ok)
    }
    fn to_kernel(&self) -> Result<Status, Status> {
        write_area(self);
        Ok(Status::Ok)
    }
}

impl<const N: usize> sealed::Sealed for [u8; N] {}
/// As `[u8]`.
impl<const N: usize> SentryExchangeable for [u8; N] {
    fn from_kernel(&mut self) -> Result<Status, Status> {
        self[..].from_kernel()
    }
    fn to_kernel(&self) -> Result<Status, Status> {
        self[..].to_kernel()
    }
}

impl sealed::Sealed for &[u8] {}
/// A shared slice can only be sent: `from_kernel` is `Err(Invalid)`.
impl SentryExchangeable for &[u8] {
    fn from_kernel(&mut self) -> Result<Status, Status> {
        Err(Status::Invalid)
    }
    fn to_kernel(&self) -> Result<Status, Status> {
        write_area(self);
        Ok(Status::Ok)
    }
}

impl sealed::Sealed for &mut [u8] {}
/// As `[u8]`.
impl SentryExchangeable for &mut [u8] {
    fn from_kernel(&mut self) -> Result<Status, Status> {
        read_area(0, self);
        Ok(Status::Ok)
    }
    fn to_kernel(&self) -> Result<Status, Status> {
        write_area(self);
        Ok(Status::Ok)
    }
}

// -- integers (handles, random values, cycle counts, GPIO levels) --------------------------

macro_rules! exchangeable_integer {
    ($($ty:ty),*) => {$(
        impl sealed::Sealed for $ty {}
        /// Little-endian at offset 0, as the kernel writes handles and values.
        impl SentryExchangeable for $ty {
            fn from_kernel(&mut self) -> Result<Status, Status> {
                *self = <$ty>::from_le_bytes(read_array::<{ size_of::<$ty>() }>(0));
                Ok(Status::Ok)
            }
            fn to_kernel(&self) -> Result<Status, Status> {
                write_area(&self.to_le_bytes());
                Ok(Status::Ok)
            }
        }
    )*};
}

exchangeable_integer!(u8, u16, u32, u64);

// -- structures ------------------------------------------------------------------------------

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

impl sealed::Sealed for ShmInfo {}
/// `shm_infos_t` as `shm_get_infos` writes it; receive-only (`to_kernel` is `Err(Invalid)`).
impl SentryExchangeable for ShmInfo {
    fn from_kernel(&mut self) -> Result<Status, Status> {
        // Field by field at the wasm32 offsets (handle 0, label 4, base 8, len 12, perms 16):
        // the kernel's layout, whatever the pointer width this crate is compiled for.
        let b: [u8; 20] = read_array(0);
        *self = ShmInfo {
            handle: u32_at(&b, 0),
            label: u32_at(&b, 4),
            base: u32_at(&b, 8) as usize,
            len: u32_at(&b, 12) as usize,
            perms: u32_at(&b, 16),
        };
        Ok(Status::Ok)
    }
    fn to_kernel(&self) -> Result<Status, Status> {
        Err(Status::Invalid)
    }
}

impl sealed::Sealed for GpdmaStreamConfig {}
/// `gpdma_stream_cfg_t` as `dma_get_stream_info` writes it; receive-only.
impl SentryExchangeable for GpdmaStreamConfig {
    fn from_kernel(&mut self) -> Result<Status, Status> {
        let b: [u8; 32] = read_array(0);
        *self = GpdmaStreamConfig {
            channel: u16_at(&b, 0),
            stream: u16_at(&b, 2),
            controller: u16_at(&b, 4),
            transfer_type: u16_at(&b, 6),
            source: u32_at(&b, 8) as usize,
            dest: u32_at(&b, 12) as usize,
            transfer_len: u32_at(&b, 16) as usize,
            circular_source: b[20] != 0,
            circular_dest: b[21] != 0,
            interrupts: b[22],
            is_triggered: b[23] != 0,
            trigger: b[24],
            priority: b[25],
            transfer_mode: b[26],
            src_beat_len: b[27],
            dest_beat_len: b[28],
        };
        Ok(Status::Ok)
    }
    fn to_kernel(&self) -> Result<Status, Status> {
        Err(Status::Invalid)
    }
}

impl sealed::Sealed for Event<'_> {}
/// Receive: the header and `header.length` payload bytes, refused (`Err(Invalid)`, nothing
/// copied) when the magic is wrong, when header + payload would overrun the area, or when
/// the payload does not fit `data`. Send: an IPC only (`header.event == Ipc`), the whole
/// `data` slice (capped at LEN) at offset 0, which is what `send_ipc(target, len)` reads.
impl SentryExchangeable for Event<'_> {
    fn from_kernel(&mut self) -> Result<Status, Status> {
        let b: [u8; EVENT_HEADER_SIZE] = read_array(0);
        let header = ExchangeHeader {
            event: b[0],
            length: b[1],
            magic: u16_at(&b, 2),
            peer: u32_at(&b, 4),
        };
        if !header.is_valid() {
            return Err(Status::Invalid);
        }
        let length = usize::from(header.length);
        if EVENT_HEADER_SIZE + length > SVC_EXCHANGE_AREA_LEN || length > self.data.len() {
            return Err(Status::Invalid);
        }
        read_area(EVENT_HEADER_SIZE, &mut self.data[..length]);
        self.header = header;
        Ok(Status::Ok)
    }
    fn to_kernel(&self) -> Result<Status, Status> {
        if self.header.event != EventType::Ipc {
            return Err(Status::Invalid);
        }
        write_area(self.data);
        Ok(Status::Ok)
    }
}
