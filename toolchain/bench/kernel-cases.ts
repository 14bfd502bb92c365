/**
 * Benchmark cases that run through a booted kernel: the syscall paths users pay for.
 *
 * Each case is an image built once (WAT tasks -> integrator -> image). One round boots it
 * (not timed) and times `kernel.run()` to the end; nanoseconds per operation = run time /
 * operations. A run includes its first entries and the final exits, amortised over many
 * operations. The first boot is kept alive for the whole bench: V8 then finds each task's
 * compiled module in its native module cache at every later boot (same bytes), so rounds
 * run code that was tiered up during the warm-up rounds instead of starting on Liftoff again.
 *
 * Every task ORs the statuses it gets into its exit status (see images.ts), and a round
 * whose tasks did not all exit(0) throws: a figure is never taken from a failing path.
 */

import { Cap, Status } from '../abi/index.js';
import { DEFAULT_KERNEL_CONFIG, type KernelConfig } from '../../kernel/config.js';
import type { Board } from '../../kernel/board.js';
import type { Kernel, RunResult } from '../../kernel/kernel.js';
import { readBoardSource } from '../config/devicetree.js';
import type { Contender } from './harness.js';
import { timeNs } from './harness.js';
import { EXCH, bootQuiet, buildImage, buildUniformImage, checkRun, taskWat } from './images.js';

/** Keeps the first kernel of every case alive (V8 native module cache, see above). */
const keepAlive: Kernel[] = [];

/** A contender that boots `image` and times its run; `ops` operations per run. */
export function kernelContender(name: string, image: Uint8Array, ops: number): Contender {
  keepAlive.push(bootQuiet(image));
  return {
    name,
    round: () => {
      const k = bootQuiet(image);
      let result: RunResult | undefined;
      const ns = timeNs(() => { result = k.run(); });
      checkRun(name, result!);
      return ns / ops;
    },
  };
}

/** Split `ops` operations into batches of at most 1000 (the inner loop). */
export function batching(ops: number): { batch: number; batches: number; ops: number } {
  const batch = Math.min(1000, ops);
  const batches = Math.max(1, Math.round(ops / batch));
  return { batch, batches, ops: batch * batches };
}

/** OR the status of `call` into `$acc`. */
const acc = (call: string): string => `(local.set $acc (i32.or (local.get $acc) ${call}))`;

/** Wait for an event of `mask` (forever), retrying on INTR (a wake-up), then OR the status. */
const waitEvent = (mask: number): string => `
      (loop $w
        (local.set $s (call $wait_for_event (i32.const ${mask}) (i32.const 0)))
        (br_if $w (i32.eq (local.get $s) (i32.const ${Status.Intr}))))
      ${acc('(local.get $s)')}`;

/** Store the u32 at the start of the exchange area into global `g` after `call` succeeded. */
const handleInto = (g: '$h' | '$g', call: string): string =>
  `(local.set $acc (i32.or (local.get $acc) ${call})) (global.set ${g} (i32.load (i32.const ${EXCH})))`;

// ---------------------------------------------------------------------------------------
// Non-blocking syscalls (floor: a raw import call).

function single(name: string, wat: string, ops: number, capabilities = 0, config: KernelConfig = DEFAULT_KERNEL_CONFIG, board?: Board): Contender {
  return kernelContender(name, buildImage([{ name: 'bench', label: 1, wat, capabilities }], config, board), ops);
}

/** get_cycle(MILLISECONDS): the null syscall through the whole kernel path. */
export function nullSyscall(ops: number): Contender {
  const b = batching(ops);
  return single('null-syscall', taskWat({ imports: ['get_cycle'], op: acc('(call $get_cycle (i32.const 3))'), ...b }), b.ops);
}

/** get_random: capability-checked twice, writes 4 bytes of the exchange area. */
export function getRandom(ops: number): Contender {
  const b = batching(ops);
  return single('get-random', taskWat({ imports: ['get_random'], op: acc('(call $get_random)'), ...b }), b.ops, Cap.CryKrng);
}

