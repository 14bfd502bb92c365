/**
 * Shared memories through a booted kernel: credentials, mapping, exact sharing between two
 * Wasm memories, write-permission faults, peer termination. The board is given directly
 * (the devicetree path is tested with the toolchain).
 */
import { describe, expect, it } from 'vitest';
import type { Board } from '../../kernel/board.js';
import { runWat, taskWat } from '../helpers/wat.js';

const BASE = 0x8000;
const board = (extra: Partial<Board['shms'][number]> = {}): Board => ({
  model: 'test', ramSize: 0, devices: [], dmaStreams: [],
  shms: [{ id: 0, path: '/reserved-memory/shm@8000', label: 0x51, owner: 1, baseAddress: BASE, size: 0x100, dmaPool: false, noMap: false, ...extra }],
});
const r = (expr: string) => `(call $report ${expr})`;
const IMPORTS = ['log', 'get_shm_handle', 'map_shm', 'unmap_shm', 'shm_set_credential', 'shm_get_infos', 'get_process_handle', 'send_signal', 'wait_for_event', 'sched_yield'];

/** Owner: creds for itself, writes "owned", lets B map read-only, signals B, waits for B's signal. */
const owner = taskWat({
  imports: IMPORTS,
  body: `(drop (call $get_shm_handle (i32.const 0x51))) (local.set $h (i32.load (i32.const 1024)))
    (drop (call $get_process_handle (i32.const 2))) (local.set $j (i32.load (i32.const 1024)))
    (drop (call $get_process_handle (i32.const 1))) (local.set $k (i32.load (i32.const 1024)))
    ${r('(call $map_shm (local.get $h))')}
    ${r('(call $shm_set_credential (local.get $h) (local.get $k) (i32.const 5))')}
    ${r('(call $map_shm (local.get $h))')}
    ${r('(call $map_shm (local.get $h))')}
    ${r('(call $shm_set_credential (local.get $h) (local.get $j) (i32.const 1))')}
    (i32.store (i32.const ${BASE}) (i32.const 0x6e776f))
    ${r('(call $shm_get_infos (local.get $h))')}
    ${r('(i32.eq (i32.load (i32.const 1032)) (i32.const ' + BASE + '))')} ${r('(i32.load (i32.const 1040))')}
    ${r('(call $send_signal (local.get $j) (i32.const 11))')}
    (drop (call $wait_for_event (i32.const 2) (i32.const 0)))
    ${r('(call $wait_for_event (i32.const 2) (i32.const -1))')}
    ${r('(i32.load (i32.const 1032))')}`,
});

describe('shared memories', () => {
  it('owner sets credentials and maps; the user sees exactly what the owner wrote', () => {
    const user = taskWat({
      imports: IMPORTS,
      body: `${r('(call $get_shm_handle (i32.const 0x51))')} (drop (call $wait_for_event (i32.const 2) (i32.const 0)))
        (drop (call $get_shm_handle (i32.const 0x51))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $map_shm (local.get $h))')}
        (i32.store (i32.const 1024) (i32.load (i32.const ${BASE}))) (i32.store8 (i32.const 1027) (i32.const 10))
        (drop (call $log (i32.const 4)))
        (drop (call $get_process_handle (i32.const 2)))
        ${r('(call $shm_set_credential (local.get $h) (i32.load (i32.const 1024)) (i32.const 5))')}
        (drop (call $get_process_handle (i32.const 1)))
        (drop (call $send_signal (i32.load (i32.const 1024)) (i32.const 12)))`,
    });
    const run = runWat([{ name: 'a', label: 1, priority: 5, wat: owner }, { name: 'b', label: 2, wat: user }], {}, { board: board() });
    expect(run.lines).toEqual([
      '[a] s=02', '[a] s=00', '[a] s=00', '[a] s=05', '[a] s=00', '[a] s=00', '[a] s=01', '[a] s=05', '[a] s=00',
      '[b] s=00', '[b] s=00', '[b] own', '[b] s=02',
      '[a] s=00', '[a] s=12',
    ]);
  });

  it('a task writing a read-only mapping faults at switch-out, and the owner gets SIGNAL_PIPE', () => {
    const vandal = taskWat({
      imports: IMPORTS,
      body: `(drop (call $wait_for_event (i32.const 2) (i32.const 0)))
        (drop (call $get_shm_handle (i32.const 0x51))) (local.set $h (i32.load (i32.const 1024)))
        (drop (call $map_shm (local.get $h)))
        (i32.store (i32.const ${BASE}) (i32.const 0x21212121))
        (drop (call $sched_yield))
        ${r('(i32.const 99)')}`,
    });
    const run = runWat([{ name: 'a', label: 1, priority: 5, wat: owner }, { name: 'b', label: 2, wat: vandal }], {}, { board: board() });
    expect(run.result.tasks[1]!.state).toBe('fault');
    expect(run.result.tasks[1]!.fault!.message).toMatch(/wrote to shared memory 0x51 without WRITE permission/);
    expect(run.lines).not.toContain('[b] s=99');
    // the owner's wait ends with b's SIGNAL_PIPE (7), and its content is intact
    expect(run.lines.slice(-2)).toEqual(['[a] s=00', '[a] s=07']);
  });

  it('refuses others, no-map SHMs and bad handles', () => {
    const stranger = taskWat({ imports: IMPORTS, body: `${r('(call $get_shm_handle (i32.const 0x51))')} ${r('(call $get_shm_handle (i32.const 0x52))')} ${r('(call $map_shm (i32.const 0))')} ${r('(call $shm_get_infos (i32.const 0x100))')}` });
    const run = runWat([{ name: 'a', label: 1, wat: taskWat({ imports: ['log'], body: 'nop' }) }, { name: 'b', label: 2, wat: stranger }], {}, { board: board() });
    expect(run.lines).toEqual(['[b] s=01', '[b] s=01', '[b] s=01', '[b] s=01']);
    const nomap = taskWat({
      imports: IMPORTS,
      body: `(drop (call $get_shm_handle (i32.const 0x51))) (local.set $h (i32.load (i32.const 1024)))
        (drop (call $get_process_handle (i32.const 1)))
        ${r('(call $shm_set_credential (local.get $h) (i32.load (i32.const 1024)) (i32.const 5))')} ${r('(call $map_shm (local.get $h))')} ${r('(call $unmap_shm (local.get $h))')}`,
    });
    expect(runWat([{ name: 'a', label: 1, wat: nomap }], {}, { board: board({ noMap: true }) }).lines).toEqual(['[a] s=00', '[a] s=02', '[a] s=01']);
  });

  it('refuses at boot an SHM owned by no task', () => {
    expect(() => runWat([{ name: 'a', label: 1, wat: taskWat({ imports: ['log'], body: 'nop' }) }], {}, { board: board({ owner: 0x77 }) }))
      .toThrow('board: /reserved-memory/shm@8000: owner 0x77 names no task of the image');
  });
});

