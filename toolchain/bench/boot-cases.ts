/**
 * Boot of an image with N tasks against the bare compile + instantiate of the same modules.
 *
 * One task module is integrated once; an N-task image holds N copies of it, each made
 * unique by a custom section carrying a nonce (`withNonce`), so every module is really
 * compiled: V8 keeps a cache of compiled modules keyed by their bytes, and without the
 * nonce every boot after the first would only find them there. Every round draws fresh
 * nonces, for the kernel and for the floor alike; building the image is not timed.
 *
 * Timed: `bootImage` (read and check the image, re-check each module's imports and layout,
 * compile, build the kernel, instantiate every task) against, for the same N modules,
 * `new WebAssembly.Module(bytes)` + `new WebAssembly.Instance(module, imports)` (what
 * `WebAssembly.instantiate` does, done synchronously as the kernel does it).
 *
 * A task handle carries an 8-bit task id and CONFIG_MAX_TASKS allows 255 user tasks: the
 * figure named boot-256 boots 255 tasks (256 with the kernel's idle task).
 */

import { writeImage, type ImageTaskInput } from '../../kernel/image/image.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import type { Contender } from './harness.js';
import { timeNs } from './harness.js';
import { bootQuiet, integrateTask, taskWat, withNonce } from './images.js';

let nonce = 0;

/** `boot-NAME` (kernel) and `instantiate-NAME` (floor) for an image of `tasks` tasks. */
export function bootPair(name: string, tasks: number): { kernel: Contender; plain: Contender } {
  const config = { ...DEFAULT_KERNEL_CONFIG, maxTasks: Math.max(DEFAULT_KERNEL_CONFIG.maxTasks, tasks) };
  const wat = taskWat({
    imports: ['log', 'get_cycle', 'sched_yield', 'wait_for_event', 'send_ipc'],
    setup: `(memory.fill (i32.const 1024) (i32.const 0x2a) (i32.const 16)) (drop (call $log (i32.const 16)))`,
    op: '(local.set $acc (i32.or (local.get $acc) (call $get_cycle (i32.const 3)))) (drop (call $sched_yield))',
    batch: 10,
    batches: 10,
  });
  const base = integrateTask({ name: 'boot', label: 1, wat }, config);
  const fresh = (): ImageTaskInput[] => {
    const out: ImageTaskInput[] = [];
    for (let i = 1; i <= tasks; i++) out.push({ ...base, name: `t${i}`, label: i, module: withNonce(base.module, nonce++) });
    return out;
  };
  const stubs: Record<string, () => number> = {};
  for (const i of WebAssembly.Module.imports(new WebAssembly.Module(base.module as Uint8Array<ArrayBuffer>))) stubs[i.name] = () => 0;
  const imports = { rampart: stubs };

  const kernel: Contender = {
    name: `boot-${name}`,
    round: () => {
      const image = writeImage(config, fresh());
      return timeNs(() => { bootQuiet(image); });
    },
  };
  const plain: Contender = {
    name: `instantiate-${name}`,
    round: () => {
      const modules = fresh().map((t) => t.module as Uint8Array<ArrayBuffer>);
      return timeNs(() => {
        for (const bytes of modules) new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
      });
    },
  };
  return { kernel, plain };
}
