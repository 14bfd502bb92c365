/**
 * GPDMA controller model: 8 channels, driven by the kernel, moving bytes in virtual time.
 *
 * Owns each channel's programmed transfer (endpoints, length, circular flags, priority,
 * enabled interrupts), its run state, its progress and its sticky flags (TC, HT, ERROR),
 * plus one interrupt line per channel (IRQ 11 + channel on rampart-m4). Tasks never
 * program it: the kernel's DMA manager calls `program/start/suspend/resume/reset`, and
 * the bytes themselves move through the kernel's `DmaMemory`.
 *
 * Timing: a started channel spends `GPDMA_SETUP_CYCLES` cycles before its first byte, then
 * moves one byte per cycle. With start at cycle S and block length L:
 *   half transfer (HT) at S + GPDMA_SETUP_CYCLES + floor(L / 2)   (L ≥ 2)
 *   transfer complete (TC) at S + GPDMA_SETUP_CYCLES + L
 * Channels do not share bandwidth; `priority` orders channels whose events fall on the
 * same cycle (higher first, then lower channel number). Bytes are copied lazily, in chunks,
 * whenever the controller is advanced, and always up to every event before that event
 * fires, so a TC interrupt never precedes its data.
 *
 * Circular transfers (either circular flag): each block is L bytes; at TC the next block
 * starts at once; a circular side restarts at offset 0, the other keeps counting
 * (block × L + position) and the kernel's `DmaMemory` turns running off its end into an
 * error. A circular channel runs until suspended or reset.
 *
 * Control results are immediate (the request's own answer); completions and errors are
 * only ever reported from `advanceTo`, through the flags and the channel's interrupt line.
 * Length 0 is accepted by `program` and fails at the end of setup with a configuration
 * error, as the hardware's block-size check does.
 *
 * Must never: report completion inside `start`; move bytes of a channel that is not
 * running; raise a line for an interrupt the channel does not enable; allocate while
 * advancing.
 */

import {
  type AccessWidth, type Clocked, type DmaEndpoint, type DmaMemory, type InterruptLine, type InterruptSource,
  type MmioDevice, DISCONNECTED_LINE, extractLanes, isAligned,
} from '../device-model.js';

/** Channels per controller. */
export const GPDMA_CHANNELS = 8;

/**
 * Cycles between `start` and the first byte: arbitration and the first address phases of
 * the real controller, a handful of bus cycles, rounded to a fixed 16 so completion cycles
 * are easy to predict.
 */
export const GPDMA_SETUP_CYCLES = 16;

/** Size of the register window (the memory map's 4 KiB slot). */
export const GPDMA_WINDOW_SIZE = 0x1000;

/** `gpdma_chan_state` (spec §2.11): the state field of a channel's status. */
export const enum GpdmaState {
  Idle = 1,
  Running = 2,
  Aborted = 3,
  Suspended = 4,
  TransmissionFailure = 5,
  ConfigurationFailure = 6,
  Overrun = 7,
  TransferComplete = 8,
  HalfTransfer = 9,
}

/** `gpdma_chan_int` bits (spec §2.11): enabled interrupts and sticky flags. */
export const enum GpdmaInterrupt {
  TransferComplete = 1,
  HalfTransfer = 2,
  Error = 4,
}

/** What every devicetree stream enables (spec §6.5: `interrupts` is always TC | ERROR). */
export const GPDMA_DEFAULT_INTERRUPTS = GpdmaInterrupt.TransferComplete | GpdmaInterrupt.Error;

/** `gpdma_chan_status_t` bits above the 4-bit state. */
export const GPDMA_STATUS_HALF_REACHED = 1 << 4;
export const GPDMA_STATUS_COMPLETED = 1 << 5;

