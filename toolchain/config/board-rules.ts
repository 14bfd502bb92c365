/**
 * The build-time ownership rules of a board against a project's tasks.
 *
 * Owns `checkBoard` and `checkTaskLimits`. `checkBoard`: every owner names a task that holds the device's capability, no two
 * devices share registers, no pin, GPIO port, IRQ line, SHM label or stream label has two
 * owners (the kernel counting as one), and every DMA stream runs on a kernel-driven
 * controller between resources of its own owner (spec §6.3–§6.5 plus Rampart's rules).
 *
 * Invariants:
 * - The resource-sharing and DMA-wiring rules are the boot check's own functions
 *   (`sharedDeviceResources`, `dmaWiringProblems` in kernel/boot/board-check.ts), so build
 *   and boot cannot drift apart.
 * - Every violation is reported, one message each, naming the DTS file, the node path and
 *   the fix; nothing here throws for a bad board.
 */

import type { Board } from '../../kernel/board.js';
import type { UapiLimits } from './kconfig.js';
import { dmaWiringProblems, sharedDeviceResources } from '../../kernel/boot/board-check.js';
import { CAPABILITIES, Cap } from '../abi/capabilities.js';

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const hex8 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;


/** A task as the ownership checks see it. */
export interface BoardTask {
  readonly label: number;
  readonly name: string;
  readonly capabilities: number;
  /** The task.conf that sets its capabilities, named in fixes. */
  readonly configFile: string;
}

/** The remedy of each kind of resource that two owners share. */
const SHARED_FIX = {
  pin: 'a pin has one owner: point pinctrl-0 of one of them at another pin, or give both the same owner',
  'port-pin': 'the owner of a GPIO port owns all 16 of its pins: leave the port to the kernel (no outpost,owner), or give both the same owner',
  port: 'a GPIO port has one owner: keep one node for it',
  irq: 'an interrupt line goes to one owner: fix the interrupts of one of them, or give both the same owner',
} as const;

/**
 * The remedy when one of the two is the kernel's device (the console, a DMA controller):
 * no task can share with the kernel (an explicit owner 0 is refused), so the task's node
 * must change.
 */
const KERNEL_SHARED_FIX = {
  pin: 'a pin the kernel uses is never a task\'s: point pinctrl-0 of this node at another pin',
  'port-pin': 'a GPIO port the kernel keeps is never a task\'s: point pinctrl-0 of this node at a pin of another port',
  port: 'a GPIO port the kernel keeps is never a task\'s: remove outpost,owner from this node',
  irq: 'a line the kernel uses is never a task\'s: fix the interrupts of this node',
} as const;

const capName = (cap: number): string => CAPABILITIES.find((c) => 1 << c.bit === cap)?.name ?? hex(cap);

/**
 * Check a board against the project's tasks (spec §6.3–§6.5 plus Rampart's build-time rules).
 *
 * Ownership is exclusive: besides owners that name tasks holding the capability, no two
 * devices share registers, and no pin, GPIO port or IRQ line is used by devices of two
 * owners. A GPIO port node owned by a task gives it all 16 pins of that port, so a pin in
 * it may only be listed by devices of the same owner. The kernel (owner 0: the console and
 * the DMA controllers it drives) counts as an owner, so no task device may list a DMA
 * channel's completion line. Boot re-checks the same rules on the image
 * (kernel/boot/board-check.ts).
 *
 * @param dtsFile how messages name the board file (e.g. `board.dts`).
 * @returns every violation, one message each (`file: node path: problem; fix`); empty when
 *   the board is consistent.
 */
