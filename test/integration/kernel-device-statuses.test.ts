/**
 * The exact statuses of the device, IRQ, GPIO and DMA gates, through a booted kernel: the
 * negative paths (foreign handles, unmapped devices, other tasks' IRQ lines, streams in the
 * wrong state, the shared mapping-slot limit) and the behaviours around them (irq_disable
 * masks, irq_acknowledge unmasks, suspend/resume, DMA error events, a refused start that
 * leaves the stream usable). Statuses are those of spec §1.2, with Rampart's documented
 * deviations (docs/kernel.md, "Devices, shared memories and DMA"). The board is given
 * directly; the devicetree path is tested with the toolchain and in kernel-devices.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Board, BoardDevice, BoardDmaStream, BoardShm } from '../../kernel/board.js';
import { Cap, makeDeviceHandle } from '../../toolchain/abi/index.js';
import { runWat, taskWat, type TestTask } from '../helpers/wat.js';

const TIM2 = 0x40000000;
const pin = (port: number, p: number) => ({ port, pin: p, mode: 1, af: 0, ppull: 0, speed: 0, pupdr: 0 });
const device = (id: number, name: string, owner: number, path: string, extra: Partial<BoardDevice>): BoardDevice => ({
  id, name, path, owner, compatible: '', baseAddress: 0, size: 0, irqs: [], ios: [], capability: 0, model: 'none', ...extra,
});
const shm = (id: number, label: number, owner: number, baseAddress: number, size: number): BoardShm => ({
  id, path: `/reserved-memory/shm@${baseAddress.toString(16)}`, label, owner, baseAddress, size, dmaPool: true, noMap: false,
});
const stream = (id: number, label: number, owner: number, channel: number, length: number, source = 0, dest = 1): BoardDmaStream => ({
  id, path: `/dma-streams/s${id}`, label, owner, channel, controller: 0, streamId: 0,
  source: { kind: 'shm', id: source }, dest: { kind: 'shm', id: dest }, length, circularSource: false, circularDest: false, priority: 1,
});

/**
 * Task a (label 1) owns tim2 (IRQ 28), led0, the SHMs 0xa0/0xa1 (4 KiB each) and 0xb0..0xb4,
 * and streams 0xd0..0xd4; task b (label 2) owns tim3 (IRQ 29), led1 and stream 0xd5; task c
 * (label 3) owns nothing.
 */
const BOARD: Board = {
  model: 'test', ramSize: 0,
  devices: [
    device(0, 'tim2', 1, '/soc/timer@40000000', { compatible: 'st,stm32-timers', baseAddress: TIM2, size: 0x400, irqs: [28], capability: Cap.DevTimer, model: 'timer' }),
    device(1, 'tim3', 2, '/soc/timer@40000400', { compatible: 'st,stm32-timers', baseAddress: TIM2 + 0x400, size: 0x400, irqs: [29], capability: Cap.DevTimer, model: 'timer' }),
    device(2, 'led0', 1, '/leds/led-0', { compatible: 'gpio-leds', ios: [pin(0, 5)], capability: Cap.DevIo, model: 'led' }),
    device(3, 'led1', 2, '/leds/led-1', { compatible: 'gpio-leds', ios: [pin(1, 14)], capability: Cap.DevIo, model: 'led' }),
    // the streams' controller, kept by the kernel (owner 0)
    device(4, 'gpdma1', 0, '/soc/dma-controller@40020000', {
      compatible: 'st,stm32u5-dma', baseAddress: 0x40020000, size: 0x1000, irqs: [11, 12, 13, 14, 15, 16, 17, 18], capability: Cap.DevDma, model: 'gpdma',
    }),
  ],
  shms: [
    shm(0, 0xa0, 1, 0x8000, 0x1000), shm(1, 0xa1, 1, 0x9000, 0x1000),
    shm(2, 0xb0, 1, 0xa000, 0x100), shm(3, 0xb1, 1, 0xa100, 0x100), shm(4, 0xb2, 1, 0xa200, 0x100), shm(5, 0xb3, 1, 0xa300, 0x100), shm(6, 0xb4, 1, 0xa400, 0x100),
    shm(7, 0xc0, 2, 0xb000, 0x100),
  ],
  dmaStreams: [
    stream(0, 0xd0, 1, 0, 0x1000),
    // length 0: the controller's configuration error at the end of setup
    stream(1, 0xd1, 1, 1, 0),
    // two streams on one channel
    stream(2, 0xd2, 1, 2, 0x10), stream(3, 0xd3, 1, 2, 0x10),
    // twice the SHMs' size: the copy past their end is refused, a transmission error
    stream(4, 0xd4, 1, 3, 0x2000),
    stream(5, 0xd5, 2, 4, 0x10, 7, 7),
  ],
};