/** A channel's transfer. The board's `BoardDmaStream` has all these fields. */
export interface GpdmaChannelConfig {
  readonly source: DmaEndpoint;
  readonly dest: DmaEndpoint;
  /** Block length in bytes. */
  readonly length: number;
  readonly circularSource: boolean;
  readonly circularDest: boolean;
  /** gpdma_priority 0 (low) .. 3 (very high). */
  readonly priority: number;
  /** `GpdmaInterrupt` bits to raise the line for; default TC | ERROR. */
  readonly interrupts?: number;
}

/** Read-only status registers, STM32U5 layout: channel n at +0x80·n. */
export const enum GpdmaReg {
  /** CxSR: IDLEF 0, TCF 8, HTF 9, DTEF 10, USEF 12, SUSPF 13. */
  ChannelStatus = 0x60,
  /** CxCR: EN 0, SUSP 2, TCIE 8, HTIE 9, DTEIE 10 (a view of the kernel's programming). */
  ChannelControl = 0x64,
  /** CxBR1: bytes left in the current block. */
  ChannelBlock = 0x98,
}

const REFUSING_MEMORY: DmaMemory = { copy: () => false };

const UNSET_ENDPOINT: DmaEndpoint = Object.freeze({ kind: 'shm', id: -1 });

/** The 8-channel DMA controller, driven by the kernel; see the file header for timing. */
export class GpdmaController implements MmioDevice, Clocked, InterruptSource {
  readonly size = GPDMA_WINDOW_SIZE;
  readonly interruptCount = GPDMA_CHANNELS;

  // Per-channel state, one slot per channel, preallocated.
  private readonly programmed = new Uint8Array(GPDMA_CHANNELS);
  private readonly state = new Uint8Array(GPDMA_CHANNELS).fill(GpdmaState.Idle);
  private readonly statusBits = new Uint8Array(GPDMA_CHANNELS);
  private readonly flags = new Uint8Array(GPDMA_CHANNELS);
  private readonly enabled = new Uint8Array(GPDMA_CHANNELS);
  private readonly priority = new Uint8Array(GPDMA_CHANNELS);
  private readonly circularSource = new Uint8Array(GPDMA_CHANNELS);
  private readonly circularDest = new Uint8Array(GPDMA_CHANNELS);
  private readonly halfDone = new Uint8Array(GPDMA_CHANNELS);
  private readonly level = new Uint8Array(GPDMA_CHANNELS);
  private readonly length = new Float64Array(GPDMA_CHANNELS);
  /** Cycle at which byte 0 of the current block starts moving (after setup). */
  private readonly dataStart = new Float64Array(GPDMA_CHANNELS);
  /** Bytes of the current block already copied. */
  private readonly moved = new Float64Array(GPDMA_CHANNELS);
  /** Blocks completed since start (circular transfers). */
  private readonly block = new Float64Array(GPDMA_CHANNELS);
  /** While suspended: cycle − dataStart at the suspension (negative inside setup). */
  private readonly suspendedAt = new Float64Array(GPDMA_CHANNELS);
  private readonly sources: DmaEndpoint[] = new Array<DmaEndpoint>(GPDMA_CHANNELS).fill(UNSET_ENDPOINT);
  private readonly dests: DmaEndpoint[] = new Array<DmaEndpoint>(GPDMA_CHANNELS).fill(UNSET_ENDPOINT);
  /** Channels by priority (high first), ties by number: the order same-cycle events fire in. */
  private readonly order = new Uint8Array(GPDMA_CHANNELS);
  private readonly lines: readonly InterruptLine[];
  private cycle = 0;

  /**
   * @param lines one line per channel (missing ones are disconnected)
   * @param memory the kernel's data mover; without one every copy fails (transfer error)
   */
  constructor(readonly name: string, lines: readonly InterruptLine[], private memory: DmaMemory = REFUSING_MEMORY) {
    const wired: InterruptLine[] = [];
    for (let i = 0; i < GPDMA_CHANNELS; i++) wired.push(lines[i] ?? DISCONNECTED_LINE);
    this.lines = wired;
    this.sortChannels();
  }

  setMemory(memory: DmaMemory): void { this.memory = memory; }

  // ---- kernel control ----

