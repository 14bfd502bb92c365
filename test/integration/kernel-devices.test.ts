/**
 * Devices through a booted kernel on the rampart-m4 board (real dtc): GPIO and LEDs,
 * a timer IRQ at its exact cycle, the software MPU, a button pressed by a scenario, and
 * a DMA copy between two shared memories with its completion event.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { forHandWrittenTasks } from '../helpers/boards.js';
import { readBoardSource } from '../../toolchain/config/devicetree.js';
import type { Board } from '../../kernel/board.js';
import { Cap } from '../../toolchain/abi/index.js';
import { runWat, taskWat } from '../helpers/wat.js';

const DTS = `/dts-v1/;
#include <rampart/rampart-m4.dtsi>
&led0 { outpost,owner = <1>; status = "okay"; };
&tim2 { outpost,owner = <1>; status = "okay"; };
&button0 { outpost,owner = <2>; status = "okay"; };
&gpdma1 { status = "okay"; };
&gpdma1_ch1 { outpost,owner = <3>; status = "okay"; };
&reserved_memory {
	shm_src: src@40000 { reg = <0x40000 0x100>; outpost,shm; outpost,label = <0xa1>; outpost,owner = <3>; dma-pool; };
	shm_dst: dst@40100 { reg = <0x40100 0x100>; outpost,shm; outpost,label = <0xa2>; outpost,owner = <3>; dma-pool; };
};
/ {
	dma-streams {
		copy: copy { compatible = "dma-stream"; channel = <&gpdma1_ch1>; source = <&shm_src>; dest = <&shm_dst>; length = <0x80>; outpost,label = <0xd1>; };
	};
};
`;

let board: Board;
const id = (name: string) => board.devices.find((d) => d.name === name)!.id;
const r = (expr: string) => `(call $report ${expr})`;
const idle = taskWat({ imports: ['log'], body: 'nop', pages: 9 });

beforeAll(async () => {
  board = forHandWrittenTasks(await readBoardSource(DTS));
});

describe('devices', () => {
  it('GPIO: set, get, toggle the LED pin; refuses a bad I/O index and a foreign device', () => {
    const wat = taskWat({
      pages: 9,
      imports: ['log', 'get_device_handle', 'gpio_set', 'gpio_get', 'gpio_toggle', 'gpio_configure'],
      body: `(drop (call $get_device_handle (i32.const ${id('led0')}))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $gpio_configure (local.get $h) (i32.const 0))')}
        ${r('(call $gpio_set (local.get $h) (i32.const 0) (i32.const 1))')}
        ${r('(call $gpio_get (local.get $h) (i32.const 0))')} ${r('(i32.load8_u (i32.const 1024))')}
        ${r('(call $gpio_toggle (local.get $h) (i32.const 0))')}
        (drop (call $gpio_get (local.get $h) (i32.const 0))) ${r('(i32.load8_u (i32.const 1024))')}
        ${r('(call $gpio_set (local.get $h) (i32.const 1) (i32.const 1))')}
        ${r('(call $get_device_handle (i32.const ' + id('button0') + '))')}`,
    });
    const run = runWat([{ name: 'led', label: 1, capabilities: Cap.DevIo | Cap.DevTimer, wat }, { name: 'b', label: 2, capabilities: Cap.DevIo, wat: idle }, { name: 'c', label: 3, capabilities: Cap.DevDma, wat: idle }], {}, { board });
    expect(run.lines).toEqual(['[led] s=00', '[led] s=00', '[led] s=00', '[led] s=01', '[led] s=00', '[led] s=00', '[led] s=01', '[led] s=01']);
  });

  it('timer: the update IRQ arrives at exactly its programmed cycle; the line stays masked until re-enabled', () => {
    const TIM2 = 0x40000000;
    const wat = taskWat({
      pages: 9,
      imports: ['log', 'get_device_handle', 'map_dev', 'bus_write32', 'bus_read32', 'irq_enable', 'wait_for_event', 'get_cycle'],
      body: `(drop (call $get_device_handle (i32.const ${id('tim2')}))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $bus_read32 (i32.const 0x40000000))')}
        ${r('(call $map_dev (local.get $h))')}
        ${r('(call $map_dev (local.get $h))')}
        ${r('(call $irq_enable (i32.const 28))')}
        ${r('(call $irq_enable (i32.const 37))')}
        (drop (call $bus_write32 (i32.const ${TIM2 + 0x28}) (i32.const 63)))
        (drop (call $bus_write32 (i32.const ${TIM2 + 0x2c}) (i32.const 999)))
        (drop (call $bus_write32 (i32.const ${TIM2 + 0x0c}) (i32.const 1)))
        (drop (call $get_cycle (i32.const 0))) (local.set $i (i32.load (i32.const 1024)))
        (drop (call $bus_write32 (i32.const ${TIM2}) (i32.const 1)))
        (drop (call $wait_for_event (i32.const 4) (i32.const 0)))
        ${r('(call $wait_for_event (i32.const 4) (i32.const -1))')}
        ${r('(i32.load (i32.const 1032))')}
        (drop (call $get_cycle (i32.const 0)))
        ;; one update period is 64 * 1000 cycles: the wait ended within a few cycles of it
        ${r('(i32.lt_u (i32.sub (i32.sub (i32.load (i32.const 1024)) (local.get $i)) (i32.const 64000)) (i32.const 200))')}
        (drop (call $bus_write32 (i32.const ${TIM2 + 0x10}) (i32.const 0)))
        ;; the line is masked until irq_enable: the next update does not wake us
        ${r('(call $wait_for_event (i32.const 4) (i32.const 100))')}
        (drop (call $irq_enable (i32.const 28)))
        ${r('(call $wait_for_event (i32.const 4) (i32.const 100))')}`,
    });
    const run = runWat([{ name: 'tim', label: 1, capabilities: Cap.DevIo | Cap.DevTimer | Cap.TimHpChrono, wat }, { name: 'b', label: 2, capabilities: Cap.DevIo, wat: idle }, { name: 'c', label: 3, capabilities: Cap.DevDma, wat: idle }], {}, { board });
    // the first bus read before map_dev is an MPU violation: the task faults at once
    expect(run.result.tasks[0]!.state).toBe('fault');
    expect(run.result.tasks[0]!.fault!.message).toMatch(/bus read32 at 0x40000000: not inside a device it has mapped/);
    expect(run.lines).toEqual([]);
  });

  it('release build: a bus access outside the mapped devices panics the kernel', () => {
    const wat = taskWat({ pages: 9, imports: ['log', 'bus_read32'], body: r('(call $bus_read32 (i32.const 0x40000000))') });
    const run = runWat([{ name: 'tim', label: 1, capabilities: Cap.DevIo | Cap.DevTimer, wat }, { name: 'b', label: 2, capabilities: Cap.DevIo, wat: idle }, { name: 'c', label: 3, capabilities: Cap.DevDma, wat: idle }], { buildTarget: 'release' }, { board });
    expect(run.result.end).toMatchObject({ kind: 'panic' });
    expect(run.result.end.message).toMatch(/release build: task 'tim' faulted \(bus read32 at 0x40000000: not inside a device it has mapped/);
  });

  it('timer without the violation: exact IRQ cycle, masking, ALREADY_MAPPED, foreign IRQ refused', () => {
    const TIM2 = 0x40000000;
    const wat = taskWat({
      pages: 9,
      imports: ['log', 'get_device_handle', 'map_dev', 'bus_write32', 'irq_enable', 'wait_for_event', 'get_cycle'],
      body: `(drop (call $get_device_handle (i32.const ${id('tim2')}))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $map_dev (local.get $h))')}
        ${r('(call $map_dev (local.get $h))')}
        ${r('(call $irq_enable (i32.const 28))')}
        ${r('(call $irq_enable (i32.const 40))')}
        (drop (call $bus_write32 (i32.const ${TIM2 + 0x28}) (i32.const 63)))
        (drop (call $bus_write32 (i32.const ${TIM2 + 0x2c}) (i32.const 999)))
        (drop (call $bus_write32 (i32.const ${TIM2 + 0x0c}) (i32.const 1)))
        (drop (call $get_cycle (i32.const 0))) (local.set $i (i32.load (i32.const 1024)))
        (drop (call $bus_write32 (i32.const ${TIM2}) (i32.const 1)))
        (drop (call $wait_for_event (i32.const 4) (i32.const 0)))
        ${r('(call $wait_for_event (i32.const 4) (i32.const -1))')}
        ${r('(i32.load (i32.const 1032))')}
        (drop (call $get_cycle (i32.const 0)))
        ${r('(i32.lt_u (i32.sub (i32.sub (i32.load (i32.const 1024)) (local.get $i)) (i32.const 64000)) (i32.const 200))')}
        (drop (call $bus_write32 (i32.const ${TIM2 + 0x10}) (i32.const 0)))
        ${r('(call $wait_for_event (i32.const 4) (i32.const 100))')}
        ;; re-enabled: the update that came while masked is delivered at once
        (drop (call $irq_enable (i32.const 28)))
        ${r('(call $wait_for_event (i32.const 4) (i32.const 100))')}`,
    });
    const run = runWat([{ name: 'tim', label: 1, capabilities: Cap.DevIo | Cap.DevTimer | Cap.TimHpChrono, wat }, { name: 'b', label: 2, capabilities: Cap.DevIo, wat: idle }, { name: 'c', label: 3, capabilities: Cap.DevDma, wat: idle }], {}, { board });
    expect(run.lines).toEqual(['[tim] s=00', '[tim] s=05', '[tim] s=00', '[tim] s=01', '[tim] s=00', '[tim] s=28', '[tim] s=01', '[tim] s=07', '[tim] s=00']);
  });

  it('a button pressed by a scenario reaches its owner as an IRQ event', () => {
    const wat = taskWat({
      pages: 9,
      imports: ['log', 'irq_enable', 'wait_for_event', 'get_cycle'],
      body: `(drop (call $irq_enable (i32.const 40)))
        (drop (call $wait_for_event (i32.const 4) (i32.const 0)))
        ${r('(call $wait_for_event (i32.const 4) (i32.const -1))')}
        ${r('(i32.load (i32.const 1032))')}
        (drop (call $get_cycle (i32.const 3))) ${r('(i32.load (i32.const 1024))')}`,
    });
    const run = runWat([{ name: 'a', label: 1, capabilities: Cap.DevIo | Cap.DevTimer, wat: idle }, { name: 'btn', label: 2, capabilities: Cap.DevIo, wat }, { name: 'c', label: 3, capabilities: Cap.DevDma, wat: idle }], {}, {
      board, scenario: { text: '# press at 12 ms\n12ms button0 press\n15ms button0 release\n', file: 'test.scenario' },
    });
    expect(run.lines).toEqual(['[btn] s=00', '[btn] s=40', '[btn] s=12']);
  });

  it('DMA: a stream copies one SHM into another and reports completion as a DMA event', () => {
    const wat = taskWat({
      pages: 9,
      imports: ['log', 'get_shm_handle', 'map_shm', 'shm_set_credential', 'get_process_handle', 'get_dma_stream_handle',
        'dma_assign_stream', 'dma_start_stream', 'dma_get_stream_status', 'dma_unassign_stream', 'wait_for_event', 'dma_get_stream_info'],
      body: `(drop (call $get_process_handle (i32.const 3))) (local.set $k (i32.load (i32.const 1024)))
        (drop (call $get_shm_handle (i32.const 0xa1))) (local.set $i (i32.load (i32.const 1024)))
        (drop (call $get_shm_handle (i32.const 0xa2))) (local.set $j (i32.load (i32.const 1024)))
        (drop (call $shm_set_credential (local.get $i) (local.get $k) (i32.const 5)))
        (drop (call $shm_set_credential (local.get $j) (local.get $k) (i32.const 5)))
        (drop (call $map_shm (local.get $i))) (drop (call $map_shm (local.get $j)))
        (i32.store (i32.const 0x40000) (i32.const 0x0a4b4f44))
        ${r('(call $get_dma_stream_handle (i32.const 0xd1))')} (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $dma_start_stream (local.get $h))')}
        ${r('(call $dma_assign_stream (local.get $h))')}
        ${r('(call $dma_start_stream (local.get $h))')}
        ${r('(call $dma_unassign_stream (local.get $h))')}
        (drop (call $wait_for_event (i32.const 8) (i32.const 0)))
        ${r('(call $wait_for_event (i32.const 8) (i32.const -1))')}
        ${r('(i32.load8_u (i32.const 1024))')} ${r('(i32.load8_u (i32.const 1032))')}
        ${r('(i32.eq (i32.load (i32.const 1028)) (local.get $h))')}
        (drop (call $dma_get_stream_status (local.get $h))) ${r('(i32.load8_u (i32.const 1024))')}
        (memory.copy (i32.const 1024) (i32.const 0x40100) (i32.const 4)) (drop (call $log (i32.const 4)))
        (drop (call $dma_get_stream_info (local.get $h))) ${r('(i32.load16_u (i32.const 1030))')} ${r('(i32.eq (i32.load (i32.const 1036)) (i32.const 0x40100))')}
        ${r('(call $dma_unassign_stream (local.get $h))')}`,
    });
    const run = runWat([{ name: 'a', label: 1, capabilities: Cap.DevIo | Cap.DevTimer, wat: idle }, { name: 'b', label: 2, capabilities: Cap.DevIo, wat: idle }, { name: 'dma', label: 3, capabilities: Cap.DevDma, wat }], {}, { board });
    expect(run.lines).toEqual(['[dma] s=00', '[dma] s=01', '[dma] s=00', '[dma] s=00', '[dma] s=01', '[dma] s=00', '[dma] s=08', '[dma] s=01', '[dma] s=01', '[dma] s=01', '[dma] DOK', '[dma] s=02', '[dma] s=01', '[dma] s=00']);
  });
});
