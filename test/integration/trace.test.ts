/**
 * The Chrome trace of a run (`rampart run --trace-out`): every syscall is one complete
 * event on its task's track with the status it returned, blocking ones included (from the
 * call to the return, blocked time and all), in virtual time.
 */
import { describe, expect, it } from 'vitest';
import { Status } from '../../toolchain/abi/index.js';
import { runWat, taskWat } from '../helpers/wat.js';

interface Event { name: string; ph: string; ts: number; dur?: number; tid: number; args?: { status: number } }

describe('syscall events in the trace', () => {
  it('blocking syscalls carry their status and the time they blocked', () => {
    const sleeper = taskWat({ imports: ['sleep', 'wait_for_event', 'sched_yield'], body: `
      (drop (call $sleep (i32.const 3) (i32.const 1)))
      (drop (call $wait_for_event (i32.const 1) (i32.const -1)))
      (drop (call $sched_yield))` });
    const run = runWat([{ name: 'a', label: 1, wat: sleeper }], {}, { trace: true });
    const events = (run.kernel.trace!.toJSON().traceEvents as unknown as Event[]).filter((e) => e.ph === 'X');
    const byName = (n: string) => events.find((e) => e.name === n)!;
    // sleep 3 ms (deep): ends with TIMEOUT after 3 ms of virtual time (3000 us, on tick boundaries).
    expect(byName('sleep').args!.status).toBe(Status.Timeout);
    expect(byName('sleep').dur!).toBeGreaterThan(2990); // woken on the tick that ends its 3rd ms
    expect(byName('sleep').dur!).toBeLessThan(3100);
    // wait_for_event with WFE_WAIT_NO and nothing pending: AGAIN at once, no blocking.
    expect(byName('wait_for_event').args!.status).toBe(Status.Again);
    expect(byName('wait_for_event').dur!).toBeLessThan(10);
    expect(byName('sched_yield').args!.status).toBe(Status.Ok);
    expect(events.every((e) => e.args!.status >= 0)).toBe(true);
  });
});
