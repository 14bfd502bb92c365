/**
 * Tests of the import policy's signature rule: plain ABI signatures everywhere, the
 * instrumentation's trailing budget argument only in instrumented modules (at boot), never
 * both forms for one name, and `takesBudgetArgument` agreeing with what was accepted.
 *
 * Interfaces are written as data (what `readWasmInterface` returns): the rule is about
 * signatures, not about parsing.
 */

import { describe, expect, it } from 'vitest';
import { Cap } from '../../toolchain/abi/index.js';
import type { ValType, WasmImport, WasmInterface } from '../platform/wasm-sections.js';
import { checkTaskImports, takesBudgetArgument } from './import-policy.js';

function rampart(name: string, params: number, results: readonly ValType[] = ['i32']): WasmImport {
  return { module: 'rampart', name, kind: 'function', type: { params: new Array<ValType>(params).fill('i32'), results } };
}

function iface(...imports: WasmImport[]): WasmInterface {
  return { imports, exports: [], hasStart: false, globalInits: new Map(), importedGlobals: 0, mutableI32Globals: new Set() };
}

const AT_BOOT = { allowPreempt: true };
const AT_INTEGRATION = { allowPreempt: false, configFile: 'apps/t/task.conf' };

describe('import policy: syscall and bus signatures', () => {
  it('accepts the plain ABI signature at integration and at boot', () => {
    const module = iface(rampart('get_cycle', 1), rampart('sched_yield', 0), rampart('gpio_set', 3), rampart('bus_write32', 2));
    expect(checkTaskImports('t', module, Cap.DevTimer | Cap.DevIo, AT_INTEGRATION)).toEqual([]);
    expect(checkTaskImports('t', module, Cap.DevTimer | Cap.DevIo, AT_BOOT)).toEqual([]);
  });

  it('accepts the instrumented signature (trailing budget) at boot only', () => {
    const module = iface(rampart('preempt', 0, []), rampart('get_cycle', 2), rampart('sched_yield', 1), rampart('gpio_set', 4), rampart('bus_read8', 2), rampart('bus_write32', 3));
    expect(checkTaskImports('t', module, Cap.DevTimer | Cap.DevIo, AT_BOOT)).toEqual([]);
    const before = iface(rampart('get_cycle', 2), rampart('bus_read8', 2));
    expect(checkTaskImports('t', before, Cap.DevTimer | Cap.DevIo, AT_INTEGRATION)).toEqual([
      "task 't': 'rampart.get_cycle' has signature (i32, i32) -> (i32), expected (i32) -> (i32)",
      "task 't': 'rampart.bus_read8' has signature (i32, i32) -> (i32), expected (i32) -> (i32)",
    ]);
  });

  it('refuses any other arity or type, naming the task, the import and both accepted forms', () => {
    const module = iface(rampart('get_cycle', 3), rampart('sched_yield', 0, []), rampart('bus_write8', 4));
    expect(checkTaskImports('t', module, Cap.DevTimer | Cap.DevIo, AT_BOOT)).toEqual([
      "task 't': 'rampart.get_cycle' has signature (i32, i32, i32) -> (i32), expected (i32) -> (i32), or (i32, i32) -> (i32) with the instrumentation's trailing budget argument",
      "task 't': 'rampart.sched_yield' has signature () -> (), expected () -> (i32), or (i32) -> (i32) with the instrumentation's trailing budget argument",
      "task 't': 'rampart.bus_write8' has signature (i32, i32, i32, i32) -> (i32), expected (i32, i32) -> (i32), or (i32, i32, i32) -> (i32) with the instrumentation's trailing budget argument",
    ]);
    const i64: WasmImport = { module: 'rampart', name: 'log', kind: 'function', type: { params: ['i32', 'i64'], results: ['i32'] } };
    expect(checkTaskImports('t', iface(i64), 0, AT_BOOT)).toHaveLength(1);
  });

  it('refuses one name imported in both forms (the kernel serves one function per name)', () => {
    const module = iface(rampart('get_cycle', 1), rampart('get_cycle', 2), rampart('log', 2), rampart('log', 2));
    expect(checkTaskImports('t', module, 0, AT_BOOT)).toEqual([
      "task 't': imports 'rampart.get_cycle' both with and without the instrumentation's budget argument; an import name has one signature",
    ]);
  });

  it('still checks capabilities for the instrumented form', () => {
    expect(checkTaskImports('t', iface(rampart('get_random', 1)), 0, AT_BOOT)).toEqual([
      "task 't': imports syscall 'get_random' (__sys_get_random) without capability CAP_CRY_KRNG; add CONFIG_CAP_CRY_KRNG=y to its task.conf",
    ]);
    expect(checkTaskImports('t', iface(rampart('bus_read32', 2)), 0, AT_BOOT)[0]).toMatch(/without any device capability/);
  });

  it('takesBudgetArgument tells the two forms apart, and nothing else has one', () => {
    expect(takesBudgetArgument(rampart('get_cycle', 2))).toBe(true);
    expect(takesBudgetArgument(rampart('get_cycle', 1))).toBe(false);
    expect(takesBudgetArgument(rampart('bus_write16', 3))).toBe(true);
    expect(takesBudgetArgument(rampart('bus_write16', 2))).toBe(false);
    expect(takesBudgetArgument(rampart('preempt', 0, []))).toBe(false);
    expect(takesBudgetArgument(rampart('no_such_syscall', 1))).toBe(false);
    expect(takesBudgetArgument({ module: 'wasi_snapshot_preview1', name: 'fd_close', kind: 'function', type: { params: ['i32'], results: ['i32'] } })).toBe(false);
  });
});
