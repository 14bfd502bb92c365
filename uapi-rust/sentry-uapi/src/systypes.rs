//! Types shared with the kernel: statuses, syscall numbers, enumerations, handles and the
//! layouts the kernel writes into the exchange area (spec §2).
//!
//! The numeric enumerations and constants are generated from Rampart's ABI tables (see
//! `systypes_gen.rs`) and re-exported here; this file holds what has structure: the sleep
//! duration, the event header, the layouts, and the DMA and device types.
//!
//! Every layout is `#[repr(C)]` and pinned by a compile-time size check on 32-bit targets
//! (wasm32 included), where it must equal the kernel's byte for byte.

pub use crate::systypes_gen::*;

/// Label of a task, as declared in its configuration (`CONFIG_TASK_LABEL`).
pub type TaskLabel = u32;
/// Label of a shared memory (`outpost,label` of its devicetree node).
pub type ShmLabel = u32;
/// Label of a DMA stream (`outpost,label` of its devicetree node).
pub type StreamLabel = u32;

/// Handle of a task (opaque; from `get_process_handle` or an event source).
pub type TaskHandle = u32;
/// Handle of a device (opaque; from `get_device_handle`).
pub type DeviceHandle = u32;
/// Handle of a shared memory (opaque; from `get_shm_handle`).
pub type ShmHandle = u32;
/// Handle of a DMA stream (opaque; from `get_dma_stream_handle`).
pub type StreamHandle = u32;

/// A sleep duration. The kernel only sees milliseconds: the wrapper converts before
/// trapping (D1ms → 1, ..., D50ms → 50, `ArbitraryMs(v)` → v).
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub enum SleepDuration {
    /// 1 ms.
    D1ms,
    /// 2 ms.
    D2ms,
    /// 5 ms.
    D5ms,
    /// 10 ms.
    D10ms,
    /// 20 ms.
    D20ms,
    /// 50 ms.
    D50ms,
    /// Any number of milliseconds.
    ArbitraryMs(u32),
}

impl From<SleepDuration> for u32 {
    fn from(duration: SleepDuration) -> u32 {
        match duration {
            SleepDuration::D1ms => 1,
            SleepDuration::D2ms => 2,
            SleepDuration::D5ms => 5,
            SleepDuration::D10ms => 10,
            SleepDuration::D20ms => 20,
            SleepDuration::D50ms => 50,
            SleepDuration::ArbitraryMs(ms) => ms,
        }
    }
}

/// The 8-byte header the kernel writes at offset 0 of the exchange area for each event
/// (C `exchange_event_t`); the payload follows at offset 8.
///
/// `event` is a raw byte rather than an [`EventType`] so that any value the kernel writes is
/// a valid Rust value; compare it with an `EventType` directly (`header.event ==
/// EventType::Ipc`) or decode it with [`ExchangeHeader::event_type`].
#[repr(C)]
#[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
pub struct ExchangeHeader {
    /// `EventType` value of this event (1, 2, 4 or 8).
    pub event: u8,
    /// Number of payload bytes after the header.
    pub length: u8,
    /// Always [`EVENT_MAGIC`] (0x4242) in a header the kernel wrote.
    pub magic: u16,
    /// Source: sender task handle (IPC, signal), device handle (IRQ), stream handle (DMA).
    pub peer: u32,
}

impl ExchangeHeader {
    /// True when the magic is the kernel's: the exchange area holds an event header.
    pub fn is_valid(&self) -> bool {
        self.magic == EVENT_MAGIC
    }

    /// The event kind (`EventType::None` for a value that is not an event kind).
    pub fn event_type(&self) -> EventType {
        EventType::from(self.event)
    }
}

/// An event fetched by `wait_for_event`: the header and a caller-provided buffer that
/// receives the payload (`header.length` bytes). Read it with
/// [`copy_from_kernel`](crate::copy_from_kernel); an IPC to send is written with
/// [`copy_to_kernel`](crate::copy_to_kernel).
#[derive(Debug)]
pub struct Event<'a> {
    /// The event header.
    pub header: ExchangeHeader,
    /// Payload buffer; only the first `header.length` bytes are meaningful.
    pub data: &'a mut [u8],
}