describe('shared-memory windows at boot', () => {
  it('refuses an SHM window outside a task memory or over its exchange area', () => {
    const wat = taskWat({ imports: ['log'], body: 'nop' });
    expect(() => runWat([{ name: 'a', label: 1, wat }], {}, { board: board({ baseAddress: 0x100000 }) }))
      .toThrow("task 'a': its 131072-byte memory does not hold shared memory /reserved-memory/shm@8000 at [0x100000, 0x100100)");
    expect(() => runWat([{ name: 'a', label: 1, wat }], {}, { board: board({ baseAddress: 1024 }) }))
      .toThrow("task 'a': shared memory /reserved-memory/shm@8000 overlaps its exchange area");
  });
});

/**
 * Waits until a signal is delivered into the exchange area: a wait that ends with INTR
 * (the signal arrived while blocked) is simply issued again, so the helper works whether
 * the signal was already pending or not.
 */
const WAIT_SIGNAL = `(func $waitSignal
    (loop $again (br_if $again (i32.ne (call $wait_for_event (i32.const 2) (i32.const 0)) (i32.const 0)))))`;
const shmTask = (body: string) => taskWat({ imports: IMPORTS, extra: WAIT_SIGNAL, body });
/** `[name] ...` lines of one task, without the prefix. */
const linesOf = (lines: readonly string[], name: string) => lines.filter((l) => l.startsWith(`[${name}] `)).map((l) => l.slice(name.length + 3));
/** Locals: $h the SHM handle, $j task b's handle, $k task c's handle (or the caller's own). */
const handles = (k: number) => `(drop (call $get_shm_handle (i32.const 0x51))) (local.set $h (i32.load (i32.const 1024)))
  (drop (call $get_process_handle (i32.const 2))) (local.set $j (i32.load (i32.const 1024)))
  (drop (call $get_process_handle (i32.const ${k}))) (local.set $k (i32.load (i32.const 1024)))`;
const signal = (handle: string) => `(drop (call $send_signal (local.get ${handle}) (i32.const 11)))`;

