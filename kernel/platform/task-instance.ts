/**
 * One task's WebAssembly instance and its context-switch primitives (Asyncify).
 *
 * This is the only kernel code that names `WebAssembly` (with `boot/`'s compile step).
 * A switch out is an Asyncify unwind into the task's save area; a switch in is a rewind:
 * `_start` is called again and Binaryen's instrumentation restores the call stack up to
 * the import that unwound, which then returns the syscall's status. The exchange-area
 * views are created once and refreshed only when a `memory.grow` detached the buffer.
 *
 * A detached view reads as length 0, which is how a grow is noticed. The checks read
 * `length`, not `byteLength`: V8 11.3 (Node 20) does not inline the typed-array `byteLength`
 * getter, so each read is a generic property load plus a builtin call (about 20 ns against
 * 1-2 ns for `length`, measured), and `views()` runs on every syscall that writes the
 * exchange area.
 *
 * Invariants: `unwinding` is true only between `startUnwind()` and the export returning;
 * `rewinding` only between `enter()` of a suspended task and the import that finishes it.
 * The kernel never reads or writes task memory outside the exchange area and the
 * Asyncify save area header.
 */

/** The exports the integrator's instrumentation guarantees (docs/task-abi.md). */
interface TaskExports {
  readonly memory: WebAssembly.Memory;
  readonly _start: (label: number, seed: number) => void;
  readonly __rampart_budget: WebAssembly.Global;
  readonly asyncify_start_unwind: (addr: number) => void;
  readonly asyncify_stop_unwind: () => void;
  readonly asyncify_start_rewind: (addr: number) => void;
  readonly asyncify_stop_rewind: () => void;
}

/** Where the kernel may touch a task's memory, from its validated descriptor. */
export interface TaskLayout {
  readonly exchangeAddress: number;
  readonly exchangeLength: number;
  readonly asyncifyDataAddress: number;
  readonly asyncifyDataSize: number;
}

export class TaskInstance {
  readonly memory: WebAssembly.Memory;
  readonly budget: WebAssembly.Global;
  private readonly exports: TaskExports;
  /** Exchange-area window: exactly `exchangeLength` bytes, nothing else. */
  exchange: Uint8Array;
  exchangeView: DataView;
  /** Whole-memory word view, for the save-area header; refreshed with the others. */
  private mem32: Int32Array;
  /** Whole-memory byte view, for shared-memory windows; refreshed with the others. */
  private mem8: Uint8Array;
  /** The task's own memory (stack, data, heap), below the SHM range and the save area. */
  private own8: Uint8Array;
  /** End of the own memory: `__rampart_own_memory_end` (checked at boot), else the save area's start. */
  readonly ownMemoryEnd: number;
  /** Never entered yet: the next switch-in calls `_start(label, seed)`. */
  fresh = true;
  /** The job was ended by the kernel while this instance executed: never resume it. */
  killed = false;
  unwinding = false;
  rewinding = false;
  /** Traced runs: virtual cycle at which the blocking syscall it is suspended in was called. */
  traceCallCycles = 0;

  constructor(module: WebAssembly.Module, imports: WebAssembly.Imports, private readonly layout: TaskLayout) {
    const instance = new WebAssembly.Instance(module, imports);
    this.exports = instance.exports as unknown as TaskExports;
    this.memory = this.exports.memory;
    this.budget = this.exports.__rampart_budget;
    this.exchange = new Uint8Array(this.memory.buffer, layout.exchangeAddress, layout.exchangeLength);
    this.exchangeView = new DataView(this.memory.buffer, layout.exchangeAddress, layout.exchangeLength);
    this.mem32 = new Int32Array(this.memory.buffer);
    this.mem8 = new Uint8Array(this.memory.buffer);
    const ownEnd = (instance.exports.__rampart_own_memory_end as WebAssembly.Global | undefined)?.value as unknown;
    this.ownMemoryEnd = typeof ownEnd === 'number' && ownEnd > 0 && ownEnd <= layout.asyncifyDataAddress ? ownEnd : layout.asyncifyDataAddress;
    this.own8 = this.mem8.subarray(0, this.ownMemoryEnd);
    this.exchange.fill(0);
  }

  /** Re-create the views after the task grew its memory (the old buffer is detached). */
  refreshViews(): void {
    const { exchangeAddress, exchangeLength } = this.layout;
    this.exchange = new Uint8Array(this.memory.buffer, exchangeAddress, exchangeLength);
    this.exchangeView = new DataView(this.memory.buffer, exchangeAddress, exchangeLength);
    this.mem32 = new Int32Array(this.memory.buffer);
    this.mem8 = new Uint8Array(this.memory.buffer);
    this.own8 = this.mem8.subarray(0, this.ownMemoryEnd);
  }

  /** The whole linear memory (for SHM windows, which the integrator placed inside it). */
  memoryBytes(): Uint8Array {
    if (this.mem8.length === 0) this.refreshViews();
    return this.mem8;
  }

  /**
   * The task's own memory only: what a pointer from the task may name (WASI buffers). The
   * SHM windows and the Asyncify save area above it are the kernel's to write.
   */
  ownMemoryBytes(): Uint8Array {
    if (this.mem8.length === 0) this.refreshViews();
    return this.own8;
  }

  /** Views valid for the current buffer; cheap when nothing changed. */
  views(): DataView {
    if (this.exchange.length === 0) this.refreshViews();
    return this.exchangeView;
  }

  bytes(): Uint8Array {
    if (this.exchange.length === 0) this.refreshViews();
    return this.exchange;
  }

  /** Switch in: first entry or rewind. Returns when the task unwound, returned or trapped (throws). */
  enter(label: number, seed: number): void {
    if (this.fresh) {
      this.fresh = false;
      this.exports._start(label, seed);
      return;
    }
    this.rewinding = true;
    this.exports.asyncify_start_rewind(this.layout.asyncifyDataAddress);
    this.exports._start(label, seed);
  }

  /** Called by an import during a rewind: the stack is back, resume normal execution. */
  finishRewind(): void {
    this.rewinding = false;
    this.exports.asyncify_stop_rewind();
  }

  /** Called by an import to switch out: unwind the stack into the save area. */
  startUnwind(): void {
    const base = this.layout.asyncifyDataAddress;
    if (this.mem32.length === 0) this.refreshViews();
    this.mem32[base >>> 2] = base + 8;
    this.mem32[(base >>> 2) + 1] = base + this.layout.asyncifyDataSize;
    this.unwinding = true;
    this.exports.asyncify_start_unwind(base);
  }

  /** First byte of the saved call stack in the Asyncify save area (after its 8-byte header). */
  savedContextStart(): number {
    return this.layout.asyncifyDataAddress + 8;
  }

  /** End of the saved call stack: the save area's current pointer after an unwind. */
  savedContextEnd(): number {
    if (this.mem32.length === 0) this.refreshViews();
    return this.mem32[this.layout.asyncifyDataAddress >>> 2]!;
  }

  /** After `_start` returned: true when it was an unwind (task suspended), false when it really returned. */
  completeReturn(): boolean {
    if (!this.unwinding) return false;
    this.unwinding = false;
    this.exports.asyncify_stop_unwind();
    return true;
  }
}
