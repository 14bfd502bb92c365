/**
 * The ADC through a booted kernel on the rampart-m4 board (real dtc): a scenario sets an
 * input at 5 ms, and a task that owns adc1 reads it through bus accesses after map_dev,
 * with the end-of-conversion interrupt as an IRQ event.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readBoardSource } from '../../toolchain/config/devicetree.js';
import type { Board } from '../../kernel/board.js';
import { Cap } from '../../toolchain/abi/index.js';
import { runWat, taskWat } from '../helpers/wat.js';

const DTS = `/dts-v1/;
#include <rampart/rampart-m4.dtsi>
&adc1 { outpost,owner = <1>; status = "okay"; };
`;

const ADC1 = 0x50040000;
const ISR = ADC1 + 0x00;
const IER = ADC1 + 0x04;
const CR = ADC1 + 0x08;
const CHSELR = ADC1 + 0x28;
const DR = ADC1 + 0x40;
const EOC = 1 << 2;
const ADEN_ADSTART = (1 << 0) | (1 << 2);

let board: Board;
const r = (expr: string) => `(call $report ${expr})`;

beforeAll(async () => {
  board = await readBoardSource(DTS);
});

describe('adc1', () => {
  it('the board declares it: DEV_ANALOG, its window and IRQ 19', () => {
    expect(board.devices.find((d) => d.name === 'adc1')).toMatchObject({
      path: '/soc/adc@50040000', compatible: 'st,stm32-adc', owner: 1, baseAddress: ADC1, size: 0x400, irqs: [19], capability: Cap.DevAnalog,
    });
  });

  it('a scenario sets channel 3 at 5 ms; the task converts it before and after, woken by EOC', () => {
    const adc = board.devices.find((d) => d.name === 'adc1')!;
    const wat = taskWat({
      imports: ['log', 'get_device_handle', 'map_dev', 'bus_read32', 'bus_write32', 'irq_enable', 'irq_acknowledge', 'wait_for_event', 'sleep', 'get_cycle'],
      extra: `(func $waitIrq (loop $again (br_if $again (i32.ne (call $wait_for_event (i32.const 4) (i32.const 0)) (i32.const 0)))))`,
      body: `(drop (call $get_device_handle (i32.const ${adc.id}))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $map_dev (local.get $h))')}
        (drop (call $bus_write32 (i32.const ${CHSELR}) (i32.const 3)))
        (drop (call $bus_write32 (i32.const ${IER}) (i32.const ${EOC})))
        ${r('(call $irq_enable (i32.const 19))')}
        ;; before 5 ms: the input is still 0
        (drop (call $bus_write32 (i32.const ${CR}) (i32.const ${ADEN_ADSTART})))
        (call $waitIrq) ${r('(i32.load (i32.const 1032))')}
        ${r(`(call $bus_read32 (i32.const ${DR}))`)}
        ;; reading DR cleared EOC: acknowledging brings no second event
        ${r('(call $irq_acknowledge (i32.const 19))')}
        ${r('(call $wait_for_event (i32.const 4) (i32.const -1))')}
        ${r('(call $sleep (i32.const 6) (i32.const 0))')}
        (drop (call $bus_write32 (i32.const ${CR}) (i32.const ${ADEN_ADSTART})))
        (call $waitIrq)
        (drop (call $get_cycle (i32.const 3))) ${r('(i32.load (i32.const 1024))')}
        ${r(`(i32.and (call $bus_read32 (i32.const ${ISR})) (i32.const ${EOC}))`)}
        (local.set $i (call $bus_read32 (i32.const ${DR})))
        ${r('(i32.div_u (local.get $i) (i32.const 100))')} ${r('(i32.rem_u (local.get $i) (i32.const 100))')}
        ${r(`(i32.and (call $bus_read32 (i32.const ${ISR})) (i32.const ${EOC}))`)}`,
    });
    const run = runWat([{ name: 'sensor', label: 1, capabilities: Cap.DevAnalog | Cap.TimHpChrono, wat }], {}, {
      board, scenario: { text: '# the sensor reads 1234 from 5 ms on\n5ms adc1 3 1234\n', file: 'sensor.scenario' },
    });
    expect(run.lines).toEqual([
      '[sensor] s=00', '[sensor] s=00', '[sensor] s=19', '[sensor] s=00', '[sensor] s=00', '[sensor] s=08', '[sensor] s=07',
      '[sensor] s=06', '[sensor] s=04', '[sensor] s=12', '[sensor] s=34', '[sensor] s=00',
    ]);
  });

  it('a bad ADC line in a scenario is refused at boot with file:line', () => {
    const wat = taskWat({ imports: ['log'], body: 'nop' });
    expect(() => runWat([{ name: 'sensor', label: 1, capabilities: Cap.DevAnalog, wat }], {}, {
      board, scenario: { text: '\n1ms adc1 9 100\n', file: 'sensor.scenario' },
    })).toThrow(/^sensor\.scenario:2: /);
  });
});
