/**
 * VCD writer: records GPIO pins and interrupt lines as an IEEE 1364 value change dump.
 *
 * Owns the declared signals (1-bit wires named by the kernel, e.g. `led0`, `button0`,
 * `irq38`), their last written values and the text produced so far. It is a
 * `SignalObserver`: the kernel hands it to the GPIO ports and the interrupt controller,
 * which report every change with its virtual cycle. GTKWave and other viewers open the
 * result.
 *
 * Time is exact: the timescale is the largest VCD unit (1/10/100 × s, ms, us, ns, ps, fs)
 * that divides the cycle period, so every cycle is a whole number of units (64 MHz → 1 ps,
 * one cycle = 15625 units). A frequency whose period is not a whole number of femtoseconds
 * (48 MHz) falls back to 1 fs with times rounded down; that is the only inexact case.
 *
 * Invariants: the output is a pure function of the declarations and the reported changes
 * (no date, no host name, fixed version string), so two identical runs give identical
 * bytes; timestamps never decrease; a value is written only when it changes.
 *
 * Must never: declare a signal after the header is written (the VCD header is closed by
 * then; it throws); read the wall clock.
 */

import type { SignalObserver } from './device-model.js';

/** The text of `$version`: fixed, so output is reproducible across builds. */
export const VCD_VERSION = 'Rampart virtual-time waveform';

const FS_PER_SECOND = 10n ** 15n;
const UNITS: readonly (readonly [string, bigint])[] = [
  ['s', 10n ** 15n], ['ms', 10n ** 12n], ['us', 10n ** 9n], ['ns', 10n ** 6n], ['ps', 10n ** 3n], ['fs', 1n],
];

/** Largest port index × 16 + pin + 1 the writer can track (16 ports). */
const MAX_PIN_SLOTS = 16 * 16;

/** Records declared pins and interrupt lines as a VCD document; see the file header. */
export class VcdWriter implements SignalObserver {
  /** The `$timescale` value, e.g. "1 ps". */
  readonly timescale: string;
  private readonly unitsPerCycle: bigint;
  /** True when the timescale cannot represent a cycle exactly (times are rounded down). */
  readonly isInexact: boolean;
  private readonly frequency: bigint;

  private readonly names: string[] = [];
  private readonly codes: string[] = [];
  private readonly initial: number[] = [];
  private readonly pinSignal = new Int32Array(MAX_PIN_SLOTS).fill(-1);
  private readonly irqSignal = new Int32Array(256).fill(-1);
  private values = new Uint8Array(0);
  private readonly chunks: string[] = [];
  private headerWritten = false;
  private lastTime = -1n;

  constructor(frequencyHz: number, private readonly scope = 'rampart') {
    if (!Number.isInteger(frequencyHz) || frequencyHz <= 0) throw new RangeError(`VCD: frequency ${frequencyHz} Hz is not a positive integer`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(scope)) throw new RangeError(`VCD: scope name '${scope}' is not an identifier`);
    this.frequency = BigInt(frequencyHz);
    const exact = FS_PER_SECOND % this.frequency === 0n;
    this.isInexact = !exact;
    if (!exact) {
      this.timescale = '1 fs';
      this.unitsPerCycle = 0n;
    } else {
      const periodFs = FS_PER_SECOND / this.frequency;
      let chosen = '1 fs';
      let perCycle = periodFs;
      search: for (const [name, fs] of UNITS) {
        for (const mult of [100n, 10n, 1n]) {
          const unit = fs * mult;
          if (periodFs % unit === 0n) { chosen = `${mult} ${name}`; perCycle = periodFs / unit; break search; }
        }
      }
      this.timescale = chosen;
      this.unitsPerCycle = perCycle;
    }
  }

  /** Declares a GPIO pin as a wire. Throws after the header is written or on a duplicate. */
  addPin(port: number, pin: number, name: string, initial = false): void {
    const slot = port * 16 + pin;
    if (!Number.isInteger(slot) || port < 0 || pin < 0 || pin > 15 || slot >= MAX_PIN_SLOTS) throw new RangeError(`VCD: no pin ${port}.${pin}`);
    if (this.pinSignal[slot] !== -1) throw new Error(`VCD: pin ${port}.${pin} declared twice`);
    this.pinSignal[slot] = this.declare(name, initial);
  }