/** log of 64 bytes (63 characters and a newline): one console line per call, sink discards it. */
export function log64(ops: number): Contender {
  const b = batching(ops);
  const setup = `(memory.fill (i32.const ${EXCH}) (i32.const 0x78) (i32.const 63)) (i32.store8 (i32.const ${EXCH + 63}) (i32.const 10))`;
  return single('log-64', taskWat({ imports: ['log'], setup, op: acc('(call $log (i32.const 64))'), ...b }), b.ops);
}

const DEVICE_DTS = `/dts-v1/;
#include <rampart/rampart-m4.dtsi>
&led0 { outpost,owner = <1>; status = "okay"; };
&tim2 { outpost,owner = <1>; status = "okay"; };
`;

const DMA_DTS = `/dts-v1/;
#include <rampart/rampart-m4.dtsi>
&gpdma1 { status = "okay"; };
&gpdma1_ch1 { outpost,owner = <1>; status = "okay"; };
&reserved_memory {
	shm_src: src@40000 { reg = <0x40000 0x100>; outpost,shm; outpost,label = <0xa1>; outpost,owner = <1>; dma-pool; };
	shm_dst: dst@40100 { reg = <0x40100 0x100>; outpost,shm; outpost,label = <0xa2>; outpost,owner = <1>; dma-pool; };
};
/ {
	dma-streams {
		copy: copy { compatible = "dma-stream"; channel = <&gpdma1_ch1>; source = <&shm_src>; dest = <&shm_dst>; length = <0x80>; outpost,label = <0xd1>; };
	};
};
`;


function deviceId(board: Board, name: string): number {
  const d = board.devices.find((x) => x.name === name);
  if (d === undefined) throw new Error(`bench: board has no device '${name}'`);
  return d.id;
}

/** gpio_toggle of the LED pin (owned device, not mapped: GPIO calls need no mapping). */
export async function gpioToggle(ops: number): Promise<Contender> {
  const board = await readBoardSource(DEVICE_DTS);
  const b = batching(ops);
  const wat = taskWat({
    imports: ['get_device_handle', 'gpio_toggle'],
    setup: handleInto('$h', `(call $get_device_handle (i32.const ${deviceId(board, 'led0')}))`),
    op: acc('(call $gpio_toggle (global.get $h) (i32.const 0))'),
    ...b,
  });
  return single('gpio-toggle', wat, b.ops, Cap.DevIo | Cap.DevTimer, DEFAULT_KERNEL_CONFIG, board);
}

/** bus_read32 of a mapped timer register (software MPU check + device model read). */
export async function busRead(ops: number): Promise<Contender> {
  const board = await readBoardSource(DEVICE_DTS);
  const tim2 = board.devices.find((x) => x.name === 'tim2')!;
  const b = batching(ops);
  const wat = taskWat({
    imports: ['get_device_handle', 'map_dev', 'bus_read32'],
    setup: `${handleInto('$h', `(call $get_device_handle (i32.const ${tim2.id}))`)} ${acc('(call $map_dev (global.get $h))')}`,
    op: `(local.set $s (i32.add (local.get $s) (call $bus_read32 (i32.const ${tim2.baseAddress}))))`,
    ...b,
  });
  return single('bus-read', wat, b.ops, Cap.DevIo | Cap.DevTimer, DEFAULT_KERNEL_CONFIG, board);
}

// ---------------------------------------------------------------------------------------
// Blocking paths (floor: a bare Asyncify ping-pong round trip).

/** IPC round trip of `len` bytes: A sends, B receives and replies, A receives. */
export function ipcRoundTrip(name: string, ops: number, len: number, config: KernelConfig = DEFAULT_KERNEL_CONFIG): Contender {
  const b = batching(ops);
  const client = taskWat({
    imports: ['send_ipc', 'wait_for_event', 'get_process_handle'],
    setup: handleInto('$h', '(call $get_process_handle (i32.const 2))'),
    op: `${acc(`(call $send_ipc (global.get $h) (i32.const ${len}))`)} ${waitEvent(1)}`,
    ...b,
  });
  const server = taskWat({
    imports: ['send_ipc', 'wait_for_event'],
    op: `${waitEvent(1)} ${acc(`(call $send_ipc (i32.load (i32.const ${EXCH + 4})) (i32.const ${len}))`)}`,
    ...b,
  });
  return kernelContender(name, buildImage([{ name: 'client', label: 1, wat: client }, { name: 'server', label: 2, wat: server }], config), b.ops);
}

