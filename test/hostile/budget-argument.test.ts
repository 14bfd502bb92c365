/**
 * Hostile modules against the budget argument of syscall imports.
 *
 * The kernel takes an instrumented module's budget from the trailing argument of its
 * syscalls instead of reading `__rampart_budget`. A module built by something other than
 * the integrator controls that argument, exactly as it controls the global: the argument
 * must buy it nothing the global did not. Each module here is packed raw (no integrator)
 * with inert Asyncify exports, as a forged image would be.
 */

import { describe, expect, it } from 'vitest';
import { bootImage, ImageRefused } from '../../kernel/boot/boot.js';
import { writeImage } from '../../kernel/image/image.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import { watToWasm } from '../helpers/wat.js';

function forged(imports: string, body: string): Uint8Array {
  const wat = `(module
    (import "rampart" "preempt" (func $preempt))
    ${imports}
    (memory (export "memory") 2 2)
    (global (export "__svcexchange") i32 (i32.const 1024))
    (global $budget (export "__rampart_budget") (mut i32) (i32.const 0))
    (func (export "_start") (param i32 i32) ${body})
    (func (export "asyncify_start_unwind") (param i32)) (func (export "asyncify_stop_unwind"))
    (func (export "asyncify_start_rewind") (param i32)) (func (export "asyncify_stop_rewind")))`;
  return writeImage(DEFAULT_KERNEL_CONFIG, [{
    name: 'forged', label: 1, priority: 1, quantum: 10, capabilities: 0, autoStart: true, exitPolicy: 0, domain: 0,
    exchangeAddress: 1024, asyncifyDataAddress: 65536, asyncifyDataSize: 65536, module: watToWasm(wat),
  }]);
}

describe('a forged budget argument', () => {
  it('raising it is metering tampering: the task is killed and time never runs backwards', () => {
    // alarm accounts the slice, which is where a raised budget shows.
    const image = forged('(import "rampart" "alarm" (func $alarm (param i32 i32 i32) (result i32)))', `
      (global.set $budget (i32.sub (global.get $budget) (i32.const 1000)))
      ;; the global is left alone: only the argument lies
      (drop (call $alarm (i32.const 5) (i32.const 0) (i32.add (global.get $budget) (i32.const 100000))))`);
    const result = bootImage(image, { seed: 1, console: { line: () => undefined } }).run();
    expect(result.tasks[0]!.fault?.message).toMatch(/cycle budget was raised by its own code/);
    expect(result.cycles).toBeGreaterThanOrEqual(0);
  });

  it('a raised argument to get_cycle misleads only the caller: kernel time does not move back', () => {
    const image = forged('(import "rampart" "get_cycle" (func $get_cycle (param i32 i32) (result i32)))', `
      (global.set $budget (i32.sub (global.get $budget) (i32.const 1000)))
      (drop (call $get_cycle (i32.const 3) (i32.add (global.get $budget) (i32.const 100000))))`);
    const result = bootImage(image, { seed: 1, console: { line: () => undefined } }).run();
    expect(result.tasks[0]!.state).toBe('finished');
    expect(result.cycles).toBe(1000);
  });

  it('one import name in both forms is refused at boot (one of them would pass no budget)', () => {
    const image = forged(`
      (import "rampart" "get_cycle" (func $plain (param i32) (result i32)))
      (import "rampart" "get_cycle" (func $budgeted (param i32 i32) (result i32)))`, `
      (drop (call $plain (i32.const 3)))
      (drop (call $budgeted (i32.const 3) (global.get $budget)))`);
    expect(() => bootImage(image, { seed: 1, console: { line: () => undefined } })).toThrow(ImageRefused);
    expect(() => bootImage(image, { seed: 1, console: { line: () => undefined } })).toThrow(/both with and without the instrumentation's budget argument/);
  });
});
