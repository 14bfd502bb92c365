/**
 * The abnormal-event journal, kept in the emulated backup SRAM so that it survives a reboot
 * of the emulator (`rampart run --backup FILE`), and checked at the next boot.
 *
 * Layout of the journal area (4 KiB, little endian):
 *   0   u32 magic 'RJNL'    4  u32 record count    8  u32 sequence of the next record
 *   12  u32 header code (keyed with a fixed journal key over bytes 0..12)
 *   16  records of 32 bytes: u32 seq, u32 kind, f64 cycle, u32 task label, u32 detail,
 *       u32 boot number, u32 record code
 * The area is a ring: when full, the oldest record is overwritten (the count saturates).
 * A journal whose header or a record whose code does not verify is reported as tampered,
 * never trusted.
 */

export const JOURNAL_BYTES = 4096;
const MAGIC = 0x4c4e4a52;
const HEADER = 16;
const RECORD = 32;
export const JOURNAL_CAPACITY = Math.floor((JOURNAL_BYTES - HEADER) / RECORD);

export const enum JournalKind {
  IntegrityTaskTable = 1,
  IntegritySchedQueue = 2,
  IntegritySavedContext = 3,
  LoopCounter = 4,
  ControlFlow = 5,
  RedundantCheck = 6,
  WatchdogBudget = 7,
  WatchdogFaults = 8,
  EventDropped = 9,
  TaskFault = 10,
  KernelPanic = 11,
  WatchdogWallClock = 12,
}

export const JOURNAL_KIND_NAMES: Record<number, string> = {
  1: 'task-table integrity', 2: 'scheduler-queue integrity', 3: 'saved-context integrity', 4: 'loop counter mismatch',
  5: 'control-flow signature mismatch', 6: 'redundant check disagreed', 7: 'watchdog: cycle budget exceeded',
  8: 'watchdog: repeated faults', 9: 'event dropped', 10: 'task fault', 11: 'kernel panic',
  12: 'watchdog: wall-clock limit (code that never reached a metering point)',
};

export interface JournalRecord {
  readonly seq: number;
  readonly kind: number;
  readonly cycle: number;
  readonly label: number;
  readonly detail: number;
  readonly boot: number;
}

/** A fixed key: the journal must verify across boots with different seeds. */
const JOURNAL_KEY = 0x6a6f7572;

function code(view: DataView, start: number, end: number): number {
  let h = JOURNAL_KEY ^ (end - start);
  for (let i = start; i < end; i += 4) {
    let x = Math.imul(view.getUint32(i, true) ^ h, 0x85ebca6b);
    x ^= x >>> 13;
    h = Math.imul(x, 0xc2b2ae35) ^ (x >>> 16);
  }
  return h >>> 0;
}

export class Journal {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** Boot number: previous boots' records have smaller ones. */
  readonly boot: number;
  /** Problems found when the journal was loaded (tampered header or records). */
  readonly problems: string[] = [];
  /** Records found at boot (from previous runs). */
  readonly previous: JournalRecord[] = [];

  constructor(initial?: Uint8Array) {
    this.bytes = new Uint8Array(JOURNAL_BYTES);
    this.view = new DataView(this.bytes.buffer);
    if (initial !== undefined && initial.some((b) => b !== 0)) {
      this.bytes.set(initial.subarray(0, JOURNAL_BYTES));
      this.load();
    } else {
      this.reset();
    }
    this.boot = this.previous.reduce((max, r) => Math.max(max, r.boot), -1) + 1;
  }

  private reset(): void {
    this.bytes.fill(0);
    this.view.setUint32(0, MAGIC, true);
    this.sealHeader();
  }

  private sealHeader(): void {
    this.view.setUint32(12, code(this.view, 0, 12), true);
  }

  private load(): void {
    const v = this.view;
    if (v.getUint32(0, true) !== MAGIC || v.getUint32(12, true) !== code(v, 0, 12)) {
      this.problems.push('journal header does not verify: the backup memory was tampered with or is not a Rampart journal');
      this.reset();
      return;
    }
    const count = Math.min(v.getUint32(4, true), JOURNAL_CAPACITY);
    for (let i = 0; i < count; i++) {
      const at = HEADER + i * RECORD;
      if (v.getUint32(at + 28, true) !== code(v, at, at + 28)) {
        this.problems.push(`journal record ${i} does not verify (tampered)`);
        continue;
      }
      this.previous.push({ seq: v.getUint32(at, true), kind: v.getUint32(at + 4, true), cycle: v.getFloat64(at + 8, true), label: v.getUint32(at + 16, true), detail: v.getUint32(at + 20, true), boot: v.getUint32(at + 24, true) });
    }
    this.previous.sort((a, b) => a.seq - b.seq);
  }

  /** Append a record (the oldest is overwritten when full). */
  append(kind: JournalKind, cycle: number, label: number, detail: number): void {
    const v = this.view;
    const seq = v.getUint32(8, true);
    const at = HEADER + (seq % JOURNAL_CAPACITY) * RECORD;
    v.setUint32(at, seq, true);
    v.setUint32(at + 4, kind, true);
    v.setFloat64(at + 8, cycle, true);
    v.setUint32(at + 16, label >>> 0, true);
    v.setUint32(at + 20, detail >>> 0, true);
    v.setUint32(at + 24, this.boot, true);
    v.setUint32(at + 28, code(v, at, at + 28), true);
    v.setUint32(4, Math.min(v.getUint32(4, true) + 1, JOURNAL_CAPACITY), true);
    v.setUint32(8, seq + 1, true);
    this.sealHeader();
  }

  /** Every verified record, previous boots and this one, oldest first. */
  records(): JournalRecord[] {
    const out: JournalRecord[] = [];
    const v = this.view;
    const count = Math.min(v.getUint32(4, true), JOURNAL_CAPACITY);
    for (let i = 0; i < count; i++) {
      const at = HEADER + i * RECORD;
      if (v.getUint32(at + 28, true) !== code(v, at, at + 28)) continue;
      out.push({ seq: v.getUint32(at, true), kind: v.getUint32(at + 4, true), cycle: v.getFloat64(at + 8, true), label: v.getUint32(at + 16, true), detail: v.getUint32(at + 20, true), boot: v.getUint32(at + 24, true) });
    }
    return out.sort((a, b) => a.seq - b.seq);
  }
}