const ALL_DEV = Cap.DevTimer | Cap.DevIo | Cap.DevDma;
const idle = taskWat({ imports: ['log'], body: 'nop' });
const r = (expr: string) => `(call $report ${expr})`;
const run = (a: string, b: string = idle) => runWat([
  { name: 'a', label: 1, priority: 5, capabilities: ALL_DEV, wat: a }, { name: 'b', label: 2, capabilities: ALL_DEV, wat: b }, { name: 'c', label: 3, wat: idle },
] satisfies TestTask[], {}, { board: BOARD });
const linesOf = (lines: readonly string[], name: string) => lines.filter((l) => l.startsWith(`[${name}] `)).map((l) => l.slice(name.length + 3));

/** Handles of b's tim3 and led1, forged exactly as the kernel makes them (spec §2.14). */
const FOREIGN_TIM3 = makeDeviceHandle(1, Cap.DevTimer);
const FOREIGN_LED1 = makeDeviceHandle(3, Cap.DevIo);

describe('device gates: exact statuses', () => {
  it('unmap_dev: INVALID when not mapped or unknown, DENIED for another task\'s device; the window goes with the mapping', () => {
    const wat = taskWat({
      imports: ['log', 'get_device_handle', 'map_dev', 'unmap_dev', 'bus_read32'],
      body: `${r('(call $get_device_handle (i32.const 1))')}
        (drop (call $get_device_handle (i32.const 0))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $unmap_dev (local.get $h))')}
        ${r('(call $map_dev (local.get $h))')}
        ${r('(call $unmap_dev (local.get $h))')}
        ${r('(call $unmap_dev (local.get $h))')}
        ${r('(call $unmap_dev (i32.const 0))')}
        ${r('(call $unmap_dev (i32.xor (local.get $h) (i32.const 1)))')}
        ${r(`(call $unmap_dev (i32.const ${FOREIGN_TIM3}))`)}
        ${r(`(call $map_dev (i32.const ${FOREIGN_TIM3}))`)}
        ${r('(call $map_dev (local.get $h))')}
        ${r('(call $unmap_dev (local.get $h))')}
        (drop (call $bus_read32 (i32.const ${TIM2 + 0x24})))
        ${r('(i32.const 99)')}`,
    });
    const x = run(wat);
    expect(linesOf(x.lines, 'a')).toEqual(['s=01', 's=01', 's=00', 's=00', 's=01', 's=01', 's=01', 's=02', 's=02', 's=00', 's=00']);
    expect(x.result.tasks[0]!.state).toBe('fault');
    expect(x.result.tasks[0]!.fault!.message).toMatch(/bus read32 at 0x40000024: not inside a device it has mapped/);
  });

  it('GPIO with another task\'s device handle: DENIED for all five calls, before the I/O index is looked at', () => {
    const wat = taskWat({
      imports: ['log', 'get_device_handle', 'gpio_get', 'gpio_set', 'gpio_reset', 'gpio_toggle', 'gpio_configure'],
      body: `${r(`(call $gpio_get (i32.const ${FOREIGN_LED1}) (i32.const 0))`)}
        ${r(`(call $gpio_set (i32.const ${FOREIGN_LED1}) (i32.const 0) (i32.const 1))`)}
        ${r(`(call $gpio_reset (i32.const ${FOREIGN_LED1}) (i32.const 0))`)}
        ${r(`(call $gpio_toggle (i32.const ${FOREIGN_LED1}) (i32.const 0))`)}
        ${r(`(call $gpio_configure (i32.const ${FOREIGN_LED1}) (i32.const 0))`)}
        ${r(`(call $gpio_get (i32.const ${FOREIGN_LED1}) (i32.const 9))`)}
        ${r('(call $gpio_set (i32.const 0x12345) (i32.const 0) (i32.const 1))')}
        (drop (call $get_device_handle (i32.const 2)))
        ${r('(call $gpio_toggle (i32.load (i32.const 1024)) (i32.const 0))')}`,
    });
    expect(linesOf(run(wat).lines, 'a')).toEqual(['s=02', 's=02', 's=02', 's=02', 's=02', 's=02', 's=01', 's=00']);
  });

  it('devices and SHMs share the four mapping slots: the fifth mapping of either kind is BUSY', () => {
    const shmOp = (label: number, op: string) => `(drop (call $get_shm_handle (i32.const ${label}))) ${r(`(call $${op} (i32.load (i32.const 1024)))`)}`;
    const grant = (label: number) => `(drop (call $get_shm_handle (i32.const ${label}))) (drop (call $shm_set_credential (i32.load (i32.const 1024)) (local.get $k) (i32.const 1)))`;
    const wat = taskWat({
      imports: ['log', 'get_process_handle', 'get_shm_handle', 'shm_set_credential', 'map_shm', 'unmap_shm', 'get_device_handle', 'map_dev'],
      body: `(drop (call $get_process_handle (i32.const 1))) (local.set $k (i32.load (i32.const 1024)))
        ${[0xb0, 0xb1, 0xb2, 0xb3, 0xb4].map(grant).join(' ')}
        (drop (call $get_device_handle (i32.const 0))) (local.set $h (i32.load (i32.const 1024)))
        ${[0xb0, 0xb1, 0xb2, 0xb3, 0xb4].map((l) => shmOp(l, 'map_shm')).join(' ')}
        ${r('(call $map_dev (local.get $h))')}
        ${shmOp(0xb0, 'unmap_shm')}
        ${r('(call $map_dev (local.get $h))')}
        ${shmOp(0xb4, 'map_shm')}
        ${shmOp(0xb0, 'map_shm')}`,
    });
    expect(linesOf(run(wat).lines, 'a')).toEqual(['s=00', 's=00', 's=00', 's=00', 's=04', 's=04', 's=00', 's=00', 's=04', 's=04']);
  });
});

