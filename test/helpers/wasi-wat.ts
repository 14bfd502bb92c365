/**
 * Test builders for hand-written tasks that call WASI imports directly, as hostile callers.
 *
 * `WASI_PREVIEW1` is the whole `wasi_snapshot_preview1` list written out by hand from its
 * witx definition (core-wasm signatures, as wasi-libc imports them), so tests compare the
 * kernel's table against something it was not generated from. `wasiTask` wraps a `_start`
 * body into a module importing the named WASI functions plus `rampart.log` for
 * `(call $report (i32))`, which logs "s=NN" (a status or small number, two digits).
 * Memory: 1 page; the exchange area at 1024; scratch from 4096.
 */

import { EXCH, taskWat } from './wat.js';

/** Every `wasi_snapshot_preview1` function with its core-wasm signature, in witx order. */
export const WASI_PREVIEW1: Readonly<Record<string, string>> = {
  args_get: '(param i32 i32) (result i32)',
  args_sizes_get: '(param i32 i32) (result i32)',
  environ_get: '(param i32 i32) (result i32)',
  environ_sizes_get: '(param i32 i32) (result i32)',
  clock_res_get: '(param i32 i32) (result i32)',
  clock_time_get: '(param i32 i64 i32) (result i32)',
  fd_advise: '(param i32 i64 i64 i32) (result i32)',
  fd_allocate: '(param i32 i64 i64) (result i32)',
  fd_close: '(param i32) (result i32)',
  fd_datasync: '(param i32) (result i32)',
  fd_fdstat_get: '(param i32 i32) (result i32)',
  fd_fdstat_set_flags: '(param i32 i32) (result i32)',
  fd_fdstat_set_rights: '(param i32 i64 i64) (result i32)',
  fd_filestat_get: '(param i32 i32) (result i32)',
  fd_filestat_set_size: '(param i32 i64) (result i32)',
  fd_filestat_set_times: '(param i32 i64 i64 i32) (result i32)',
  fd_pread: '(param i32 i32 i32 i64 i32) (result i32)',
  fd_prestat_get: '(param i32 i32) (result i32)',
  fd_prestat_dir_name: '(param i32 i32 i32) (result i32)',
  fd_pwrite: '(param i32 i32 i32 i64 i32) (result i32)',
  fd_read: '(param i32 i32 i32 i32) (result i32)',
  fd_readdir: '(param i32 i32 i32 i64 i32) (result i32)',
  fd_renumber: '(param i32 i32) (result i32)',
  fd_seek: '(param i32 i64 i32 i32) (result i32)',
  fd_sync: '(param i32) (result i32)',
  fd_tell: '(param i32 i32) (result i32)',
  fd_write: '(param i32 i32 i32 i32) (result i32)',
  path_create_directory: '(param i32 i32 i32) (result i32)',
  path_filestat_get: '(param i32 i32 i32 i32 i32) (result i32)',
  path_filestat_set_times: '(param i32 i32 i32 i32 i64 i64 i32) (result i32)',
  path_link: '(param i32 i32 i32 i32 i32 i32 i32) (result i32)',
  path_open: '(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)',
  path_readlink: '(param i32 i32 i32 i32 i32 i32) (result i32)',
  path_remove_directory: '(param i32 i32 i32) (result i32)',
  path_rename: '(param i32 i32 i32 i32 i32 i32) (result i32)',
  path_symlink: '(param i32 i32 i32 i32 i32) (result i32)',
  path_unlink_file: '(param i32 i32 i32) (result i32)',
  poll_oneoff: '(param i32 i32 i32 i32) (result i32)',
  proc_exit: '(param i32)',
  proc_raise: '(param i32) (result i32)',
  sched_yield: '(result i32)',
  random_get: '(param i32 i32) (result i32)',
  sock_accept: '(param i32 i32 i32) (result i32)',
  sock_recv: '(param i32 i32 i32 i32 i32 i32) (result i32)',
  sock_send: '(param i32 i32 i32 i32 i32) (result i32)',
  sock_shutdown: '(param i32 i32) (result i32)',
};

/** A task importing WASI functions (signatures from {@link WASI_PREVIEW1} unless overridden). */
export function wasiTask(o: { wasi: readonly string[]; body: string; signatures?: Record<string, string>; extra?: string; rampart?: readonly string[] }): string {
  const sig = { ...WASI_PREVIEW1, ...o.signatures };
  const imports = o.wasi.map((n) => `(import "wasi_snapshot_preview1" "${n}" (func $${n} ${sig[n]}))`).join('\n  ');
  const rampart = (o.rampart ?? []).map((n) => `(import "rampart" "${n}" (func $rampart_${n} (result i32)))`).join('\n  ');
  return `(module
  ${imports}
  ${rampart}
  (import "rampart" "log" (func $log (param i32) (result i32)))
  (memory (export "memory") 1 1)
  (global (export "__svcexchange") i32 (i32.const ${EXCH}))
  (func $report (param $v i32)
    (i32.store8 (i32.const ${EXCH}) (i32.const 115))
    (i32.store8 (i32.const ${EXCH + 1}) (i32.const 61))
    (i32.store8 (i32.const ${EXCH + 2}) (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $v) (i32.const 10)) (i32.const 10))))
    (i32.store8 (i32.const ${EXCH + 3}) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
    (i32.store8 (i32.const ${EXCH + 4}) (i32.const 10))
    (drop (call $log (i32.const 5))))
  ${o.extra ?? ''}
  (func (export "_start") (param $label i32) (param $seed i32)
    (local $i i32) (local $a i64) (local $b i64)
    ${o.body})
)`;
}

/** `(call $report expr)`. */
export const r = (expr: string) => `(call $report ${expr})`;
/** A WAT i32 operand: a number, or an expression already. */
export const v = (x: number | string) => (typeof x === 'number' ? `(i32.const ${x})` : x);
/**
 * `n` bytes before the end of the task's memory, computed by the task itself: the integrator
 * adds the Asyncify save area to the memory, so the end is not the WAT's declared size.
 */
export const end = (n: number) => `(i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const ${n}))`;
/** Store an iovec {buf, len} at `at`. */
export const iov = (at: number, buf: number | string, len: number | string) =>
  `(i32.store (i32.const ${at}) ${v(buf)}) (i32.store (i32.const ${at + 4}) ${v(len)})`;

/** A well-behaved neighbour: proves the kernel keeps running after the hostile task. */
export const bystander = { name: 'z', label: 2, priority: 0, wat: taskWat({ imports: ['log'], extra: '(data (i32.const 4096) "still here\\n")', body: '(call $say (i32.const 4096) (i32.const 11))' }) };