/// What `shm_get_infos` writes (C `shm_infos_t`): 20 bytes on wasm32.
#[repr(C)]
#[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
pub struct ShmInfo {
    /// The shared memory's handle.
    pub handle: ShmHandle,
    /// Its label.
    pub label: u32,
    /// Start address (in a Rampart task: the address in the task's own memory).
    pub base: usize,
    /// Size in bytes.
    pub len: usize,
    /// Permissions of the caller's role: `SHMPermission::Map` and `Write` bits.
    pub perms: u32,
}

/// DMA types (C `uapi/dma.h`, spec §2.11).
pub mod dma {
    /// Channel interrupt bits (`gpdma_chan_int`).
    #[repr(C)]
    #[derive(Debug, Copy, Clone, PartialEq, Eq)]
    pub enum GpdmaChanInt {
        /// Transfer complete.
        TransferComplete = 1,
        /// Half transfer.
        HalfTransfer = 2,
        /// Transfer error.
        Error = 4,
    }

    /// Transfer direction (`gpdma_transfer_type`).
    #[repr(C)]
    #[derive(Debug, Copy, Clone, PartialEq, Eq)]
    pub enum GpdmaTransferType {
        /// Memory to device.
        MemoryToDevice = 0,
        /// Device to memory.
        DeviceToMemory = 1,
        /// Memory to memory.
        MemoryToMemory = 2,
        /// Device to device.
        DeviceToDevice = 3,
    }

    /// Address increment bits (`gpdma_transfer_mode`).
    #[repr(C)]
    #[derive(Debug, Copy, Clone, PartialEq, Eq)]
    pub enum GpdmaTransferMode {
        /// Neither address increments.
        IncrementNone = 0,
        /// The source address increments.
        IncrementSrc = 1,
        /// The destination address increments.
        IncrementDest = 2,
    }

    /// Beat length (`gpdma_beat_len`).
    #[repr(C)]
    #[derive(Debug, Copy, Clone, PartialEq, Eq)]
    pub enum GpdmaBeatLen {
        /// One byte.
        Byte = 0,
        /// Two bytes.
        Halfword = 1,
        /// Four bytes.
        Word = 2,
    }

    /// Channel priority (`gpdma_priority`).
    #[repr(C)]
    #[derive(Debug, Copy, Clone, PartialEq, Eq)]
    pub enum GpdmaPriority {
        /// Low.
        Low = 0,
        /// Medium (what the devicetree generator always gives, spec §6.5).
        Medium = 1,
        /// High.
        High = 2,
        /// Very high.
        VeryHigh = 3,
    }

    /// Hardware channel state (`gpdma_chan_state`, `GPDMA_STATE_*`). Not what DMA events
    /// carry: their payload byte is the kernel's stream state (spec §4.10).
    #[repr(C)]
    #[derive(Debug, Copy, Clone, PartialEq, Eq)]
    pub enum GpdmaChanState {
        /// Idle.
        Idle = 1,
        /// Running.
        Running = 2,
        /// Aborted.
        Aborted = 3,
        /// Suspended.
        Suspended = 4,
        /// Transmission failure.
        TransmissionFailure = 5,
        /// Configuration failure.
        ConfigurationFailure = 6,
        /// Overrun.
        Overrun = 7,
        /// Transfer complete.
        TransferComplete = 8,
        /// Half transfer reached.
        HalfTransfer = 9,
    }

    /// Packed channel status byte (`gpdma_chan_status_t`): bits 0–3 state, bit 4
    /// half_reached, bit 5 completed. Kernel-internal; no syscall returns it.
    #[repr(transparent)]
    #[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
    pub struct GpdmaChanStatus(pub u8);

    impl GpdmaChanStatus {
        /// The 4-bit state field.
        pub fn state(self) -> u8 {
            self.0 & 0x0f
        }
        /// Whether half of the transfer was reached.
        pub fn half_reached(self) -> bool {
            self.0 & 0x10 != 0
        }
        /// Whether the transfer completed.
        pub fn completed(self) -> bool {
            self.0 & 0x20 != 0
        }
    }