/** Signal round trip: A signals B and waits; B waits, then signals A. */
export function signalRoundTrip(ops: number): Contender {
  const b = batching(ops);
  const a = taskWat({
    imports: ['send_signal', 'wait_for_event', 'get_process_handle'],
    setup: handleInto('$h', '(call $get_process_handle (i32.const 2))'),
    op: `${acc('(call $send_signal (global.get $h) (i32.const 11))')} ${waitEvent(2)}`,
    ...b,
  });
  const bb = taskWat({
    imports: ['send_signal', 'wait_for_event', 'get_process_handle'],
    setup: handleInto('$h', '(call $get_process_handle (i32.const 1))'),
    op: `${waitEvent(2)} ${acc('(call $send_signal (global.get $h) (i32.const 12))')}`,
    ...b,
  });
  return kernelContender('signal-roundtrip', buildImage([{ name: 'a', label: 1, wat: a }, { name: 'b', label: 2, wat: bb }]), b.ops);
}

/** N tasks yielding in turn; `ops` yields per task. One yield = one context switch. */
export function yieldTasks(name: string, tasks: number, yieldsPerTask: number, perSwitch: boolean): Contender {
  const b = batching(yieldsPerTask);
  const wat = taskWat({ imports: ['sched_yield'], op: acc('(call $sched_yield)'), ...b });
  const config = { ...DEFAULT_KERNEL_CONFIG, maxTasks: Math.max(DEFAULT_KERNEL_CONFIG.maxTasks, tasks) };
  // Per switch: every yield switches to the next task. Per round trip: two yields (A->B->A).
  return kernelContender(name, buildUniformImage('y', tasks, wat, config), perSwitch ? b.ops * tasks : b.ops);
}

/** Two tasks sleeping 1 ms in turn: per round, each sleeps and is woken once (two switches). */
export function sleepWake(ops: number): Contender {
  const b = batching(ops);
  const wat = taskWat({
    imports: ['sleep'],
    // sleep ends with TIMEOUT when its delay expires: anything else is an error.
    op: `(local.set $s (call $sleep (i32.const 1) (i32.const 0))) ${acc(`(i32.ne (local.get $s) (i32.const ${Status.Timeout}))`)}`,
    ...b,
  });
  return kernelContender('sleep-wake', buildImage([{ name: 'a', label: 1, wat }, { name: 'b', label: 2, wat }]), b.ops);
}

const SHM_BOARD: Board = {
  model: 'bench', ramSize: 0, devices: [], dmaStreams: [],
  shms: [{ id: 0, path: '/reserved-memory/shm@40000', label: 0x51, owner: 1, baseAddress: 0x40000, size: 0x100, dmaPool: false, noMap: false }],
};

/** map_shm + unmap_shm of a 256-byte shared memory by its owner. */
export function shmMapUnmap(ops: number): Contender {
  const b = batching(ops);
  const wat = taskWat({
    imports: ['get_shm_handle', 'get_process_handle', 'shm_set_credential', 'map_shm', 'unmap_shm'],
    setup: `${handleInto('$h', '(call $get_shm_handle (i32.const 0x51))')}
      ${handleInto('$g', '(call $get_process_handle (i32.const 1))')}
      ${acc('(call $shm_set_credential (global.get $h) (global.get $g) (i32.const 5))')}`,
    op: `${acc('(call $map_shm (global.get $h))')} ${acc('(call $unmap_shm (global.get $h))')}`,
    ...b,
  });
  return single('shm-map-unmap', wat, b.ops, 0, DEFAULT_KERNEL_CONFIG, SHM_BOARD);
}