  /** Programs an idle channel. False (nothing changes) for a bad channel or config, or a running/suspended channel. */
  program(channel: number, config: GpdmaChannelConfig): boolean {
    if (!isChannel(channel)) return false;
    const s = this.state[channel]!;
    if (s === GpdmaState.Running || s === GpdmaState.Suspended) return false;
    const interrupts = config.interrupts ?? GPDMA_DEFAULT_INTERRUPTS;
    if (!isByteCount(config.length) || !(config.priority >>> 0 === config.priority && config.priority <= 3) ||
        !(interrupts >>> 0 === interrupts && interrupts <= 7)) return false;
    this.programmed[channel] = 1;
    this.sources[channel] = config.source;
    this.dests[channel] = config.dest;
    this.length[channel] = config.length;
    this.circularSource[channel] = config.circularSource ? 1 : 0;
    this.circularDest[channel] = config.circularDest ? 1 : 0;
    this.priority[channel] = config.priority;
    this.enabled[channel] = interrupts;
    this.clearProgress(channel);
    this.state[channel] = GpdmaState.Idle;
    this.sortChannels();
    this.updateIrq(channel);
    return true;
  }

  /**
   * Starts a programmed channel from the beginning of its transfer (fresh flags), or resumes
   * it when suspended. False when not programmed, already running, or a bad channel.
   */
  start(channel: number): boolean {
    if (!isChannel(channel) || this.programmed[channel] === 0) return false;
    const s = this.state[channel]!;
    if (s === GpdmaState.Running) return false;
    if (s === GpdmaState.Suspended) return this.resume(channel);
    this.clearProgress(channel);
    this.state[channel] = GpdmaState.Running;
    this.dataStart[channel] = this.cycle + GPDMA_SETUP_CYCLES;
    this.updateIrq(channel);
    return true;
  }

  /**
   * Suspends a running channel at the current cycle: bytes moved so far stay moved, none
   * move until `resume`. The suspension is acknowledged at once (no interrupt).
   * False when the channel is not running (idle, complete, failed) or a bad channel.
   */
  suspend(channel: number): boolean {
    if (!isChannel(channel) || this.state[channel] !== GpdmaState.Running) return false;
    if (!this.moveTo(channel, this.cycle)) return false; // the transfer failed instead
    this.suspendedAt[channel] = this.cycle - this.dataStart[channel]!;
    this.state[channel] = GpdmaState.Suspended;
    return true;
  }

  /** Resumes a suspended channel where it stopped (a suspension inside setup resumes the setup). */
  resume(channel: number): boolean {
    if (!isChannel(channel) || this.state[channel] !== GpdmaState.Suspended) return false;
    this.dataStart[channel] = this.cycle - this.suspendedAt[channel]!;
    this.state[channel] = GpdmaState.Running;
    return true;
  }

  /** Forgets a channel's programming and flags. False while running (suspend first) or a bad channel. */
  reset(channel: number): boolean {
    if (!isChannel(channel) || this.state[channel] === GpdmaState.Running) return false;
    this.programmed[channel] = 0;
    this.sources[channel] = UNSET_ENDPOINT;
    this.dests[channel] = UNSET_ENDPOINT;
    this.length[channel] = 0;
    this.enabled[channel] = 0;
    this.clearProgress(channel);
    this.state[channel] = GpdmaState.Idle;
    this.updateIrq(channel);
    return true;
  }

  /** `gpdma_chan_status_t` byte: state in bits 0..3, half_reached bit 4, completed bit 5. 0 for a bad channel. */
  status(channel: number): number {
    if (!isChannel(channel)) return 0;
    return this.state[channel]! | this.statusBits[channel]!;
  }

  /** The channel's `GpdmaState`, or 0 for a bad channel. */
  channelState(channel: number): number {
    return isChannel(channel) ? this.state[channel]! : 0;
  }

  isProgrammed(channel: number): boolean {
    return isChannel(channel) && this.programmed[channel] === 1;
  }