  /** Declares an interrupt line as a wire. Throws after the header is written or on a duplicate. */
  addIrq(line: number, name: string, initial = false): void {
    if (!Number.isInteger(line) || line < 0 || line >= this.irqSignal.length) throw new RangeError(`VCD: no interrupt line ${line}`);
    if (this.irqSignal[line] !== -1) throw new Error(`VCD: interrupt line ${line} declared twice`);
    this.irqSignal[line] = this.declare(name, initial);
  }

  pinChanged(port: number, pin: number, level: boolean, cycle: number): void {
    const slot = port * 16 + pin;
    if (slot < 0 || slot >= MAX_PIN_SLOTS || pin > 15) return;
    const s = this.pinSignal[slot]!;
    if (s >= 0) this.change(s, level, cycle);
  }

  irqChanged(line: number, asserted: boolean, cycle: number): void {
    const s = line >= 0 && line < this.irqSignal.length ? this.irqSignal[line]! : -1;
    if (s >= 0) this.change(s, asserted, cycle);
  }

  /**
   * The document so far; with `endCycle`, first writes that timestamp (if later than the
   * last) so viewers show the signals' final values up to the end of the run.
   */
  finish(endCycle?: number): string {
    this.writeHeader();
    if (endCycle !== undefined) {
      const t = this.timeOf(endCycle);
      if (t > this.lastTime) { this.chunks.push(`#${t}\n`); this.lastTime = t; }
    }
    return this.chunks.join('');
  }

  /** Virtual cycle → VCD time units. */
  private timeOf(cycle: number): bigint {
    const c = BigInt(Math.max(0, Math.floor(cycle)));
    return this.isInexact ? (c * FS_PER_SECOND) / this.frequency : c * this.unitsPerCycle;
  }

  private declare(name: string, initial: boolean): number {
    if (this.headerWritten) throw new Error(`VCD: '${name}' declared after recording started`);
    if (name.length === 0 || /\s/.test(name)) throw new RangeError(`VCD: signal name '${name}' must be non-empty without spaces`);
    const index = this.names.length;
    this.names.push(name);
    this.codes.push(identifierCode(index));
    this.initial.push(initial ? 1 : 0);
    return index;
  }

  private change(signal: number, value: boolean, cycle: number): void {
    this.writeHeader();
    const v = value ? 1 : 0;
    if (this.values[signal] === v) return;
    this.values[signal] = v;
    let t = this.timeOf(cycle);
    if (t < this.lastTime) t = this.lastTime; // VCD time never goes back
    if (t !== this.lastTime) { this.chunks.push(`#${t}\n`); this.lastTime = t; }
    this.chunks.push(`${v}${this.codes[signal]!}\n`);
  }

  private writeHeader(): void {
    if (this.headerWritten) return;
    this.headerWritten = true;
    this.values = Uint8Array.from(this.initial);
    const out: string[] = [
      `$version ${VCD_VERSION} $end\n`,
      `$timescale ${this.timescale} $end\n`,
      `$scope module ${this.scope} $end\n`,
    ];
    for (let i = 0; i < this.names.length; i++) out.push(`$var wire 1 ${this.codes[i]!} ${this.names[i]!} $end\n`);
    out.push('$upscope $end\n', '$enddefinitions $end\n', '#0\n', '$dumpvars\n');
    for (let i = 0; i < this.names.length; i++) out.push(`${this.initial[i]!}${this.codes[i]!}\n`);
    out.push('$end\n');
    this.chunks.push(out.join(''));
    this.lastTime = 0n;
  }
}

/** VCD identifier codes: printable ASCII '!'..'~' (94 symbols), little-endian base 94. */
function identifierCode(index: number): string {
  let code = '';
  let n = index;
  do {
    code += String.fromCharCode(33 + (n % 94));
    n = Math.floor(n / 94) - 1;
  } while (n >= 0);
  return code;
}