describe('shared memories: peers, users and limits (exact statuses, spec §1.2.7-10, §4.6)', () => {
  it('the owner ends while the user has the SHM mapped: the user gets SIGNAL_PIPE from the owner and keeps its own credentials', () => {
    const ownerThenFault = shmTask(`${handles(1)}
      ${r('(call $shm_set_credential (local.get $h) (local.get $j) (i32.const 1))')}
      ${signal('$j')} (call $waitSignal)
      unreachable`);
    const user = shmTask(`(call $waitSignal)
      (drop (call $get_process_handle (i32.const 1))) (local.set $k (i32.load (i32.const 1024)))
      (drop (call $get_shm_handle (i32.const 0x51))) (local.set $h (i32.load (i32.const 1024)))
      ${r('(call $map_shm (local.get $h))')}
      (drop (call $send_signal (local.get $k) (i32.const 11)))
      (call $waitSignal)
      ${r('(i32.load (i32.const 1032))')}
      ${r('(i32.eq (i32.load (i32.const 1028)) (local.get $k))')}
      ${r('(call $shm_get_infos (local.get $h))')} ${r('(i32.load (i32.const 1040))')}`);
    const run = runWat([{ name: 'a', label: 1, priority: 5, wat: ownerThenFault }, { name: 'b', label: 2, wat: user }], {}, { board: board() });
    expect(run.result.tasks[0]!.state).toBe('fault');
    expect(linesOf(run.lines, 'a')).toEqual(['s=00']);
    // SIGNAL_PIPE (7) whose source is the owner's handle; b is still the user, MAP only
    expect(linesOf(run.lines, 'b')).toEqual(['s=00', 's=07', 's=01', 's=00', 's=01']);
  });

  it('a new user replaces the old one: the old user\'s handle is INVALID everywhere, and the new user maps at once', () => {
    const owner2 = shmTask(`${handles(3)}
      ${r('(call $shm_set_credential (local.get $h) (local.get $j) (i32.const 1))')}
      ${signal('$j')} (call $waitSignal)
      ;; b has it mapped; the target is c, which has not: allowed
      ${r('(call $shm_set_credential (local.get $h) (local.get $k) (i32.const 1))')}
      ${signal('$j')} ${signal('$k')}`);
    const oldUser = shmTask(`(call $waitSignal)
      (drop (call $get_process_handle (i32.const 1))) (local.set $k (i32.load (i32.const 1024)))
      (drop (call $get_shm_handle (i32.const 0x51))) (local.set $h (i32.load (i32.const 1024)))
      ${r('(call $map_shm (local.get $h))')}
      ${signal('$k')} (call $waitSignal)
      ${r('(call $get_shm_handle (i32.const 0x51))')}
      ${r('(call $map_shm (local.get $h))')}
      ${r('(call $unmap_shm (local.get $h))')}
      ${r('(call $shm_get_infos (local.get $h))')}
      ${r('(call $shm_set_credential (local.get $h) (local.get $k) (i32.const 1))')}`);
    const newUser = shmTask(`(call $waitSignal)
      ${r('(call $get_shm_handle (i32.const 0x51))')} (local.set $h (i32.load (i32.const 1024)))
      ;; no stale "user mapped" flag left by b (the reference would answer ALREADY_MAPPED)
      ${r('(call $map_shm (local.get $h))')}
      ${r('(call $map_shm (local.get $h))')}`);
    const run = runWat([
      { name: 'a', label: 1, priority: 5, wat: owner2 }, { name: 'b', label: 2, wat: oldUser }, { name: 'c', label: 3, wat: newUser },
    ], {}, { board: board() });
    expect(linesOf(run.lines, 'a')).toEqual(['s=00', 's=00']);
    expect(linesOf(run.lines, 'b')).toEqual(['s=00', 's=01', 's=01', 's=01', 's=01', 's=01']);
    expect(linesOf(run.lines, 'c')).toEqual(['s=00', 's=00', 's=05']);
  });

  it('shm_set_credential is BUSY while the *target* has the SHM mapped, not while only the owner has (A.14)', () => {
    const owner3 = shmTask(`${handles(1)}
      ${r('(call $shm_set_credential (local.get $h) (local.get $k) (i32.const 5))')}
      ${r('(call $map_shm (local.get $h))')}
      ;; the target is the owner itself, which has it mapped
      ${r('(call $shm_set_credential (local.get $h) (local.get $k) (i32.const 5))')}
      ;; the owner's mapping does not block a change for b (the reference would answer BUSY)
      ${r('(call $shm_set_credential (local.get $h) (local.get $j) (i32.const 1))')}
      ${signal('$j')} (call $waitSignal)
      ${r('(call $shm_set_credential (local.get $h) (local.get $j) (i32.const 5))')}
      ${r('(call $unmap_shm (local.get $h))')}
      ${r('(call $shm_set_credential (local.get $h) (local.get $k) (i32.const 1))')}
      ${signal('$j')} (call $waitSignal)
      ${r('(call $shm_set_credential (local.get $h) (local.get $j) (i32.const 5))')}`);
    const user3 = shmTask(`(call $waitSignal)
      (drop (call $get_process_handle (i32.const 1))) (local.set $k (i32.load (i32.const 1024)))
      (drop (call $get_shm_handle (i32.const 0x51))) (local.set $h (i32.load (i32.const 1024)))
      ${r('(call $map_shm (local.get $h))')}
      ${signal('$k')} (call $waitSignal)
      ${r('(call $unmap_shm (local.get $h))')}
      ${signal('$k')}`);
    const run = runWat([{ name: 'a', label: 1, priority: 5, wat: owner3 }, { name: 'b', label: 2, wat: user3 }], {}, { board: board() });
    expect(linesOf(run.lines, 'a')).toEqual(['s=00', 's=00', 's=04', 's=00', 's=04', 's=00', 's=00', 's=00']);
    expect(linesOf(run.lines, 'b')).toEqual(['s=00', 's=00']);
  });
});