describe('IRQ gates: exact statuses and masking', () => {
  it('another task\'s line, a DMA channel\'s or an undeclared one is INVALID; irq_disable masks; irq_acknowledge unmasks and delivers a request still held', () => {
    const wat = taskWat({
      imports: ['log', 'get_device_handle', 'map_dev', 'bus_write32', 'irq_enable', 'irq_disable', 'irq_acknowledge', 'wait_for_event'],
      extra: `(func $waitIrq (loop $again (br_if $again (i32.ne (call $wait_for_event (i32.const 4) (i32.const 0)) (i32.const 0)))))`,
      body: `(drop (call $get_device_handle (i32.const 0))) (local.set $h (i32.load (i32.const 1024)))
        ;; tim3's line 29 belongs to b (Rampart checks ownership, spec A.21)
        ${r('(call $irq_disable (i32.const 29))')}
        ${r('(call $irq_enable (i32.const 29))')}
        ${r('(call $irq_acknowledge (i32.const 29))')}
        ;; line 11 is DMA channel 0's, which runs a's own stream 0xd0: still the kernel's line
        ${r('(call $irq_disable (i32.const 11))')}
        ${r('(call $irq_enable (i32.const 11))')}
        ${r('(call $irq_acknowledge (i32.const 11))')}
        ;; no device declares line 99
        ${r('(call $irq_disable (i32.const 99))')}
        ${r('(call $irq_acknowledge (i32.const 99))')}
        ;; the argument is 16 bits wide: 0x1001c is line 28 (a's), 0x101c no line at all
        ${r('(call $irq_disable (i32.const 0x1001c))')}
        ${r('(call $irq_disable (i32.const 0x101c))')}
        (drop (call $map_dev (local.get $h)))
        (drop (call $bus_write32 (i32.const ${TIM2 + 0x28}) (i32.const 63)))
        (drop (call $bus_write32 (i32.const ${TIM2 + 0x2c}) (i32.const 999)))
        (drop (call $bus_write32 (i32.const ${TIM2 + 0x0c}) (i32.const 1)))
        (drop (call $bus_write32 (i32.const ${TIM2}) (i32.const 1)))
        ${r('(call $irq_enable (i32.const 28))')}
        (call $waitIrq) ${r('(i32.load (i32.const 1032))')}
        ;; serviced, re-enabled, then disabled: the updates of the next 3 ms are not delivered
        (drop (call $bus_write32 (i32.const ${TIM2 + 0x10}) (i32.const 0)))
        ${r('(call $irq_enable (i32.const 28))')}
        ${r('(call $irq_disable (i32.const 28))')}
        ${r('(call $wait_for_event (i32.const 4) (i32.const 3))')}
        ;; acknowledge unmasks (spec A.22): the timer still requests, so its IRQ is queued at once
        ${r('(call $irq_acknowledge (i32.const 28))')}
        ${r('(call $wait_for_event (i32.const 4) (i32.const -1))')} ${r('(i32.load (i32.const 1032))')}`,
    });
    expect(linesOf(run(wat).lines, 'a')).toEqual([
      's=01', 's=01', 's=01', 's=01', 's=01', 's=01', 's=01', 's=01', 's=00', 's=01',
      's=00', 's=28',
      's=00', 's=00', 's=07',
      's=00', 's=00', 's=28',
    ]);
  });
});

