/**
 * Scheduler election with N ready tasks, measured on the kernel's RRMQ scheduler directly.
 *
 * A task handle carries an 8-bit task id, so a kernel holds at most 255 user tasks (plus
 * idle); the 1024-task figure can only be taken on the scheduler itself. For comparable
 * figures every N is measured the same way: an `RrmqScheduler` with N task infos (equal
 * priority, default quantum) and the same hooks object shape the kernel gives it, every
 * task queued, then `elect(true)` in a loop: the running job goes back to the backed set
 * and the next one is elected, which is what a yield does to the scheduler. The kernel's
 * own election adds an integrity check of the queues before and a re-seal after
 * (see the switch-N figures, which go through the kernel).
 */

import { RrmqScheduler } from '../../kernel/sched/rrmq.js';
import type { SchedulerHooks } from '../../kernel/sched/scheduler.js';
import type { Contender } from './harness.js';
import { timeNs } from './harness.js';

function electLoop(s: RrmqScheduler, n: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) x ^= s.elect(true);
  return x;
}

/** `election-N`: one `elect(true)` with N ready tasks per operation. */
export function election(tasks: number, elections: number): Contender {
  const infos = Array.from({ length: tasks }, () => ({ priority: 1, quantum: 10 }));
  // As the kernel's hooks when no fault is being injected: a call per loop iteration.
  let armed = false;
  const hooks: SchedulerHooks = { skipIteration: () => armed };
  const s = new RrmqScheduler(infos, hooks);
  for (let t = 0; t < tasks; t++) s.schedule(t);
  let sink = 0;
  return {
    name: `election-${tasks}`,
    round: () => {
      armed = false;
      const ns = timeNs(() => { sink ^= electLoop(s, elections); });
      if (sink === -2) throw new Error('unreachable');
      return ns / elections;
    },
  };
}
