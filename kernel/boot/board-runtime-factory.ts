/**
 * Builds the emulated silicon for a board: the bus, the device models, the interrupt
 * controller and the DMA controller, wired behind the kernel's `BoardRuntime` seam.
 */

import type { Board } from '../board.js';
import type { BoardRuntime } from '../board-runtime.js';

export function createBoardRuntime(board: Board, _seed: number): BoardRuntime {
  throw new Error(`board '${board.model}' has devices, and the device models are not wired into this kernel build`);
}