/** dma_start_stream of a 128-byte SHM-to-SHM stream, then wait for its completion event. */
export async function dmaRoundTrip(ops: number): Promise<Contender> {
  const board = await readBoardSource(DMA_DTS);
  const b = batching(ops);
  const wat = taskWat({
    imports: ['get_dma_stream_handle', 'dma_assign_stream', 'dma_start_stream', 'wait_for_event'],
    setup: `${handleInto('$h', '(call $get_dma_stream_handle (i32.const 0xd1))')} ${acc('(call $dma_assign_stream (global.get $h))')}`,
    op: `${acc('(call $dma_start_stream (global.get $h))')} ${waitEvent(8)}`,
    ...b,
  });
  return single('dma-roundtrip', wat, b.ops, Cap.DevDma, DEFAULT_KERNEL_CONFIG, board);
}

/** Where the synchronisation case puts its shared memory, and how big it is. */
const SYNC_BASE = 0x40000;
const SYNC_KIB = 16;

const SYNC_BOARD: Board = {
  model: 'bench', ramSize: 0, devices: [], dmaStreams: [],
  shms: [{ id: 0, path: '/reserved-memory/shm@40000', label: 0x52, owner: 1, baseAddress: SYNC_BASE, size: SYNC_KIB * 1024, dmaPool: false, noMap: false }],
};

/**
 * Two tasks yielding in turn, each writing the last word of a window before every yield.
 * With `shared`, the window is a 16 KiB SHM both tasks map with WRITE permission, so every
 * switch synchronises it: the outgoing task's window is compared with the canonical content
 * to its last word and copied back, the incoming task's window is copied in. Without, the
 * same addresses are plain task memory and no switch copies anything.
 */
function syncImage(shared: boolean, b: { batch: number; batches: number }): Uint8Array {
  const write = `(i32.store (i32.const ${SYNC_BASE + SYNC_KIB * 1024 - 4}) (local.get $i)) ${acc('(call $sched_yield)')}`;
  const imports = ['get_shm_handle', 'get_process_handle', 'shm_set_credential', 'map_shm', 'sched_yield'];
  // The owner lets itself and the other task map and write, then maps.
  const owner = taskWat({
    imports,
    setup: shared ? `${handleInto('$h', '(call $get_shm_handle (i32.const 0x52))')}
      ${handleInto('$g', '(call $get_process_handle (i32.const 1))')}
      ${acc('(call $shm_set_credential (global.get $h) (global.get $g) (i32.const 5))')}
      ${handleInto('$g', '(call $get_process_handle (i32.const 2))')}
      ${acc('(call $shm_set_credential (global.get $h) (global.get $g) (i32.const 5))')}
      ${acc('(call $map_shm (global.get $h))')}` : '',
    op: write, ...b,
  });
  // The user runs after the owner (lower priority) and maps once it is allowed to.
  const user = taskWat({
    imports,
    setup: shared ? `${handleInto('$h', '(call $get_shm_handle (i32.const 0x52))')} ${acc('(call $map_shm (global.get $h))')}` : '',
    op: write, ...b,
  });
  return buildImage([{ name: 'owner', label: 1, wat: owner, priority: 2 }, { name: 'user', label: 2, wat: user, priority: 1 }], DEFAULT_KERNEL_CONFIG, SYNC_BOARD);
}

/**
 * SHM synchronisation per KiB, as two contenders measured in the same interleaved rounds:
 * two tasks yielding in turn with a 16 KiB SHM both write between switches (`shared`), and
 * the same tasks without sharing (`plain`), each in nanoseconds per KiB synchronised (each
 * switch synchronises the window once: compare and copy out, copy in). The figure is their
 * per-round difference (bench.ts), so machine drift cancels out; a single round's
 * difference may be noise, the median is not.
 */
export function shmSyncPair(ops: number): { shared: Contender; plain: Contender } {
  const b = batching(ops);
  // Both tasks yield b.ops times: 2 * b.ops switches, each synchronising SYNC_KIB KiB.
  const kib = 2 * b.ops * SYNC_KIB;
  return { shared: kernelContender('shm-sync-shared', syncImage(true, b), kib), plain: kernelContender('shm-sync-plain', syncImage(false, b), kib) };
}
