/**
 * CPU-bound work under the kernel against the same module run directly in Node.
 *
 * The C sources in `c/cpu/src` are built with the C backend (`buildCApp`), one module per
 * workload (CRC-32, SHA-256, matrix multiply). The case integrates that module (metering +
 * Asyncify) into a one-task image with the default quantum and times the kernel run; the
 * floor instantiates the very same, uninstrumented module with stub imports and times its
 * `_start`. Both sides log the combined result, and the bench checks they agree.
 */

import { fileURLToPath } from 'node:url';
import { ExitPolicy } from '../abi/index.js';
import { writeImage } from '../../kernel/image/image.js';
import { bootImage } from '../../kernel/boot/boot.js';
import type { Kernel, RunResult } from '../../kernel/kernel.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import { buildCApp } from '../build/c.js';
import { integrateModule } from '../build/project.js';
import type { Contender } from './harness.js';
import { timeNs } from './harness.js';
import { checkRun } from './images.js';

const APP_DIR = fileURLToPath(new URL('./c/cpu/', import.meta.url));
const CACHE_DIR = fileURLToPath(new URL('../../build/.cache/bench/', import.meta.url));

/** Default task quantum (CONFIG_TASK_QUANTUM), in ms of virtual time. */
const DEFAULT_QUANTUM = 10;

export const WORKLOADS = [
  { name: 'crc32', work: 1, what: 'CRC-32 of 16 KiB' },
  { name: 'sha256', work: 2, what: 'SHA-256 of 4 KiB' },
  { name: 'matmul', work: 3, what: '48x48 int32 matrix multiply' },
] as const;

/** Thrown by the floor's `exit` stub to leave `_start`. */
class FloorExit extends Error {}

/** Case `cpu-NAME` and its floor `NAME-plain`; one operation is one call of `bench_work`. */
export async function cpuPair(workload: (typeof WORKLOADS)[number], iterations: number): Promise<{ kernel: Contender; plain: Contender }> {
  const built = await buildCApp({
    appDir: APP_DIR,
    appName: `bench-${workload.name}-${iterations}`, // one cache entry per variant (an entry evicts older ones of its name)
    exchangeAreaLen: DEFAULT_KERNEL_CONFIG.exchangeAreaLen,
    stackSize: 16384,
    heapSize: 0,
    extraDefines: { BENCH_WORK: String(workload.work), BENCH_ITERATIONS: String(iterations) },
    cacheDir: CACHE_DIR,
  });
  const plainModule = new WebAssembly.Module(built.wasm);
  const task = integrateModule(`cpu-${workload.name}`, {
    label: 1, priority: 1, quantum: DEFAULT_QUANTUM, autoStart: true, exitPolicy: ExitPolicy.NoRestart,
    stackSize: 16384, heapSize: 0, domain: 0, capabilities: 0,
  }, built.wasm, `${workload.name}/task.conf`, DEFAULT_KERNEL_CONFIG);
  const image = writeImage(DEFAULT_KERNEL_CONFIG, [task]);

  let kernelLine = '';
  const boot = (): Kernel => bootImage(image, { seed: 1, console: { line: (l) => { kernelLine = l; } } });
  const keep = boot(); // keeps the compiled module in V8's native module cache (see kernel-cases.ts)

  let plainLine = '';
  const decoder = new TextDecoder();
  const plainRound = (): number => {
    let memory: WebAssembly.Memory | undefined;
    let exchange = 0;
    const stubs: Record<string, (...args: number[]) => number> = {
      log: (len: number) => {
        plainLine = decoder.decode(new Uint8Array(memory!.buffer, exchange, len)).trimEnd();
        return 0;
      },
      exit: (status: number) => { throw new FloorExit(String(status)); },
    };
    const instance = new WebAssembly.Instance(plainModule, { rampart: stubs });
    memory = instance.exports.memory as WebAssembly.Memory;
    exchange = (instance.exports.__svcexchange as WebAssembly.Global).value as number;
    const start = instance.exports._start as (label: number, seed: number) => void;
    let status = '';
    const ns = timeNs(() => {
      try {
        start(1, 0x5eed);
      } catch (error) {
        if (!(error instanceof FloorExit)) throw error;
        status = error.message;
      }
    });
    if (status !== '0') throw new Error(`bench ${workload.name}-plain: exit(${status})`);
    return ns / iterations;
  };

  const kernel: Contender = {
    name: `cpu-${workload.name}`,
    round: () => {
      void keep;
      const k = boot();
      let result: RunResult | undefined;
      const ns = timeNs(() => { result = k.run(); });
      checkRun(`cpu-${workload.name}`, result!);
      const expected = `[cpu-${workload.name}] ${plainLine}`;
      if (plainLine !== '' && kernelLine !== expected) throw new Error(`bench cpu-${workload.name}: kernel logged '${kernelLine}', plain run '${expected}'`);
      return ns / iterations;
    },
  };
  return { kernel, plain: { name: `${workload.name}-plain`, round: plainRound } };
}
