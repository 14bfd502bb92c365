/**
 * DMA streams: handles, the stream state machine, and stream events.
 *
 * Streams are static (devicetree); each has an owner (the channel's owner), a channel of
 * the GPDMA controller and a static configuration. The kernel drives the controller:
 * tasks only assign, start, suspend, resume and unassign their own streams (spec §4.10).
 * Rampart implements the *designed* completion table: a finished transfer returns the
 * stream to ASSIGNED and the DMA event carries that state (1); a suspension carries 3.
 * Stream events queue per task (15 usable cells, as the reference ring); an overflowing
 * event is dropped and counted, never a panic (spec Part 1, B.4).
 */

import { makeDmaHandle } from '../../../toolchain/abi/index.js';
import type { Board, BoardDmaStream } from '../../board.js';

export const enum StreamState { Unset = 0, Assigned = 1, Started = 2, Suspended = 3 }

/** What the kernel needs from the DMA controller model. */
export interface DmaController {
  /** False when the channel refuses (still running or suspended, or a bad configuration). */
  program(channel: number, stream: BoardDmaStream): boolean;
  start(channel: number): boolean;
  suspend(channel: number): boolean;
  resume(channel: number): boolean;
  reset(channel: number): boolean;
  /** Take (and clear) the channel's pending interrupt flags: TC 1, HT 2, ERROR 4. */
  takeFlags(channel: number): number;
  /** True when the channel is not transferring (done, suspended, aborted, or unprogrammed). */
  isIdle(channel: number): boolean;
}

export const DMA_QUEUE_CELLS = 15;

export class DmaManager {
  readonly streams: readonly BoardDmaStream[];
  readonly handles: Uint32Array;
  readonly ownerTask: Int32Array;
  readonly state: Uint8Array;
  private readonly queueHandle: Uint32Array;
  private readonly queueState: Uint8Array;
  private readonly head: Int32Array;
  readonly count: Int32Array;

  constructor(board: Board, taskIndexOfLabel: (label: number) => number, taskCount: number, random: () => number) {
    this.streams = board.dmaStreams;
    const n = board.dmaStreams.length;
    this.handles = new Uint32Array(n);
    this.ownerTask = new Int32Array(n).fill(-1);
    this.state = new Uint8Array(n);
    board.dmaStreams.forEach((s, i) => {
      this.handles[i] = makeDmaHandle(i, random());
      this.ownerTask[i] = taskIndexOfLabel(s.owner);
    });
    this.queueHandle = new Uint32Array(taskCount * DMA_QUEUE_CELLS);
    this.queueState = new Uint8Array(taskCount * DMA_QUEUE_CELLS);
    this.head = new Int32Array(taskCount);
    this.count = new Int32Array(taskCount);
  }

  byLabel(label: number): number {
    for (let i = 0; i < this.streams.length; i++) if (this.streams[i]!.label === label >>> 0) return i;
    return -1;
  }

  /** Stream index of a handle: stream id bits bounds-checked, then the whole value compared. */
  resolve(handle: number): number {
    const id = (handle >>> 21) & 0xff;
    if (id >= this.handles.length || this.handles[id] !== handle >>> 0) return -1;
    return id;
  }

  /** The stream currently started on a channel, or -1. */
  activeOnChannel(channel: number): number {
    for (let i = 0; i < this.streams.length; i++) {
      if (this.streams[i]!.channel === channel && this.state[i] !== StreamState.Unset) return i;
    }
    return -1;
  }

  push(t: number, handle: number, state: number): boolean {
    if (this.count[t]! >= DMA_QUEUE_CELLS) return false;
    const at = t * DMA_QUEUE_CELLS + ((this.head[t]! + this.count[t]!) % DMA_QUEUE_CELLS);
    this.queueHandle[at] = handle;
    this.queueState[at] = state;
    this.count[t] = this.count[t]! + 1;
    return true;
  }

  /** Pop the oldest event of task t into `out` ([handle, state]); false when empty. */
  pop(t: number, out: Uint32Array): boolean {
    if (this.count[t] === 0) return false;
    const at = t * DMA_QUEUE_CELLS + this.head[t]!;
    out[0] = this.queueHandle[at]!;
    out[1] = this.queueState[at]!;
    this.head[t] = (this.head[t]! + 1) % DMA_QUEUE_CELLS;
    this.count[t] = this.count[t]! - 1;
    return true;
  }

  clearEvents(t: number): void {
    this.head[t] = 0;
    this.count[t] = 0;
  }
}
