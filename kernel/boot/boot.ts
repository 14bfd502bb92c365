/**
 * Boot: image bytes -> a kernel ready to run. The one place where the image's claims are
 * turned into trusted descriptors.
 *
 * Everything the integrator checked is checked again here, because an image can come from
 * anywhere: label uniqueness and reserved labels, each module's imports against its
 * task's capabilities (signatures included), the exports the kernel relies on, the
 * exchange area and the Asyncify save area inside the module's memory, no start function
 * (it would run before the kernel controls the task), and that the tasks, SHMs and kernel
 * reservation fit the board's RAM (image/ram-budget.ts, the integrator's own accounting).
 * All failures are reported together.
 */

import { EVENT_HEADER_SIZE, IDLE_TASK_LABEL } from '../../toolchain/abi/index.js';
import { readImage, type Image, ImageError, taskClaimProblems } from '../image/image.js';
import { describeRamBudget, isWithinRam, ramBudget, taskRamShare, type TaskRamShare } from '../image/ram-budget.js';
import { verifyImageSignature, ImageSignatureError } from './verify.js';
import { Kernel, type KernelOptions, type TaskDescriptor } from '../kernel.js';
import { readWasmInterface, exportedGlobalConst, WasmFormatError, type WasmInterface } from '../platform/wasm-sections.js';
import { buildImports } from '../syscalls/table.js';
import { checkTaskImports, takesBudgetArgument } from './import-policy.js';
import { checkBoardAtBoot } from './board-check.js';
import { NO_DEVICES } from '../board-runtime.js';
import { createBoardRuntime, type EmulatedBoard } from './board-runtime-factory.js';
import { BusConfigError } from '../bus/bus.js';
import { Entropy } from '../managers/security/entropy.js';

/** The image was refused; `problems` lists every reason. */
export class ImageRefused extends Error {
  override readonly name = 'ImageRefused';
  constructor(readonly problems: readonly string[]) {
    super(`image refused:\n  - ${problems.join('\n  - ')}`);
  }
}

const REQUIRED_FUNCTION_EXPORTS = ['_start', 'asyncify_start_unwind', 'asyncify_stop_unwind', 'asyncify_start_rewind', 'asyncify_stop_rewind'];
const PAGE = 65536;

function checkModule(task: Image['tasks'][number], info: WasmInterface, exchangeLen: number, board: Image['board']): string[] {
  const problems: string[] = [];
  const name = task.name;
  for (const e of REQUIRED_FUNCTION_EXPORTS) {
    if (!info.exports.some((x) => x.kind === 'function' && x.name === e)) problems.push(`task '${name}': module does not export function '${e}' (not built by the Rampart integrator?)`);
  }
  if (!info.exports.some((x) => x.kind === 'memory' && x.name === 'memory')) problems.push(`task '${name}': module does not export its memory as 'memory'`);
  const budget = info.exports.find((x) => x.kind === 'global' && x.name === '__rampart_budget');
  if (budget === undefined) problems.push(`task '${name}': module is not metered (no '__rampart_budget' export)`);
  else if (!info.mutableI32Globals.has(budget.index)) problems.push(`task '${name}': '__rampart_budget' is not a mutable i32 global defined by the module (not instrumented by the Rampart integrator?)`);
  if (info.hasStart) problems.push(`task '${name}': module has a start function, which would run before the kernel controls it`);
  if (info.memory === undefined) { problems.push(`task '${name}': module defines no memory`); return problems; }
  const bytes = info.memory.initial * PAGE;
  // Statically allocated (the RAM budget charges the initial size): a growable memory could escape it.
  if (info.memory.maximum !== info.memory.initial) {
    problems.push(`task '${name}': its memory can grow (${info.memory.initial} pages, maximum ${info.memory.maximum ?? 'none'}); a task's memory is fixed (not instrumented by the Rampart integrator?)`);
  }
  const exch = exportedGlobalConst(info, '__svcexchange');
  if (exch === undefined) problems.push(`task '${name}': module does not export '__svcexchange'`);
  else if (exch >>> 0 !== task.exchangeAddress) problems.push(`task '${name}': image metadata says exchange area at ${task.exchangeAddress}, module says ${exch >>> 0}`);
  if (task.exchangeAddress % 8 !== 0 || task.exchangeAddress + exchangeLen > bytes) {
    problems.push(`task '${name}': exchange area [${task.exchangeAddress}, +${exchangeLen}) is not an aligned window of its ${bytes}-byte memory`);
  }
  if (task.asyncifyDataAddress % 8 !== 0 || task.asyncifyDataAddress + task.asyncifyDataSize > bytes) {
    problems.push(`task '${name}': Asyncify save area is outside its memory`);
  }
  // Every task may become the user of any SHM, so every SHM window must fit in every task's
  // memory, clear of the exchange area and the Asyncify save area.
  for (const shm of board.shms) {
    const end = shm.baseAddress + shm.size;
    if (end > bytes) problems.push(`task '${name}': its ${bytes}-byte memory does not hold shared memory ${shm.path} at [0x${shm.baseAddress.toString(16)}, 0x${end.toString(16)})`);
    else if (shm.baseAddress < task.exchangeAddress + exchangeLen && task.exchangeAddress < end) problems.push(`task '${name}': shared memory ${shm.path} overlaps its exchange area`);
    else if (shm.baseAddress < task.asyncifyDataAddress + task.asyncifyDataSize && task.asyncifyDataAddress < end) problems.push(`task '${name}': shared memory ${shm.path} overlaps its Asyncify save area`);
  }
  const exchEnd = task.exchangeAddress + exchangeLen;
  if (task.asyncifyDataAddress < exchEnd && task.exchangeAddress < task.asyncifyDataAddress + task.asyncifyDataSize) {
    problems.push(`task '${name}': Asyncify save area overlaps the exchange area`);
  }
  return problems;
}