describe('DMA gates: exact statuses, events and recovery', () => {
  const DMA_IMPORTS = ['log', 'get_process_handle', 'get_shm_handle', 'shm_set_credential', 'map_shm', 'get_dma_stream_handle', 'dma_assign_stream',
    'dma_start_stream', 'dma_suspend_stream', 'dma_resume_stream', 'dma_unassign_stream', 'dma_get_stream_status', 'dma_get_stream_info', 'wait_for_event', 'sleep'];
  const WAIT_DMA = '(func $waitDma (loop $again (br_if $again (i32.ne (call $wait_for_event (i32.const 8) (i32.const 0)) (i32.const 0)))))';
  /** Maps both 4 KiB SHMs read-write, fills the source with 0x5a; $h = the handle of stream `label`. */
  const preamble = (label: number) => `(drop (call $get_process_handle (i32.const 1))) (local.set $k (i32.load (i32.const 1024)))
    (drop (call $get_shm_handle (i32.const 0xa0))) (local.set $i (i32.load (i32.const 1024)))
    (drop (call $get_shm_handle (i32.const 0xa1))) (local.set $j (i32.load (i32.const 1024)))
    (drop (call $shm_set_credential (local.get $i) (local.get $k) (i32.const 5)))
    (drop (call $shm_set_credential (local.get $j) (local.get $k) (i32.const 5)))
    (drop (call $map_shm (local.get $i))) (drop (call $map_shm (local.get $j)))
    (memory.fill (i32.const 0x8000) (i32.const 0x5a) (i32.const 0x1000))
    (drop (call $get_dma_stream_handle (i32.const ${label}))) (local.set $h (i32.load (i32.const 1024)))`;
  const op = (name: string, handle = '$h') => r(`(call $dma_${name}_stream (local.get ${handle}))`);
  const status = (handle = '$h') => `(drop (call $dma_get_stream_status (local.get ${handle}))) ${r('(i32.load8_u (i32.const 1024))')}`;
  const dmaTask = (body: string) => taskWat({ imports: DMA_IMPORTS, extra: WAIT_DMA, body });

  it('suspend then resume: the transfer stops while suspended and completes after; each call refused in the wrong state', () => {
    const wat = dmaTask(`${preamble(0xd0)}
      ${op('suspend')} ${op('resume')}
      ${op('assign')} ${op('suspend')} ${op('resume')}
      ${op('start')} ${op('suspend')} ${op('suspend')} ${status()}
      ${r('(call $sleep (i32.const 2) (i32.const 0))')}
      ;; nothing moved for 2 ms: the block's last byte is still 0
      ${r('(i32.load8_u (i32.const 0x9fff))')}
      ${op('resume')} ${status()}
      ;; a STARTED stream cannot be unassigned
      ${op('unassign')}
      (call $waitDma) ${r('(i32.load8_u (i32.const 1032))')}
      ${r('(i32.load8_u (i32.const 0x9fff))')}
      ${op('unassign')}`);
    expect(linesOf(run(wat).lines, 'a')).toEqual([
      's=01', 's=01',
      's=00', 's=01', 's=01',
      's=00', 's=00', 's=01', 's=03',
      's=07', 's=00',
      's=00', 's=02',
      's=01',
      's=01', 's=90',
      's=00',
    ]);
  });

  it.each([
    ['a configuration error (length 0)', 0xd1],
    ['a transmission error (the copy past the SHM end is refused)', 0xd4],
  ])('%s reaches the owner as an EVENT_TYPE_DMA event; the stream is ASSIGNED again', (_what, label) => {
    const wat = dmaTask(`${preamble(label)}
      ${op('assign')} ${op('start')}
      (call $waitDma)
      ${r('(i32.load8_u (i32.const 1024))')} ${r('(i32.load8_u (i32.const 1025))')}
      ${r('(i32.eq (i32.load (i32.const 1028)) (local.get $h))')} ${r('(i32.load8_u (i32.const 1032))')}
      ${status()} ${op('unassign')}`);
    // type 8 (DMA), length 1, source = the stream's handle, state 1 (ASSIGNED)
    expect(linesOf(run(wat).lines, 'a')).toEqual(['s=00', 's=00', 's=08', 's=01', 's=01', 's=01', 's=01', 's=00']);
  });

  it('a job that ends mid-transfer stops its channel: nothing more is copied, and the stream is free again', () => {
    // a starts the 4 KiB copy and traps at once; the copy must stop with the job, not run on
    // into memory the dead job no longer answers for.
    const wat = dmaTask(`${preamble(0xd0)} ${op('assign')} ${op('start')} unreachable`);
    const result = run(wat);
    expect(linesOf(result.lines, 'a')).toEqual(['s=00', 's=00']);
    expect(result.result.tasks[0]!.state).toBe('fault');
    const k = result.kernel;
    const dst = k.shm.byLabel(0xa1);
    // The last byte of the block was never reached (it would be 0x5a had the copy run on).
    expect(k.shm.content[dst]![0xfff]).toBe(0);
    const s = k.dma.streams.findIndex((x) => x.label === 0xd0);
    expect(k.dma.state[s]).toBe(0); // UNSET
    expect(k.runtime.dma!.isIdle(k.dma.streams[s]!.channel)).toBe(true);
  });

  it('a start the controller refuses is INVALID and leaves the stream ASSIGNED, so it can be unassigned and started again', () => {
    // Streams 0xd2 and 0xd3 share channel 2: unassigning 0xd2 resets the channel under 0xd3.
    const wat = dmaTask(`${preamble(0xd2)}
      (drop (call $get_dma_stream_handle (i32.const 0xd3))) (local.set $k (i32.load (i32.const 1024)))
      ${op('assign')} ${op('assign', '$k')} ${op('unassign')}
      ${op('start', '$k')} ${status('$k')}
      ${op('suspend', '$k')} ${op('unassign', '$k')}
      ${op('assign', '$k')} ${op('start', '$k')}
      (call $waitDma) ${r('(i32.load8_u (i32.const 1032))')} ${r('(i32.eq (i32.load (i32.const 1028)) (local.get $k))')}
      ${op('unassign', '$k')}`);
    expect(linesOf(run(wat).lines, 'a')).toEqual([
      's=00', 's=00', 's=00',
      's=01', 's=01',
      's=01', 's=00',
      's=00', 's=00',
      's=01', 's=01',
      's=00',
    ]);
  });

  it('another task\'s stream: its label is INVALID (A.16), its handle DENIED for every operation; a bad handle is INVALID', () => {
    const owner = taskWat({
      imports: ['get_process_handle', 'get_dma_stream_handle', 'send_ipc'],
      body: `(drop (call $get_process_handle (i32.const 1))) (local.set $k (i32.load (i32.const 1024)))
        (drop (call $get_dma_stream_handle (i32.const 0xd5)))
        (drop (call $send_ipc (local.get $k) (i32.const 4)))`,
    });
    const wat = taskWat({
      imports: DMA_IMPORTS,
      body: `${r('(call $get_dma_stream_handle (i32.const 0xd5))')}
        ${r('(call $get_dma_stream_handle (i32.const 0xdf))')}
        (loop $again (br_if $again (i32.ne (call $wait_for_event (i32.const 1) (i32.const 0)) (i32.const 0))))
        (local.set $h (i32.load (i32.const 1032)))
        ${['assign', 'start', 'suspend', 'resume', 'unassign'].map((name) => op(name)).join(' ')}
        ${r('(call $dma_get_stream_status (local.get $h))')} ${r('(call $dma_get_stream_info (local.get $h))')}
        ${r('(call $dma_assign_stream (i32.const 0))')}
        ${r('(call $dma_start_stream (i32.xor (local.get $h) (i32.const 1)))')}`,
    });
    const x = run(wat, owner);
    expect(linesOf(x.lines, 'a')).toEqual(['s=01', 's=01', 's=02', 's=02', 's=02', 's=02', 's=02', 's=02', 's=02', 's=01', 's=01']);
    expect(x.kernel.dma.state[5]).toBe(0);
  });
});
