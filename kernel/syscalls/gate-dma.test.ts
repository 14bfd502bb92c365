/**
 * Tests — DMA gates: the CAP_DEV_DMA check answers NO_ENTITY (spec §1.2.30-37, A.15), in
 * the reference order (handle, owner, capability, state); start re-checks the endpoints (A.31).
 *
 * No image reaches these checks: every DMA syscall is an import gated on CAP_DEV_DMA
 * (refused at integration and at boot), and boot refuses a stream whose owner lacks the
 * capability or whose endpoints are not the owner's dma-pool SHMs and devices. So the gates run here against a stand-in kernel: the real `DmaManager` and a
 * `capsOf` that answers what the test needs. Everything else a gate could call is absent,
 * so a gate that went past its checks would throw.
 */

import { describe, expect, it } from 'vitest';
import { Cap, Status } from '../../toolchain/abi/index.js';
import type { Board } from '../board.js';
import type { Kernel } from '../kernel.js';
import { DmaManager, StreamState } from '../managers/dma/dma-manager.js';
import {
  gateDmaAssignStream, gateDmaGetStreamInfo, gateDmaGetStreamStatus, gateDmaResumeStream, gateDmaStartStream,
  gateDmaSuspendStream, gateDmaUnassignStream, gateGetDmaStreamHandle,
} from './gate-dma.js';

const BOARD: Board = {
  model: 'test', ramSize: 0, devices: [], shms: [],
  dmaStreams: [0x1000, 0x2000].map((owner, id) => ({
    id, path: `/dma-streams/s${id}`, label: 0xd0 + id, owner, channel: id, controller: 0, streamId: 0,
    source: { kind: 'shm', id: 0 }, dest: { kind: 'shm', id: 1 }, length: 16, circularSource: false, circularDest: false, priority: 1,
  }) as const),
};

/** Task 0 owns stream 0, task 1 stream 1; every task holds `caps`. */
function standIn(caps: number): { kernel: Kernel; dma: DmaManager } {
  const dma = new DmaManager(BOARD, (label) => (label === 0x1000 ? 0 : label === 0x2000 ? 1 : -1), 2, () => 0x5a5a5);
  return { kernel: { dma, capsOf: () => caps } as unknown as Kernel, dma };
}

/**
 * Stream 0's endpoints as `shms` and `devices` describe them (task 0 owns stream 0); the
 * stream is ASSIGNED. There is no controller: a start that passed its checks would throw.
 */
function assignedStream(shms: readonly { dmaPool: boolean; owner: number }[], deviceOwner = -1): { kernel: Kernel; handle: number } {
  const dma = new DmaManager(BOARD, (label) => (label === 0x1000 ? 0 : 1), 2, () => 0x5a5a5);
  dma.state[0] = StreamState.Assigned;
  const shm = { shms: shms.map((x) => ({ dmaPool: x.dmaPool })), owner: Int32Array.from(shms, (x) => x.owner) };
  const devices = { byId: (id: number) => (id === 0 ? 0 : -1), ownerTask: Int32Array.of(deviceOwner) };
  return { kernel: { dma, shm, devices, capsOf: () => Cap.DevDma } as unknown as Kernel, handle: dma.handles[0]! };
}

const STREAM_GATES: readonly ((k: Kernel, t: number, handle: number) => number)[] = [gateDmaAssignStream, gateDmaStartStream, gateDmaSuspendStream, gateDmaResumeStream, gateDmaUnassignStream, gateDmaGetStreamStatus, gateDmaGetStreamInfo];

describe('DMA gates without CAP_DEV_DMA', () => {
  it('every stream operation answers NO_ENTITY and changes nothing', () => {
    const { kernel, dma } = standIn(Cap.DevIo | Cap.DevTimer);
    expect(STREAM_GATES.map((gate) => gate(kernel, 0, dma.handles[0]!))).toEqual(new Array(STREAM_GATES.length).fill(Status.NoEntity));
    expect(dma.state[0]).toBe(StreamState.Unset);
  });

  it('get_dma_stream_handle answers DENIED, after the label and before the owner', () => {
    const { kernel } = standIn(0);
    expect(gateGetDmaStreamHandle(kernel, 0, 0xd0)).toBe(Status.Denied);
    expect(gateGetDmaStreamHandle(kernel, 0, 0xd1)).toBe(Status.Denied);
    expect(gateGetDmaStreamHandle(kernel, 0, 0xdf)).toBe(Status.Invalid);
  });

  it('a bad handle (INVALID) and another task\'s stream (DENIED) are checked first', () => {
    const { kernel, dma } = standIn(0);
    for (const gate of STREAM_GATES) {
      expect(gate(kernel, 0, 0)).toBe(Status.Invalid);
      expect(gate(kernel, 0, dma.handles[0]! ^ 1)).toBe(Status.Invalid);
      expect(gate(kernel, 0, dma.handles[1]!)).toBe(Status.Denied);
    }
  });

  it('start re-checks the endpoints (A.31): a non-dma-pool SHM, or one of another task, is INVALID and nothing starts', () => {
    for (const shms of [[{ dmaPool: false, owner: 0 }, { dmaPool: true, owner: 0 }], [{ dmaPool: true, owner: 0 }, { dmaPool: true, owner: 1 }], [{ dmaPool: true, owner: 0 }]]) {
      const { kernel, handle } = assignedStream(shms);
      expect(gateDmaStartStream(kernel, 0, handle)).toBe(Status.Invalid);
      expect(kernel.dma.state[0]).toBe(StreamState.Assigned);
    }
    // both endpoints fine: the gate goes on to the controller (absent here, hence the throw)
    const fine = assignedStream([{ dmaPool: true, owner: 0 }, { dmaPool: true, owner: 0 }]);
    expect(() => gateDmaStartStream(fine.kernel, 0, fine.handle)).toThrow();
  });

  it('with the capability, the same calls get as far as the state check', () => {
    const { kernel, dma } = standIn(Cap.DevDma);
    for (const gate of [gateDmaStartStream, gateDmaSuspendStream, gateDmaResumeStream, gateDmaUnassignStream]) {
      expect(gate(kernel, 0, dma.handles[0]!)).toBe(Status.Invalid);
    }
  });
});