/** What boot checks the image against, on top of the kernel's own options. */
export interface BootOptions extends KernelOptions {
  /**
   * Armored OpenPGP public key that must have signed the image. OpenPGP verification is
   * asynchronous, so an image is booted against a trust anchor with `bootSignedImage`;
   * `bootImage` refuses to run with one rather than silently skip the check.
   */
  readonly trustAnchor?: string;
  /** `kernelConfigHash` of the configuration this kernel was built for; another is refused. */
  readonly kernelConfigHash?: string;
}

function readImageOrRefuse(bytes: Uint8Array): Image {
  try {
    return readImage(bytes);
  } catch (error) {
    if (error instanceof ImageError) throw new ImageRefused([error.message]);
    throw error;
  }
}

/**
 * Verify the image signature against `options.trustAnchor`, then boot it. The bytes are
 * copied first so that what was verified is what boots, whatever the caller does with its
 * buffer meanwhile. Rejects with `ImageRefused` naming the reason.
 */
export async function bootSignedImage(bytes: Uint8Array, options: BootOptions & { readonly trustAnchor: string }): Promise<Kernel> {
  const own = Uint8Array.from(bytes);
  const image = readImageOrRefuse(own);
  try {
    const signer = await verifyImageSignature(own, image.signature, options.trustAnchor);
    options.kernelLog?.(`rampart: image signature verified: key ${signer.fingerprint} (${signer.userIds.join(', ')}), signed ${signer.signedAt.toISOString()}`);
  } catch (error) {
    if (error instanceof ImageSignatureError) throw new ImageRefused([error.message]);
    throw error;
  }
  const { trustAnchor: _verified, ...rest } = options;
  return bootImage(own, rest);
}

/** The board's device models; a board they cannot be built from is a refused image. */
function createRuntimeOrRefuse(board: Image['board'], options: Parameters<typeof createBoardRuntime>[1]): ReturnType<typeof createBoardRuntime> {
  try {
    return createBoardRuntime(board, options);
  } catch (error) {
    if (error instanceof BusConfigError) throw new ImageRefused([`board: ${error.message}`]);
    throw error;
  }
}

