/**
 * Run trace in Chrome trace-event format (opens in Perfetto / chrome://tracing).
 *
 * One track (tid) per task, a complete event per syscall and an instant event per switch,
 * exit and fault. Timestamps are virtual microseconds, so two runs of the same image and
 * seed give the same trace. Recording is off unless the kernel was booted with tracing;
 * every call site checks `kernel.trace` first, so a disabled trace costs one test.
 */

interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'i' | 'M';
  readonly ts: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly s?: 't';
  readonly args?: Record<string, unknown>;
}

/** Hard cap on recorded events, so a long run cannot exhaust the host's memory. */
const MAX_EVENTS = 2_000_000;

export class Trace {
  private readonly events: TraceEvent[] = [];
  private readonly cyclesPerUs: number;
  truncated = false;

  constructor(names: readonly string[], frequencyHz: number) {
    this.cyclesPerUs = frequencyHz / 1e6;
    names.forEach((name, tid) => this.events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid, args: { name } }));
  }

  private push(e: TraceEvent): void {
    if (this.events.length >= MAX_EVENTS) { this.truncated = true; return; }
    this.events.push(e);
  }

  private us(cycles: number): number {
    return Math.round((cycles / this.cyclesPerUs) * 1000) / 1000;
  }

  switchIn(task: number, cycles: number): void {
    this.push({ name: 'switch-in', ph: 'i', ts: this.us(cycles), pid: 1, tid: task, s: 't' });
  }

  instant(task: number, cycles: number, name: string): void {
    this.push({ name, ph: 'i', ts: this.us(cycles), pid: 1, tid: task, s: 't' });
  }

  syscall(task: number, name: string, startCycles: number, endCycles: number, status: number): void {
    this.push({ name, ph: 'X', ts: this.us(startCycles), dur: this.us(endCycles - startCycles), pid: 1, tid: task, args: { status } });
  }

  toJSON(): { traceEvents: readonly TraceEvent[]; displayTimeUnit: string; otherData: Record<string, unknown> } {
    return { traceEvents: this.events, displayTimeUnit: 'ns', otherData: { clock: 'virtual', truncated: this.truncated } };
  }
}