export function checkBoard(board: Board, tasks: readonly BoardTask[], dtsFile: string): string[] {
  const out: string[] = [];
  const byLabel = new Map(tasks.map((t) => [t.label >>> 0, t]));
  const taskList = tasks.length === 0 ? 'no tasks' : `tasks: ${tasks.map((t) => `${t.name} ${hex(t.label)}`).join(', ')}`;
  const say = (where: string, text: string): void => { out.push(`${dtsFile}: ${where}: ${text}`); };
  const ownerKnown = (where: string, owner: number, what = ''): boolean => {
    if (byLabel.has(owner >>> 0)) return true;
    say(where, `owner ${hex(owner)}${what} names no task (${taskList})`);
    return false;
  };

  // Devices: owner, capability, overlap.
  for (const dev of board.devices) {
    if (dev.owner === 0) continue;
    if (dev.capability === 0) {
      say(dev.path, `device ${dev.name} has an owner but no device capability (compatible "${dev.compatible}" matches no capability rule), so it could never be mapped; remove outpost,owner or give it the compatible of its model`);
    }
    if (!ownerKnown(dev.path, dev.owner)) continue;
    const task = byLabel.get(dev.owner >>> 0)!;
    if (dev.capability !== 0 && (task.capabilities & dev.capability) === 0) {
      const cap = capName(dev.capability);
      say(dev.path, `device ${dev.name} needs ${cap}, which its owner ${task.name} (${hex(task.label)}) lacks; add CONFIG_${cap}=y to ${task.configFile}`);
    }
  }
  const overlaps = <T extends { path: string; baseAddress: number; size: number }>(items: readonly T[], fix: string): void => {
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i]!, b = items[j]!;
        if (a.size === 0 || b.size === 0) continue;
        if (a.baseAddress < b.baseAddress + b.size && b.baseAddress < a.baseAddress + a.size) {
          say(b.path, `reg ${hex8(b.baseAddress)}..${hex8(b.baseAddress + b.size)} overlaps ${a.path} (${hex8(a.baseAddress)}..${hex8(a.baseAddress + a.size)}); ${fix}`);
        }
      }
    }
  };
  overlaps(board.devices, 'two devices cannot share registers: fix the reg of one');
  // Pins, GPIO ports and IRQ lines have one owner each. The kernel counts as one: the
  // console's pins and line, the channel lines of the DMA controllers it drives. Boot
  // applies the same function to the image's board.
  for (const s of sharedDeviceResources(board.devices)) {
    const fixKind = s.kind === 'pin' && s.viaPort ? 'port-pin' : s.kind;
    if (s.kernelUse !== undefined) {
      // Said on the task's node, wherever the kernel's device sits in the table: that is
      // the node to change.
      const [kernel, task] = s.first.owner === 0 ? [s.first, s.second] : [s.second, s.first];
      say(task.path, `${s.what} is also used by ${kernel.path} (${s.kernelUse}), but this node's owner is ${hex(task.owner)}; ${KERNEL_SHARED_FIX[fixKind]}`);
      continue;
    }
    say(s.second.path, `${s.what} is also used by ${s.first.path} (owner ${hex(s.first.owner)}), but this node's owner is ${hex(s.second.owner)}; ${SHARED_FIX[fixKind]}`);
  }
  overlaps(board.shms, 'move one of the shared memories');

  // Shared memories: owner, unique labels.
  const shmLabels = new Map<number, string>();
  for (const shm of board.shms) {
    if (shm.owner === 0) say(shm.path, 'a shared memory needs an owner; set outpost,owner = <task label>;');
    else ownerKnown(shm.path, shm.owner);
    const other = shmLabels.get(shm.label);
    if (other !== undefined) say(shm.path, `outpost,label ${hex(shm.label)} is also the label of ${other}; get_shm_handle needs unique labels`);
    else shmLabels.set(shm.label, shm.path);
  }

  // DMA streams: a controller the kernel drives, with a line per channel (boot applies the
  // same rule), then owner (the channel's), CAP_DEV_DMA, endpoints.
  for (const p of dmaWiringProblems(board)) say(p.path, `${p.problem}; ${p.fix}`);
  const streamLabels = new Map<number, string>();
  for (const s of board.dmaStreams) {
    const other = streamLabels.get(s.label);
    if (other !== undefined) say(s.path, `outpost,label ${hex(s.label)} is also the label of ${other}; get_dma_stream_handle needs unique labels`);
    else streamLabels.set(s.label, s.path);
    const what = ` (of channel ${s.channel} of DMA controller ${s.controller})`;
    if (s.owner === 0) { say(s.path, `channel ${s.channel} of DMA controller ${s.controller} has no owner; set outpost,owner = <task label>; on the channel`); continue; }
    if (!ownerKnown(s.path, s.owner, what)) continue;
    const task = byLabel.get(s.owner >>> 0)!;
    if ((task.capabilities & Cap.DevDma) === 0) {
      say(s.path, `the stream's owner ${task.name} (${hex(task.label)}) lacks CAP_DEV_DMA, without which no DMA syscall is available; add CONFIG_CAP_DEV_DMA=y to ${task.configFile}`);
    }
    for (const [role, ep] of [['source', s.source], ['dest', s.dest]] as const) {
      if (ep.kind === 'shm') {
        const shm = board.shms[ep.id];
        if (shm === undefined) { say(s.path, `${role} is shared memory #${ep.id}, which the board does not have`); continue; }
        if (!shm.dmaPool) say(s.path, `${role} ${shm.path} is a shared memory without dma-pool; add dma-pool; to ${shm.path}`);
        if (shm.owner !== s.owner) say(s.path, `${role} ${shm.path} is owned by ${hex(shm.owner)}, not by the stream's owner ${hex(s.owner)}; a stream only moves data between resources its owner owns`);
      } else {
        const dev = board.devices.find((d) => d.id === ep.id);
        if (dev === undefined || dev.owner === 0) {
          say(s.path, `${role} device #${ep.id}${dev !== undefined ? ` (${dev.path})` : ''} is owned by no task; give it outpost,owner = <${hex(s.owner)}>; (the stream's owner)`);
        } else if (dev.owner !== s.owner) {
          say(s.path, `${role} ${dev.path} is owned by ${hex(dev.owner)}, not by the stream's owner ${hex(s.owner)}; a stream only moves data between resources its owner owns`);
        }
      }
    }
  }
  return out;
}

