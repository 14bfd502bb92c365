/**
 * The console: per-task line assembly of `log` output.
 *
 * Tasks log raw bytes, not lines; the console buffers each task's bytes until a newline
 * and emits `[task-name] text` lines to a sink (stdout in the CLI, so two runs compare
 * byte for byte). A line longer than the buffer is cut and emitted; a partial line is
 * flushed when the task ends. In release builds nothing is emitted.
 */

/** Where finished console lines go. */
export interface ConsoleSink {
  line(text: string): void;
}

/** Longest console line before it is cut: four exchange areas of the maximum size. */
const LINE_BUFFER_BYTES = 4096;

const decoder = new TextDecoder('utf-8');

export class ConsoleBuffer {
  private readonly buffers: Uint8Array[];
  private readonly lengths: Int32Array;

  constructor(private readonly names: readonly string[], private readonly sink: ConsoleSink, private readonly silent: boolean) {
    this.buffers = names.map(() => new Uint8Array(LINE_BUFFER_BYTES));
    this.lengths = new Int32Array(names.length);
  }

  /** Append raw log bytes of task t. */
  write(t: number, bytes: Uint8Array, length: number): void {
    if (this.silent) return;
    const buffer = this.buffers[t];
    if (buffer === undefined) return;
    let used = this.lengths[t]!;
    for (let i = 0; i < length; i++) {
      const b = bytes[i]!;
      if (b === 0x0a) {
        this.emit(t, buffer, used);
        used = 0;
      } else {
        if (used === LINE_BUFFER_BYTES) { this.emit(t, buffer, used); used = 0; }
        buffer[used++] = b;
      }
    }
    this.lengths[t] = used;
  }

  private readonly deviceLines = new Map<string, number[]>();

  /** Bytes a UART transmitted: console lines `[device] text`, assembled like task logs. */
  device(name: string, bytes: Uint8Array): void {
    if (this.silent) return;
    let line = this.deviceLines.get(name);
    if (line === undefined) { line = []; this.deviceLines.set(name, line); }
    for (const b of bytes) {
      if (b === 0x0a || line.length >= LINE_BUFFER_BYTES) {
        this.sink.line(`[${name}] ${decoder.decode(Uint8Array.from(line[line.length - 1] === 0x0d ? line.slice(0, -1) : line))}`);
        line.length = 0;
        if (b === 0x0a) continue;
      }
      line.push(b);
    }
  }

  /** Emit a pending partial line of task t (when it ends). */
  flush(t: number): void {
    const used = this.lengths[t] ?? 0;
    if (used > 0) {
      this.emit(t, this.buffers[t]!, used);
      this.lengths[t] = 0;
    }
  }

  private emit(t: number, buffer: Uint8Array, used: number): void {
    let end = used;
    if (end > 0 && buffer[end - 1] === 0x0d) end--;
    this.sink.line(`[${this.names[t]}] ${decoder.decode(buffer.subarray(0, end))}`);
  }
}
