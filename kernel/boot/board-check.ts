/**
 * Board consistency, checked again at boot (the integrator checked it at build).
 *
 * An image may come from anywhere, so the essential rules are re-checked before any task
 * runs: every owner names a task of the image; an owned device needs a capability and its
 * owner must hold it; regions do not overlap; DMA streams only move data between `dma-pool`
 * shared memories and devices that their owner owns. Every violation is reported.
 */

import type { Board } from '../board.js';
import type { ImageTask } from '../image/image.js';
import { capabilityNames } from '../../toolchain/abi/index.js';

function hex(v: number): string {
  return `0x${v.toString(16)}`;
}

function overlaps(a: { baseAddress: number; size: number }, b: { baseAddress: number; size: number }): boolean {
  return a.baseAddress < b.baseAddress + b.size && b.baseAddress < a.baseAddress + a.size;
}

export function checkBoardAtBoot(board: Board, tasks: readonly Pick<ImageTask, 'name' | 'label' | 'capabilities'>[]): string[] {
  const problems: string[] = [];
  const byLabel = new Map(tasks.map((t) => [t.label, t]));
  const ownerOk = (owner: number, what: string): boolean => {
    if (owner === 0) return true;
    if (byLabel.has(owner)) return true;
    problems.push(`board: ${what}: owner ${hex(owner)} names no task of the image`);
    return false;
  };
  board.devices.forEach((d, i) => {
    if (!ownerOk(d.owner, d.path)) return;
    if (d.owner !== 0) {
      if (d.capability === 0) problems.push(`board: ${d.path}: owned device with no device capability`);
      const task = byLabel.get(d.owner)!;
      if ((task.capabilities & d.capability) === 0) problems.push(`board: ${d.path}: owner '${task.name}' lacks ${capabilityNames(d.capability).join(', ')}`);
    }
    for (let j = 0; j < i; j++) {
      const o = board.devices[j]!;
      if (d.size > 0 && o.size > 0 && overlaps(d, o)) problems.push(`board: ${d.path} overlaps ${o.path}`);
    }
  });
  board.shms.forEach((s, i) => {
    if (s.owner === 0) problems.push(`board: ${s.path}: a shared memory needs an owner task`);
    else ownerOk(s.owner, s.path);
    for (let j = 0; j < i; j++) if (overlaps(s, board.shms[j]!)) problems.push(`board: ${s.path} overlaps ${board.shms[j]!.path}`);
  });
  for (const st of board.dmaStreams) {
    if (!ownerOk(st.owner, st.path)) continue;
    for (const [end, what] of [[st.source, 'source'], [st.dest, 'dest']] as const) {
      if (end.kind === 'shm') {
        const shm = board.shms[end.id];
        if (shm === undefined) problems.push(`board: ${st.path}: ${what} names no shared memory`);
        else if (!shm.dmaPool) problems.push(`board: ${st.path}: ${what} ${shm.path} is not a dma-pool shared memory`);
        else if (shm.owner !== st.owner) problems.push(`board: ${st.path}: ${what} ${shm.path} is not owned by the stream's owner`);
      } else {
        const dev = board.devices.find((d) => d.id === end.id);
        if (dev === undefined) problems.push(`board: ${st.path}: ${what} names no device`);
        else if (dev.owner !== st.owner) problems.push(`board: ${st.path}: ${what} ${dev.path} is not owned by the stream's owner`);
      }
    }
  }
  return problems;
}