  /** Bytes copied in the current block. */
  transferred(channel: number): number {
    return isChannel(channel) ? this.moved[channel]! : 0;
  }

  /** Blocks completed since the last start. */
  completedBlocks(channel: number): number {
    return isChannel(channel) ? this.block[channel]! + (this.state[channel] === GpdmaState.TransferComplete ? 1 : 0) : 0;
  }

  /** Sticky `GpdmaInterrupt` flags raised since start or the last clear. */
  pendingFlags(channel: number): number {
    return isChannel(channel) ? this.flags[channel]! : 0;
  }

  /** Clears flags (the kernel's DMA interrupt handler does, after reading them); the line follows. */
  clearFlags(channel: number, bits: number): void {
    if (!isChannel(channel)) return;
    this.flags[channel] = this.flags[channel]! & ~bits;
    this.updateIrq(channel);
  }

  isInterruptAsserted(index: number): boolean {
    return isChannel(index) && this.level[index] === 1;
  }

  // ---- Clocked ----

  nextEventCycle(): number {
    let next = Infinity;
    for (let ch = 0; ch < GPDMA_CHANNELS; ch++) {
      const e = this.eventOf(ch);
      if (e < next) next = e;
    }
    return next;
  }

  advanceTo(cycle: number): void {
    for (;;) {
      // Earliest event; strict `<` over the priority order breaks same-cycle ties by priority.
      let best = -1;
      let bestAt = Infinity;
      for (let k = 0; k < GPDMA_CHANNELS; k++) {
        const ch = this.order[k]!;
        const e = this.eventOf(ch);
        if (e < bestAt) { bestAt = e; best = ch; }
      }
      if (best < 0 || bestAt > cycle) break;
      this.fire(best, bestAt);
    }
    for (let ch = 0; ch < GPDMA_CHANNELS; ch++) {
      if (this.state[ch] === GpdmaState.Running) this.moveTo(ch, cycle);
    }
    this.cycle = cycle;
  }

  // ---- MMIO (read-only status view) ----

  read(offset: number, width: AccessWidth): number {
    if (!isAligned(offset, width)) return 0;
    const word = offset & ~3;
    const ch = (word - 0x50) >> 7;
    if (word < 0x50 || !isChannel(ch)) return 0;
    let value = 0;
    switch (word - ch * 0x80) {
      case GpdmaReg.ChannelStatus: value = this.statusRegister(ch); break;
      case GpdmaReg.ChannelControl: {
        const s = this.state[ch]!;
        value = (s === GpdmaState.Running || s === GpdmaState.Suspended ? 1 : 0) |
          (s === GpdmaState.Suspended ? 1 << 2 : 0) |
          ((this.enabled[ch]! & GpdmaInterrupt.TransferComplete) !== 0 ? 1 << 8 : 0) |
          ((this.enabled[ch]! & GpdmaInterrupt.HalfTransfer) !== 0 ? 1 << 9 : 0) |
          ((this.enabled[ch]! & GpdmaInterrupt.Error) !== 0 ? 1 << 10 : 0);
        break;
      }
      case GpdmaReg.ChannelBlock: value = this.length[ch]! - this.moved[ch]!; break;
      default: value = 0;
    }
    return extractLanes(value, offset, width);
  }

  /** Writes are ignored: the kernel alone drives the controller, through its methods. */
  write(_offset: number, _width: AccessWidth, _value: number): void { /* read-only */ }

  // ---- internals ----

  private statusRegister(ch: number): number {
    const s = this.state[ch]!;
    const f = this.flags[ch]!;
    let sr = s === GpdmaState.Running ? 0 : 1; // IDLEF
    if ((f & GpdmaInterrupt.TransferComplete) !== 0) sr |= 1 << 8;
    if ((f & GpdmaInterrupt.HalfTransfer) !== 0) sr |= 1 << 9;
    if ((f & GpdmaInterrupt.Error) !== 0) sr |= s === GpdmaState.ConfigurationFailure ? 1 << 12 : 1 << 10;
    if (s === GpdmaState.Suspended) sr |= 1 << 13;
    return sr;
  }

