/**
 * USART model: STM32-style CR1/BRR/ISR/ICR/RDR/TDR, with transmission in virtual time.
 *
 * Owns the transmitter (TDR, the shift register, the frame timer), the receiver (RDR and
 * an input queue fed by `receive()`), the status flags and one interrupt line.
 *
 * Timing: a frame (start bit, 8 data bits, stop bit) takes 10 × max(BRR, 16) cycles, the
 * bit time of an STM32 USART with 16× oversampling, whose BRR is the clock divider. A
 * transmitted byte reaches the sink when its stop bit ends, from `advanceTo`, never inside
 * the TDR write. Reception is not timed: the bytes of one `receive()` call arrive at the
 * cycle of the call and wait in an input queue (as if the port had a receive FIFO and flow
 * control), one byte visible in RDR at a time; reading RDR brings the next one in at once.
 *
 * Invariants: TXE=1 iff TDR is empty; TC=1 iff nothing is being shifted out and TDR is
 * empty (until TDR is written again or TC is cleared by ICR.TCCF); RXNE=1 iff RDR holds an
 * unread byte; the interrupt level is recomputed after every change and equals
 * (RXNE|ORE)&RXNEIE | TXE&TXEIE | TC&TCIE.
 *
 * Must never: emit a byte to the sink synchronously inside a register write; lose a byte
 * silently (bytes refused while the receiver is off, or beyond the input queue, are counted
 * in `rxDropped`, the latter also setting ORE).
 */

import {
  type AccessWidth, type Clocked, type InterruptLine, type InterruptSource, type MmioDevice,
  extractLanes, isAligned, laneMask, placeLanes,
} from '../device-model.js';

/** Register offsets (bytes). */
export const enum UsartReg {
  Cr1 = 0x00,
  Brr = 0x0c,
  Isr = 0x1c,
  Icr = 0x20,
  Rdr = 0x24,
  Tdr = 0x28,
}

/** CR1 bits. */
export const enum UsartCr1 {
  Ue = 1 << 0,
  Re = 1 << 2,
  Te = 1 << 3,
  Rxneie = 1 << 5,
  Tcie = 1 << 6,
  Txeie = 1 << 7,
}

/** ISR bits (ICR uses the same positions for ORECF and TCCF). */
export const enum UsartIsr {
  Ore = 1 << 3,
  Rxne = 1 << 5,
  Tc = 1 << 6,
  Txe = 1 << 7,
}

/** ISR after reset and whenever UE is cleared: transmitter empty and complete. */
export const USART_ISR_RESET = UsartIsr.Txe | UsartIsr.Tc;

/** Start + 8 data + stop bits. */
export const USART_BITS_PER_FRAME = 10;

/** The smallest bit time, in cycles: the hardware minimum BRR with 16× oversampling. A
 * BRR below it (including the reset value 0) is treated as 16, so a frame is never instant. */
export const USART_MIN_BRR = 16;

/** Input queue capacity: a whole scenario line of input fits, and it is preallocated. */
export const USART_RX_QUEUE_BYTES = 4096;

/** Size of the register window (the memory map's 1 KiB slot). */
export const USART_WINDOW_SIZE = 0x400;

/** The kernel's receiver of transmitted bytes (it prints them). */
export interface UsartSink {
  /** One byte whose stop bit ended at `cycle`. Called from `advanceTo`. */
  transmitted(byte: number, cycle: number): void;
}

const CR1_MASK = UsartCr1.Ue | UsartCr1.Re | UsartCr1.Te | UsartCr1.Rxneie | UsartCr1.Tcie | UsartCr1.Txeie;

/** One USART: timed transmitter, queued receiver, one interrupt line. */
export class Usart implements MmioDevice, Clocked, InterruptSource {
  readonly size = USART_WINDOW_SIZE;
  readonly interruptCount = 1;

  private cr1 = 0;
  private brr = 0;
  private isr = USART_ISR_RESET;
  private rdr = 0;
  private tdr = 0;
  /** Byte in the shift register, and the cycle its stop bit ends (Infinity when idle). */
  private shiftByte = 0;
  private frameEnd = Infinity;
  private readonly queue = new Uint8Array(USART_RX_QUEUE_BYTES);
  private queueHead = 0;
  private queueCount = 0;
  private cycle = 0;
  private level = false;
  private sink: UsartSink | undefined;
  /** Bytes received while the receiver was off or the input queue was full. */
  rxDropped = 0;

  constructor(readonly name: string, private readonly line: InterruptLine) {}

  /** Registers the transmit sink (the kernel's console writer for this port). */
  setSink(sink: UsartSink | undefined): void { this.sink = sink; }

