/**
 * DMA gates (spec §1.2.29–37, §4.10): the stream state machine, driven by the kernel.
 *
 * Common checks, in the reference order and with its statuses (CODE is normative): handle
 * (INVALID), owner (DENIED), CAP_DEV_DMA (NO_ENTITY: the reference sets DENIED and then
 * overwrites it with its default, A.15; `get_dma_stream_handle` alone answers DENIED),
 * then state (INVALID). The capability check cannot be reached through an image: every DMA
 * syscall is an import gated on CAP_DEV_DMA, refused at integration and at boot. It stays,
 * because it must never be the import policy alone that keeps a task off the controller.
 *
 * The controller is programmed from the stream's static configuration only: a task never
 * supplies addresses, and `start` re-checks that both endpoints are the owner's (A.31).
 * `dma_get_stream_status` is implemented (A.17): the state byte.
 *
 * Each state change happens only once the controller accepted the request. Where the
 * reference differs: when the hardware refuses to start, it still sets STARTED and returns
 * INVALID, which strands the stream for good (suspend refuses an idle channel, unassign a
 * STARTED stream); Rampart leaves the state as it was and returns INVALID, so the task can
 * unassign and assign again (docs/kernel.md, "Devices, shared memories and DMA").
 */

import { Cap, Status } from '../../toolchain/abi/index.js';
import type { DmaEndpoint } from '../board.js';
import type { Kernel } from '../kernel.js';
import { StreamState } from '../managers/dma/dma-manager.js';
import { writeExchangeU32 } from './gate.js';

export function gateGetDmaStreamHandle(k: Kernel, t: number, label: number): number {
  const dm = k.dma;
  const s = dm.byLabel(label);
  if (s < 0) return Status.Invalid;
  if ((k.capsOf(t) & Cap.DevDma) === 0) return Status.Denied;
  if (dm.ownerTask[s] !== t) return Status.Invalid;
  writeExchangeU32(k, t, 0, dm.handles[s]!);
  return Status.Ok;
}

/** Shared prologue of the stream operations: the stream index, or a negative status. */
function ownedStream(k: Kernel, t: number, handle: number): number {
  const s = k.dma.resolve(handle);
  if (s < 0) return -Status.Invalid;
  if (k.dma.ownerTask[s] !== t) return -Status.Denied;
  // NO_ENTITY, not DENIED: the reference's status for this check (spec §1.2.30-37, A.15).
  if ((k.capsOf(t) & Cap.DevDma) === 0) return -Status.NoEntity;
  return s;
}

export function gateDmaAssignStream(k: Kernel, t: number, handle: number): number {
  const s = ownedStream(k, t, handle);
  if (s < 0) return -s;
  if (k.dma.state[s] !== StreamState.Unset) return Status.Invalid;
  if (!k.res.dmaAssign(s)) return Status.Invalid;
  k.dma.state[s] = StreamState.Assigned;
  return Status.Ok;
}

/**
 * A.31: an endpoint is a `dma-pool` shared memory or a device, owned by the stream's owner.
 * The build and boot already refuse any other stream, and the board is frozen, so this
 * never fails on a booted image; it is checked again right before the controller moves a
 * byte because it is the rule that keeps a stream from reading or writing another task's
 * memory, and the reference checks it nowhere (spec §4.10). Never drop it as redundant.
 */
function isEndpointOfOwner(k: Kernel, t: number, end: DmaEndpoint): boolean {
  if (end.kind === 'shm') return k.shm.shms[end.id]?.dmaPool === true && k.shm.owner[end.id] === t;
  const d = k.devices.byId(end.id);
  return d >= 0 && k.devices.ownerTask[d] === t;
}

export function gateDmaStartStream(k: Kernel, t: number, handle: number): number {
  const s = ownedStream(k, t, handle);
  if (s < 0) return -s;
  const st = k.dma.state[s];
  if (st !== StreamState.Assigned && st !== StreamState.Suspended) return Status.Invalid;
  const stream = k.dma.streams[s]!;
  if (!isEndpointOfOwner(k, t, stream.source) || !isEndpointOfOwner(k, t, stream.dest)) return Status.Invalid;
  // A refused start leaves the state as it was (the reference sets STARTED anyway and the
  // stream can then never leave it; see the header).
  if (!k.res.dmaStart(s)) return Status.Invalid;
  k.dma.state[s] = StreamState.Started;
  return Status.Ok;
}

export function gateDmaSuspendStream(k: Kernel, t: number, handle: number): number {
  const s = ownedStream(k, t, handle);
  if (s < 0) return -s;
  if (k.dma.state[s] !== StreamState.Started) return Status.Invalid;
  if (!k.res.dmaSuspend(s)) return Status.Invalid;
  k.dma.state[s] = StreamState.Suspended;
  return Status.Ok;
}

export function gateDmaResumeStream(k: Kernel, t: number, handle: number): number {
  const s = ownedStream(k, t, handle);
  if (s < 0) return -s;
  if (k.dma.state[s] !== StreamState.Suspended) return Status.Invalid;
  if (!k.res.dmaResume(s)) return Status.Invalid;
  k.dma.state[s] = StreamState.Started;
  return Status.Ok;
}

export function gateDmaUnassignStream(k: Kernel, t: number, handle: number): number {
  const s = ownedStream(k, t, handle);
  if (s < 0) return -s;
  const st = k.dma.state[s];
  if (st !== StreamState.Assigned && st !== StreamState.Suspended) return Status.Invalid;
  if (!k.res.dmaReset(s)) return Status.Invalid;
  k.dma.state[s] = StreamState.Unset;
  return Status.Ok;
}

export function gateDmaGetStreamStatus(k: Kernel, t: number, handle: number): number {
  const s = ownedStream(k, t, handle);
  if (s < 0) return -s;
  k.instances[t]!.views().setUint8(0, k.dma.state[s]!);
  return Status.Ok;
}

/** gpdma_stream_cfg_t, 32 bytes (spec §2.11). */
export function gateDmaGetStreamInfo(k: Kernel, t: number, handle: number): number {
  const s = ownedStream(k, t, handle);
  if (s < 0) return -s;
  const cfg = k.dma.streams[s]!;
  const v = k.instances[t]!.views();
  const addr = (e: typeof cfg.source) => (e.kind === 'shm' ? k.shm.shms[e.id]!.baseAddress : 0);
  const kind = (cfg.source.kind === 'device' ? 1 : 0) * 2 + (cfg.dest.kind === 'device' ? 1 : 0);
  // SHM->SHM = MEMORY_TO_MEMORY (2), device->SHM = DEVICE_TO_MEMORY (1),
  // SHM->device = MEMORY_TO_DEVICE (0), device->device = DEVICE_TO_DEVICE (3).
  const transferType = [2, 0, 1, 3][kind]!;
  v.setUint16(0, cfg.channel, true);
  v.setUint16(2, cfg.streamId, true);
  v.setUint16(4, cfg.controller, true);
  v.setUint16(6, transferType, true);
  writeExchangeU32(k, t, 8, addr(cfg.source));
  writeExchangeU32(k, t, 12, addr(cfg.dest));
  writeExchangeU32(k, t, 16, cfg.length);
  v.setUint8(20, cfg.circularSource ? 1 : 0);
  v.setUint8(21, cfg.circularDest ? 1 : 0);
  v.setUint8(22, 5);
  v.setUint8(23, 0);
  v.setUint8(24, 0);
  v.setUint8(25, cfg.priority);
  v.setUint8(26, 0);
  v.setUint8(27, 0);
  v.setUint8(28, 0);
  return Status.Ok;
}