  /** Cycle of the channel's next event, Infinity if none. */
  private eventOf(ch: number): number {
    if (this.state[ch] !== GpdmaState.Running) return Infinity;
    const start = this.dataStart[ch]!;
    const len = this.length[ch]!;
    if (len === 0) return start;
    const half = Math.floor(len / 2);
    if (this.halfDone[ch] === 0 && half > 0) return start + half;
    return start + len;
  }

  private fire(ch: number, at: number): void {
    if (!this.moveTo(ch, at)) return;
    const len = this.length[ch]!;
    const start = this.dataStart[ch]!;
    if (len === 0) {
      this.state[ch] = GpdmaState.ConfigurationFailure;
      this.flags[ch] = this.flags[ch]! | GpdmaInterrupt.Error;
    } else if (at < start + len) {
      this.halfDone[ch] = 1;
      this.statusBits[ch] = this.statusBits[ch]! | GPDMA_STATUS_HALF_REACHED;
      this.flags[ch] = this.flags[ch]! | GpdmaInterrupt.HalfTransfer;
    } else {
      this.statusBits[ch] = this.statusBits[ch]! | GPDMA_STATUS_COMPLETED;
      this.flags[ch] = this.flags[ch]! | GpdmaInterrupt.TransferComplete;
      if (this.circularSource[ch] === 1 || this.circularDest[ch] === 1) {
        this.block[ch] = this.block[ch]! + 1;
        this.moved[ch] = 0;
        this.halfDone[ch] = 0;
        this.dataStart[ch] = at;
      } else {
        this.state[ch] = GpdmaState.TransferComplete;
      }
    }
    this.updateIrq(ch);
  }

  /** Copies the current block's bytes due by `cycle`. False (channel failed) on a refused copy. */
  private moveTo(ch: number, cycle: number): boolean {
    const len = this.length[ch]!;
    const due = Math.min(len, Math.max(0, cycle - this.dataStart[ch]!));
    const done = this.moved[ch]!;
    if (due <= done) return true;
    const base = this.block[ch]! * len;
    const sourceOffset = (this.circularSource[ch] === 1 ? 0 : base) + done;
    const destOffset = (this.circularDest[ch] === 1 ? 0 : base) + done;
    if (!this.memory.copy(this.sources[ch]!, sourceOffset, this.dests[ch]!, destOffset, due - done)) {
      this.state[ch] = GpdmaState.TransmissionFailure;
      this.flags[ch] = this.flags[ch]! | GpdmaInterrupt.Error;
      this.updateIrq(ch);
      return false;
    }
    this.moved[ch] = due;
    return true;
  }

  private clearProgress(ch: number): void {
    this.flags[ch] = 0;
    this.statusBits[ch] = 0;
    this.halfDone[ch] = 0;
    this.moved[ch] = 0;
    this.block[ch] = 0;
    this.suspendedAt[ch] = 0;
  }

  private updateIrq(ch: number): void {
    const level = (this.flags[ch]! & this.enabled[ch]!) !== 0 ? 1 : 0;
    if (level !== this.level[ch]) {
      this.level[ch] = level;
      this.lines[ch]!.set(level === 1);
    }
  }

  private sortChannels(): void {
    // Insertion sort of 8 entries; runs at `program`, never while advancing.
    for (let i = 0; i < GPDMA_CHANNELS; i++) this.order[i] = i;
    for (let i = 1; i < GPDMA_CHANNELS; i++) {
      const ch = this.order[i]!;
      let j = i - 1;
      while (j >= 0 && this.priority[this.order[j]!]! < this.priority[ch]!) {
        this.order[j + 1] = this.order[j]!;
        j--;
      }
      this.order[j + 1] = ch;
    }
  }
}

function isChannel(channel: number): boolean {
  return channel >>> 0 === channel && channel < GPDMA_CHANNELS;
}

function isByteCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}