/** Validate an image and build its kernel (not yet run). Throws `ImageRefused` or `ImageError`. */
export function bootImage(bytes: Uint8Array, options: BootOptions): Kernel {
  if (options.trustAnchor !== undefined) throw new ImageRefused(['a trust anchor is configured: boot with bootSignedImage, which verifies the signature first']);
  const image = readImageOrRefuse(bytes);
  const problems: string[] = [];
  if (options.kernelConfigHash !== undefined && options.kernelConfigHash !== image.configHash) {
    throw new ImageRefused([`image is for another kernel configuration (${image.configHash.slice(0, 16)}); this kernel was built for ${options.kernelConfigHash.slice(0, 16)}`]);
  }
  const labels = new Map<number, string>();
  const names = new Set<string>();
  const descriptors: TaskDescriptor[] = [];
  const ramShares: TaskRamShare[] = [];
  if (image.kernel.exchangeAreaLen < EVENT_HEADER_SIZE * 2) problems.push('exchange area too small');
  for (const task of image.tasks) {
    if (task.label === IDLE_TASK_LABEL) problems.push(`task '${task.name}': label 0xcafe is reserved for the idle task`);
    const other = labels.get(task.label);
    if (other !== undefined) problems.push(`tasks '${other}' and '${task.name}' share label 0x${task.label.toString(16)}`);
    labels.set(task.label, task.name);
    if (names.has(task.name)) problems.push(`two tasks are named '${task.name}'`);
    names.add(task.name);
    let info: WasmInterface;
    try {
      info = readWasmInterface(task.module);
    } catch (error) {
      if (error instanceof WasmFormatError) { problems.push(`task '${task.name}': ${error.message}`); continue; }
      throw error;
    }
    problems.push(...checkTaskImports(task.name, info, task.capabilities, { allowPreempt: true }));
    problems.push(...checkModule(task, info, image.kernel.exchangeAreaLen, image.board));
    problems.push(...taskClaimProblems(task, image.board, info.memory?.initial));
    const layout = { exchangeAddress: task.exchangeAddress, exchangeLength: image.kernel.exchangeAreaLen, asyncifyDataAddress: task.asyncifyDataAddress };
    const ram = taskRamShare(task.name, info, layout, image.board);
    problems.push(...ram.problems);
    if (ram.share !== undefined) ramShares.push(ram.share);
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(task.module as Uint8Array<ArrayBuffer>);
    } catch (error) {
      problems.push(`task '${task.name}': module does not compile: ${(error as Error).message}`);
      continue;
    }
    descriptors.push(Object.freeze({
      name: task.name,
      label: task.label,
      priority: task.priority,
      quantum: task.quantum,
      capabilities: task.capabilities,
      autoStart: task.autoStart,
      exitPolicy: task.exitPolicy,
      domain: task.domain,
      module,
      layout: Object.freeze({
        exchangeAddress: task.exchangeAddress,
        exchangeLength: image.kernel.exchangeAreaLen,
        asyncifyDataAddress: task.asyncifyDataAddress,
        asyncifyDataSize: task.asyncifyDataSize,
      }),
      imports: Object.freeze(info.imports.map((i) => i.name)),
      budgetArgument: Object.freeze(info.imports.map(takesBudgetArgument)),
    }));
  }
  // The board's RAM, recomputed from the modules: never weaken this to trust the build's
  // verdict, an image can come from anywhere. Counted only when every task could be.
  const budget = ramShares.length === image.tasks.length ? ramBudget(image.board, ramShares) : undefined;
  if (budget !== undefined && !isWithinRam(budget)) problems.push(`the tasks, shared memories and kernel do not fit the board's RAM: ${describeRamBudget(budget)}`);
  if (problems.length > 0) throw new ImageRefused(problems);
  problems.push(...checkBoardAtBoot(image.board, image.tasks));
  if (problems.length > 0) throw new ImageRefused(problems);
  const boardEntropy = new Entropy((options.seed ^ 0x5eed_b0a7) >>> 0);
  const runtime = image.board.devices.length === 0 && image.board.dmaStreams.length === 0 && options.scenario === undefined && options.vcd !== true
    ? NO_DEVICES
    : createRuntimeOrRefuse(image.board, {
      frequencyHz: image.kernel.nominalFrequencyHz,
      random: () => boardEntropy.next32(),
      ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
      ...(options.vcd === true ? { vcd: true } : {}),
    });
  if (options.backupSram !== undefined) (runtime as Partial<EmulatedBoard>).backupSram?.restore(options.backupSram);
  const kernel = new Kernel(image.kernel, image.board, runtime, descriptors, buildImports, options);
  if (options.journalPolicy === 'refuse-boot' && kernel.security.journal.previous.length > 0) {
    const n = kernel.security.journal.previous.length;
    throw new ImageRefused([`abnormal-event journal holds ${n} event${n === 1 ? '' : 's'} from previous runs and the journal policy is refuse-boot (inspect them, then clear the backup file)`]);
  }
  kernel.boot();
  return kernel;
}