  /** Scenario input: bytes arriving on RX at the current cycle. Returns how many were kept. */
  receive(bytes: ArrayLike<number>): number {
    if ((this.cr1 & (UsartCr1.Ue | UsartCr1.Re)) !== (UsartCr1.Ue | UsartCr1.Re)) {
      this.rxDropped += bytes.length;
      return 0;
    }
    let kept = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]! & 0xff;
      if ((this.isr & UsartIsr.Rxne) === 0) {
        this.rdr = b;
        this.isr |= UsartIsr.Rxne;
        kept++;
      } else if (this.queueCount < USART_RX_QUEUE_BYTES) {
        this.queue[(this.queueHead + this.queueCount) % USART_RX_QUEUE_BYTES] = b;
        this.queueCount++;
        kept++;
      } else {
        this.isr |= UsartIsr.Ore;
        this.rxDropped++;
      }
    }
    this.updateIrq();
    return kept;
  }

  /** Bytes waiting behind RDR. */
  get rxQueued(): number { return this.queueCount; }

  isInterruptAsserted(index: number): boolean { return index === 0 && this.level; }

  // ---- Clocked ----

  nextEventCycle(): number { return this.frameEnd; }

  advanceTo(cycle: number): void {
    while (this.frameEnd <= cycle) {
      const at = this.frameEnd;
      this.sink?.transmitted(this.shiftByte, at);
      if ((this.isr & UsartIsr.Txe) === 0) {
        // TDR → shift register: the next frame starts as this one ends.
        this.shiftByte = this.tdr;
        this.isr |= UsartIsr.Txe;
        this.frameEnd = at + this.frameCycles();
      } else {
        this.frameEnd = Infinity;
        this.isr |= UsartIsr.Tc;
      }
      this.updateIrq();
    }
    this.cycle = cycle;
  }

  // ---- MMIO ----

  read(offset: number, width: AccessWidth): number {
    if (!isAligned(offset, width)) return 0;
    let word: number;
    switch (offset & ~3) {
      case UsartReg.Cr1: word = this.cr1; break;
      case UsartReg.Brr: word = this.brr; break;
      case UsartReg.Isr: word = this.isr; break;
      case UsartReg.Rdr: word = this.readRdr(); break;
      case UsartReg.Tdr: word = this.tdr; break;
      default: word = 0; // ICR is write-only; the rest is reserved
    }
    return extractLanes(word, offset, width);
  }

  write(offset: number, width: AccessWidth, value: number): void {
    if (!isAligned(offset, width)) return;
    const mask = laneMask(offset, width);
    const v = placeLanes(value, offset, width) & mask;
    switch (offset & ~3) {
      case UsartReg.Cr1: this.writeCr1(((this.cr1 & ~mask) | v) & CR1_MASK); break;
      case UsartReg.Brr: this.brr = ((this.brr & ~mask) | v) & 0xffff; break;
      case UsartReg.Icr: this.isr &= ~(v & (UsartIsr.Ore | UsartIsr.Tc)); this.updateIrq(); break;
      case UsartReg.Tdr: if ((mask & 0xff) !== 0) this.writeTdr(v & 0xff); break;
      default: break; // ISR and RDR are read-only; the rest is reserved
    }
  }

  private writeCr1(next: number): void {
    const wasEnabled = (this.cr1 & UsartCr1.Ue) !== 0;
    this.cr1 = next;
    if (wasEnabled && (next & UsartCr1.Ue) === 0) {
      // UE=0 discards everything in flight and returns the flags to reset (STM32 rule).
      this.isr = USART_ISR_RESET;
      this.frameEnd = Infinity;
      this.queueHead = 0;
      this.queueCount = 0;
    }
    this.updateIrq();
  }

  private writeTdr(byte: number): void {
    if ((this.cr1 & (UsartCr1.Ue | UsartCr1.Te)) !== (UsartCr1.Ue | UsartCr1.Te)) return;
    this.isr &= ~UsartIsr.Tc;
    if (this.frameEnd === Infinity) {
      // Idle transmitter: the byte goes straight to the shift register, TDR stays empty.
      this.shiftByte = byte;
      this.frameEnd = this.cycle + this.frameCycles();
    } else {
      // Busy: the byte waits in TDR (a write while TXE=0 overwrites it, as on the part).
      this.tdr = byte;
      this.isr &= ~UsartIsr.Txe;
    }
    this.updateIrq();
  }

  private readRdr(): number {
    const value = this.rdr;
    if ((this.isr & UsartIsr.Rxne) !== 0) {
      if (this.queueCount > 0) {
        this.rdr = this.queue[this.queueHead]!;
        this.queueHead = (this.queueHead + 1) % USART_RX_QUEUE_BYTES;
        this.queueCount--;
      } else {
        this.isr &= ~UsartIsr.Rxne;
      }
      this.updateIrq();
    }
    return value;
  }

  private frameCycles(): number {
    return USART_BITS_PER_FRAME * Math.max(this.brr, USART_MIN_BRR);
  }

  private updateIrq(): void {
    const cr1 = this.cr1;
    const isr = this.isr;
    const level =
      ((cr1 & UsartCr1.Rxneie) !== 0 && (isr & (UsartIsr.Rxne | UsartIsr.Ore)) !== 0) ||
      ((cr1 & UsartCr1.Txeie) !== 0 && (isr & UsartIsr.Txe) !== 0) ||
      ((cr1 & UsartCr1.Tcie) !== 0 && (isr & UsartIsr.Tc) !== 0);
    if (level !== this.level) {
      this.level = level;
      this.line.set(level);
    }
  }
}
