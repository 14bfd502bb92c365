/**
 * A module that never reaches a metering point. Instrumented modules are checked at every
 * loop header and non-leaf function entry, so only an image that did not come from a
 * trusted integrator (unsigned, or signed with a key the kernel was told to trust) can
 * carry one. Signature checking at boot is the defence (image-signature.test.ts); the
 * wall-clock guard of `Kernel.run` / `rampart run --wall-timeout` is the last line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootImage } from '../../kernel/boot/boot.js';
import { writeImage } from '../../kernel/image/image.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import { JournalKind } from '../../kernel/managers/security/journal.js';
import { EXIT_WALL_TIMEOUT, runImageFile } from '../../toolchain/run.js';
import { taskWat, watToWasm } from '../helpers/wat.js';
import { integrateModule } from '../../toolchain/build/project.js';
import { ExitPolicy } from '../../toolchain/abi/index.js';

/** The task contract's exports, but the loop has no metering check: it never comes back. */
const UNMETERED = `(module
  (import "rampart" "preempt" (func $preempt))
  (memory (export "memory") 2 2)
  (global (export "__svcexchange") i32 (i32.const 1024))
  (global (export "__rampart_budget") (mut i32) (i32.const 0))
  (func (export "_start") (param i32 i32) (loop $l (br $l)))
  (func (export "asyncify_start_unwind") (param i32)) (func (export "asyncify_stop_unwind"))
  (func (export "asyncify_start_rewind") (param i32)) (func (export "asyncify_stop_rewind")))`;

const victim = integrateModule('victim', {
  label: 2, priority: 2, quantum: 10, autoStart: true, exitPolicy: ExitPolicy.NoRestart, stackSize: 0x2000, heapSize: 0, domain: 0, capabilities: 0,
}, watToWasm(taskWat({ imports: ['log'], body: '(call $report (i32.const 7))' })), 'victim/task.conf', DEFAULT_KERNEL_CONFIG);

const image = (): Uint8Array => writeImage(DEFAULT_KERNEL_CONFIG, [
  { ...victim, name: 'victim', label: 2 },
  {
    name: 'spinner', label: 1, priority: 1, quantum: 10, capabilities: 0, autoStart: true, exitPolicy: 0, domain: 0,
    exchangeAddress: 1024, asyncifyDataAddress: 65536, asyncifyDataSize: 65536, module: watToWasm(UNMETERED),
  },
]);

describe('a task that never returns to the kernel', () => {
  it('is stopped by the wall-clock guard, named, and journaled', () => {
    const lines: string[] = [];
    const kernel = bootImage(image(), { seed: 1, console: { line: (l) => lines.push(l) } });
    const started = Date.now();
    const result = kernel.run({ wallTimeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.end.kind).toBe('wall-timeout');
    expect(result.end.message).toMatch(/task 'spinner' never returned to the kernel/);
    // the victim ran first (higher priority) and its output is intact
    expect(lines).toEqual(['[victim] s=07']);
    expect(kernel.security.journal.records().map((r) => r.kind)).toContain(JournalKind.WatchdogWallClock);
  });

  it('refuses a meaningless limit', () => {
    const kernel = bootImage(image(), { seed: 1, console: { line: () => undefined } });
    expect(() => kernel.run({ wallTimeoutMs: 0 })).toThrow(RangeError);
  });

  it('rampart run --wall-timeout exits with 5 and says which task', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-unmetered-'));
    try {
      const file = join(dir, 'image.rimg');
      writeFileSync(file, image());
      let err = '';
      let out = '';
      const code = await runImageFile(file, { seed: 1, wallTimeoutSeconds: 1, stdout: (s) => { out += s; }, stderr: (s) => { err += s; } });
      expect(code).toBe(EXIT_WALL_TIMEOUT);
      expect(out).toBe('[victim] s=07\n');
      expect(err).toMatch(/task 'spinner' never returned to the kernel/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
