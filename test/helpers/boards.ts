/**
 * Board sources shared by tests, and the board of hand-written tasks.
 */

import type { Board } from '../../kernel/board.js';

/**
 * A board for hand-written (WAT) tasks that declare enough pages of their own to span the
 * SHM range, without the SDK's layout: the board's RAM budget would charge all of it to
 * each task, so it is switched off (ramSize 0). The budget itself is tested with real
 * projects (test/integration/integrator.test.ts) and tampered images (test/hostile/image.test.ts).
 */
export function forHandWrittenTasks(board: Board): Board {
  return { ...board, ramSize: 0 };
}

/**
 * The rampart-m4 board with led0, and a DMA stream between two dma-pool SHMs, all owned by
 * label 1 (the fuzzers' board: every resource family is reachable).
 */
export const FUZZ_BOARD_DTS = `/dts-v1/;
#include <rampart/rampart-m4.dtsi>
&led0 { outpost,owner = <1>; status = "okay"; };
&gpdma1 { status = "okay"; };
&gpdma1_ch1 { outpost,owner = <1>; status = "okay"; };
&reserved_memory {
	shm_src: src@40000 { reg = <0x40000 0x100>; outpost,shm; outpost,label = <0xa1>; outpost,owner = <1>; dma-pool; };
	shm_dst: dst@40100 { reg = <0x40100 0x100>; outpost,shm; outpost,label = <0xa2>; outpost,owner = <1>; dma-pool; };
};
/ {
	dma-streams {
		copy: copy { compatible = "dma-stream"; channel = <&gpdma1_ch1>; source = <&shm_src>; dest = <&shm_dst>; length = <0x80>; outpost,label = <0xd1>; };
	};
};
`;