/**
 * What each task owns against the configuration's per-task limits (spec §2.16): the SDK's
 * `uapi/platform.h` gives apps SENTRY_TASK_MAXDEV/MAXSHM/MAXDMA, so a task owning more
 * could not even list its resources in the arrays those size.
 *
 * @returns one message per task and kind over its limit, naming the nodes, the symbol and
 *   the fix; empty when every task fits.
 */
export function checkTaskLimits(board: Board, tasks: readonly { readonly name: string; readonly label: number }[], limits: UapiLimits, dtsFile: string, prjFile: string): string[] {
  const out: string[] = [];
  for (const t of tasks) {
    const owned = [
      { what: 'devices', symbol: 'CONFIG_MAX_DEV_PER_TASK', limit: limits.maxDevPerTask, nodes: board.devices.filter((d) => d.owner === t.label).map((d) => d.path) },
      { what: 'shared memories', symbol: 'CONFIG_MAX_SHM_PER_TASK', limit: limits.maxShmPerTask, nodes: board.shms.filter((x) => x.owner === t.label).map((x) => x.path) },
      { what: 'DMA streams', symbol: 'CONFIG_MAX_DMA_STREAMS_PER_TASK', limit: limits.maxDmaPerTask, nodes: board.dmaStreams.filter((x) => x.owner === t.label).map((x) => x.path) },
    ];
    for (const o of owned) {
      if (o.nodes.length <= o.limit) continue;
      out.push(`${dtsFile}: task '${t.name}' (${hex(t.label)}) owns ${o.nodes.length} ${o.what} (${o.nodes.join(', ')}), more than ${o.symbol}=${o.limit} in ${prjFile}; raise ${o.symbol} (at most 8) or give some to another task`);
    }
  }
  return out;
}