    /// Static configuration of a stream (`gpdma_stream_cfg_t`), what `dma_get_stream_info`
    /// writes: 32 bytes on wasm32.
    #[repr(C)]
    #[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
    pub struct GpdmaStreamConfig {
        /// Channel number on its controller.
        pub channel: u16,
        /// Hardware request line.
        pub stream: u16,
        /// Controller index.
        pub controller: u16,
        /// A `GpdmaTransferType` value.
        pub transfer_type: u16,
        /// Source address (0 for a device).
        pub source: usize,
        /// Destination address (0 for a device).
        pub dest: usize,
        /// Transfer length in bytes.
        pub transfer_len: usize,
        /// Circular source.
        pub circular_source: bool,
        /// Circular destination.
        pub circular_dest: bool,
        /// `GpdmaChanInt` bits.
        pub interrupts: u8,
        /// Triggered transfer.
        pub is_triggered: bool,
        /// Trigger id.
        pub trigger: u8,
        /// A `GpdmaPriority` value.
        pub priority: u8,
        /// `GpdmaTransferMode` bits.
        pub transfer_mode: u8,
        /// Source beat length (`GpdmaBeatLen`).
        pub src_beat_len: u8,
        /// Destination beat length (`GpdmaBeatLen`).
        pub dest_beat_len: u8,
    }

    #[cfg(target_pointer_width = "32")]
    const _: () = assert!(core::mem::size_of::<GpdmaStreamConfig>() == 32);
}

/// Device description types (C `uapi/device.h`, spec §2.12). Build-time information for
/// userspace drivers: no syscall returns them.
pub mod dev {
    /// One interrupt line of a device (`it_info_t`).
    #[repr(C)]
    #[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
    pub struct ItInfo {
        /// IRQ number.
        pub it_num: u16,
        /// Interrupt controller index (spelling of the C field: `it_controler`).
        pub it_controler: u8,
    }

    /// One I/O pin of a device (`io_info_t`).
    #[repr(C)]
    #[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
    pub struct IoInfo {
        /// GPIO port index.
        pub port: u8,
        /// Pin number.
        pub pin: u8,
        /// Pin mode.
        pub mode: u8,
        /// Alternate function.
        pub af: u8,
        /// Output type (push-pull / open drain).
        pub ppull: u8,
        /// Speed.
        pub speed: u8,
        /// Pull-up / pull-down.
        pub pupdr: u32,
    }

    /// A device (`devinfo_t`): 148 bytes on 32-bit targets.
    #[repr(C)]
    #[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
    pub struct DevInfo {
        /// Device id (the label `get_device_handle` takes).
        pub id: u32,
        /// Unused by the kernel.
        pub mappable: bool,
        /// MMIO base address.
        pub baseaddr: usize,
        /// MMIO size.
        pub size: usize,
        /// Number of valid entries in `its`.
        pub num_interrupt: u8,
        /// Interrupt lines.
        pub its: [ItInfo; 8],
        /// Number of valid entries in `ios`.
        pub num_ios: u8,
        /// I/O pins.
        pub ios: [IoInfo; 8],
    }

    /// A shared memory as the devicetree declares it (`shminfo_t`).
    #[repr(C)]
    #[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
    pub struct ShmInfo {
        /// SHM id.
        pub id: u32,
        /// Whether any task may map it.
        pub mappable: bool,
        /// Usable by DMA.
        pub dmapool: bool,
        /// Base address.
        pub baseaddr: usize,
        /// Size.
        pub size: usize,
    }

    #[cfg(target_pointer_width = "32")]
    const _: () = {
        assert!(core::mem::size_of::<ItInfo>() == 4);
        assert!(core::mem::size_of::<IoInfo>() == 12);
        assert!(core::mem::size_of::<DevInfo>() == 148);
        assert!(core::mem::size_of::<ShmInfo>() == 16);
    };
}

#[cfg(target_pointer_width = "32")]
const _: () = {
    assert!(core::mem::size_of::<ExchangeHeader>() == EVENT_HEADER_SIZE);
    assert!(core::mem::size_of::<ShmInfo>() == 20);
};
