import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Board } from '../../kernel/board.js';
import { Cap } from '../abi/capabilities.js';
import { generateCHeaders } from '../sdk/c-headers.js';
import { BoardError, checkBoard, generateTaskResourceHeaders, ownerAssignments, readBoard, type BoardTask } from './devicetree.js';
import { FdtError, parseFdt } from './fdt.js';

let dir: string;
let counter = 0;

beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'rampart-dt-test-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** Write a board.dts (in its own folder) and return its path. */
function writeBoard(text: string): string {
  const sub = path.join(dir, `p${counter++}`);
  execFileSync('mkdir', ['-p', sub]);
  const file = path.join(sub, 'board.dts');
  writeFileSync(file, text);
  return file;
}

/** A board including the SDK board, plus `extra`. */
function m4(extra: string): string {
  return writeBoard(`/dts-v1/;\n#include <rampart/rampart-m4.dtsi>\n\n${extra}\n`);
}

async function problems(file: string, options = {}): Promise<string[]> {
  try {
    await readBoard(file, options);
  } catch (error) {
    if (error instanceof BoardError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a BoardError');
}

const PING: BoardTask = { label: 0x1000, name: 'ping', capabilities: Cap.DevBuses | Cap.DevIo | Cap.DevDma, configFile: 'apps/ping/task.conf' };
const PONG: BoardTask = { label: 0x2000, name: 'pong', capabilities: Cap.DevCrypto | Cap.DevStorage | Cap.DevIo, configFile: 'apps/pong/task.conf' };
const TASKS = [PING, PONG];

const PROJECT = `
&usart2 { outpost,owner = <0x1000>; status = "okay"; };
&led0 { outpost,owner = <0x1000>; status = "okay"; };
&button0 { outpost,owner = <0x2000>; status = "okay"; };
&rng { outpost,owner = <0x2000>; status = "okay"; };
&gpdma1 { status = "okay"; };
&gpdma1_ch2 { outpost,owner = <0x1000>; status = "okay"; };
&bkpsram { outpost,owner = <0x2000>; status = "okay"; };

&reserved_memory {
	shm_ping: ping-buf@40000 {
		reg = <0x40000 0x1000>;
		outpost,shm;
		outpost,label = <0xf00>;
		outpost,owner = <0x1000>;
		dma-pool;
	};
	shm_log: log@48000 {
		reg = <0x48000 0x800>;
		outpost,shm;
		outpost,label = <0xf01>;
		outpost,owner = <0x2000>;
		outpost,no-map;
	};
};

/ {
	dma-streams {
		stream_tx: tx {
			compatible = "dma-stream";
			channel = <&gpdma1_ch2>;
			streamid = <21>;
			source = <&shm_ping>;
			dest = <&usart2>;
			length = <0x200>;
			circular = <1 0>;
			prio = <RAMPART_DMA_PRIO_VERY_HIGH>;
			outpost,label = <0x42>;
		};
	};
};
`;

const EXPECTED: Board = {
  model: 'rampart-m4',
  ramSize: 512 * 1024,
  // Active nodes: usart1 0, usart2 1, gpioa 2, gpiob 3, gpioc 4, rng 5, gpdma1 6, bkpsram 7,
  // led0 8, button0 9. Listed: the owned ones plus the kernel's own, the console and the DMA
  // controller (whose channel lines the kernel takes).
  devices: [
    { id: 0, name: 'usart1', path: '/soc/serial@40013800', compatible: 'st,stm32-usart', owner: 0, baseAddress: 0x40013800, size: 0x400, irqs: [37], ios: [], capability: Cap.DevBuses, model: 'usart' },
    { id: 1, name: 'usart2', path: '/soc/serial@40004400', compatible: 'st,stm32-usart', owner: 0x1000, baseAddress: 0x40004400, size: 0x400, irqs: [38], ios: [], capability: Cap.DevBuses, model: 'usart' },
    { id: 5, name: 'rng', path: '/soc/rng@50060800', compatible: 'st,stm32-rng', owner: 0x2000, baseAddress: 0x50060800, size: 0x400, irqs: [80], ios: [], capability: Cap.DevCrypto, model: 'rng' },
    {
      id: 6, name: 'gpdma1', path: '/soc/dma-controller@40020000', compatible: 'st,stm32u5-dma', owner: 0, baseAddress: 0x40020000, size: 0x1000,
      irqs: [11, 12, 13, 14, 15, 16, 17, 18], ios: [], capability: Cap.DevDma, model: 'gpdma',
    },
    { id: 7, name: 'bkpsram', path: '/soc/memory@40024000', compatible: 'rampart,bkpsram', owner: 0x2000, baseAddress: 0x40024000, size: 0x1000, irqs: [], ios: [], capability: Cap.DevStorage, model: 'bkpsram' },
    {
      id: 8, name: 'led0', path: '/leds/led-0', compatible: 'gpio-leds', owner: 0x1000, baseAddress: 0, size: 0, irqs: [],
      ios: [{ port: 0, pin: 5, mode: 1, af: 0, ppull: 0, speed: 0, pupdr: 0 }], capability: Cap.DevIo, model: 'led',
    },
    {
      id: 9, name: 'button0', path: '/buttons/button-0', compatible: 'gpio-keys', owner: 0x2000, baseAddress: 0, size: 0, irqs: [40],
      ios: [{ port: 2, pin: 13, mode: 0, af: 0, ppull: 0, speed: 0, pupdr: 1 }], capability: Cap.DevIo, model: 'button',
    },
  ],
  shms: [
    { id: 0, path: '/reserved-memory/ping-buf@40000', label: 0xf00, owner: 0x1000, baseAddress: 0x40000, size: 0x1000, dmaPool: true, noMap: false },
    { id: 1, path: '/reserved-memory/log@48000', label: 0xf01, owner: 0x2000, baseAddress: 0x48000, size: 0x800, dmaPool: false, noMap: true },
  ],
  dmaStreams: [
    {
      id: 0, path: '/dma-streams/tx', label: 0x42, owner: 0x1000, channel: 2, controller: 0, streamId: 21,
      source: { kind: 'shm', id: 0 }, dest: { kind: 'device', id: 1 }, length: 0x200,
      circularSource: true, circularDest: false, priority: 3,
    },
  ],
};

describe('readBoard', () => {
  it('derives devices, ids, capabilities, SHMs and DMA streams from a project board', async () => {
    const warnings: string[] = [];
    const board = await readBoard(m4(PROJECT), { onWarning: (w) => warnings.push(w) });
    expect(board).toEqual(EXPECTED);
    expect(Object.isFrozen(board.devices[0])).toBe(true);
    expect(warnings).toEqual([]);
    expect(checkBoard(board, TASKS, 'board.dts')).toEqual([]);
  });

  it('gives the default board: the console and nothing else', async () => {
    const board = await readBoard(m4(''));
    expect(board.devices.map((d) => [d.id, d.name, d.owner])).toEqual([[0, 'usart1', 0]]);
    expect(board).toMatchObject({ model: 'rampart-m4', ramSize: 0x80000, shms: [], dmaStreams: [] });
  });

  it('reads a bare board without the SDK include', async () => {
    expect(await readBoard(writeBoard('/dts-v1/;\n/ { };\n'))).toEqual({ model: 'unnamed', ramSize: 0, devices: [], shms: [], dmaStreams: [] });
  });

  it('numbers devices among all active nodes, so enabling a node shifts later ids', async () => {
    const board = await readBoard(m4('&tim2 { status = "okay"; };\n&tim3 { outpost,owner = <0x1000>; status = "okay"; };'));
    // usart2 is disabled: usart1 0, gpioa 1, gpiob 2, gpioc 3, tim2 4 (enabled, unowned), tim3 5.
    expect(board.devices.map((d) => [d.name, d.id, d.capability])).toEqual([['usart1', 0, Cap.DevBuses], ['tim3', 5, Cap.DevTimer]]);
  });

  it('numbers a pin\'s GPIO port by the port\'s name, as the kernel does, whichever ports are enabled', async () => {
    // gpioa disabled: gpiob is still port 1 (by position among enabled ports it would be 0,
    // and the kernel, which attaches gpiob's model as port 1, would drive the wrong pin).
    const board = await readBoard(m4(`&gpioa { status = "disabled"; };
&pinctrl {
	gpiod: gpio@48000c00 { compatible = "st,stm32-gpio"; gpio-controller; #gpio-cells = <2>; reg = <0x48000c00 0x400>; status = "okay"; };
	pd3: pd3 { pinmux = <&gpiod 3 RAMPART_PIN_MODE_OUTPUT>; };
};
&led1 { outpost,owner = <0x1000>; status = "okay"; pinctrl-0 = <&led1_pb14 &pd3>; };
&button0 { outpost,owner = <0x2000>; status = "okay"; };`));
    expect(board.devices.filter((d) => d.owner !== 0).map((d) => [d.name, d.ios.map((io) => [io.port, io.pin])])).toEqual([
      ['led1', [[1, 14], [3, 3]]],
      ['button0', [[2, 13]]],
    ]);
  });

  it('refuses a pin on a disabled port, or on a port node the kernel cannot name', async () => {
    const disabled = m4('&gpioa { status = "disabled"; };\n&led0 { outpost,owner = <0x1000>; status = "okay"; };');
    expect(await problems(disabled)).toEqual([
      `${disabled}: /soc/pinctrl@48000000/led0-pa5: pinmux uses /soc/pinctrl@48000000/gpio@48000000, which is not an enabled st,stm32-gpio port; set status = "okay" on it`,
    ]);
    const unnamed = m4(`&pinctrl {
	port_x: gpio@48000c00 { compatible = "st,stm32-gpio"; reg = <0x48000c00 0x400>; status = "okay"; };
	px1: px1 { pinmux = <&port_x 1 RAMPART_PIN_MODE_OUTPUT>; };
};
&led0 { outpost,owner = <0x1000>; status = "okay"; pinctrl-0 = <&px1>; };`);
    expect(await problems(unnamed)).toEqual([
      `${unnamed}: /soc/pinctrl@48000000/px1: pinmux uses /soc/pinctrl@48000000/gpio@48000c00 (named port_x), but the kernel knows a GPIO port by its label, gpioa for port 0 .. gpiok for port 10; label the port node accordingly`,
    ]);
  });

  it('reads the documented DMA priority property prio, then priority, default MEDIUM', async () => {
    const streams = (extra: string): string => `&gpdma1 { status = "okay"; };
&gpdma1_ch0 { outpost,owner = <0x1000>; status = "okay"; };
&reserved_memory { a: a@40000 { reg = <0x40000 0x100>; outpost,shm; outpost,label = <1>; outpost,owner = <0x1000>; dma-pool; }; };
/ { dma-streams { s { compatible = "dma-stream"; channel = <&gpdma1_ch0>; source = <&a>; dest = <&a>; outpost,label = <7>; ${extra} }; }; };`;
    expect((await readBoard(m4(streams('')))).dmaStreams[0]?.priority).toBe(1);
    expect((await readBoard(m4(streams('prio = <2>;')))).dmaStreams[0]?.priority).toBe(2);
    expect((await readBoard(m4(streams('priority = <0>;')))).dmaStreams[0]?.priority).toBe(0);
  });

  it('ignores dma-stream nodes without outpost,label (spec §6.5)', async () => {
    const board = await readBoard(m4('/ { dma-streams { s { compatible = "dma-stream"; }; }; };'));
    expect(board.dmaStreams).toEqual([]);
  });
});

describe('readBoard problems', () => {
  it('refuses an explicit outpost,owner = <0>', async () => {
    const file = m4('&tim2 { outpost,owner = <0>; status = "okay"; };');
    expect(await problems(file)).toEqual([
      `${file}: /soc/timer@40000000: outpost,owner = <0> is refused (0 is the kernel); delete the property to leave the node to the kernel, or name a task label`,
    ]);
  });

  it('refuses a node claimed twice, naming both assignments', async () => {
    const file = m4('&usart2 { outpost,owner = <0x1000>; status = "okay"; };\n&usart2 { outpost,owner = <0x2000>; };');
    expect(await problems(file)).toEqual([
      `${file}: /soc/serial@40004400: outpost,owner is assigned 2 times (${file}:4 sets <0x1000>, ${file}:5 sets <0x2000>); a node has one owner: keep one assignment`,
    ]);
  });

  it('refuses a two-cell owner', async () => {
    const file = m4('&usart2 { outpost,owner = <0x1000 0x2000>; status = "okay"; };');
    expect(await problems(file)).toEqual([
      `${file}: /soc/serial@40004400: outpost,owner names 2 owners (0x1000, 0x2000); a node has exactly one owner: keep one label`,
    ]);
  });

  it('refuses an SHM outside the reserved-memory range', async () => {
    const file = m4('&reserved_memory { shm@90000 { reg = <0x90000 0x100>; outpost,shm; outpost,label = <1>; outpost,owner = <0x1000>; }; };');
    expect(await problems(file)).toEqual([
      `${file}: /reserved-memory/shm@90000: reg 0x00090000..0x00090100 lies outside the shared-memory range 0x00040000..0x00080000 (rampart,shm-range of /reserved-memory); move it inside`,
    ]);
  });

  it('requires the label and owner of an SHM', async () => {
    const file = m4('&reserved_memory { shm@40000 { reg = <0x40000 0x100>; outpost,shm; }; };');
    expect(await problems(file)).toEqual([
      `${file}: /reserved-memory/shm@40000: a shared memory needs outpost,label = <N>; (the value get_shm_handle takes)`,
      `${file}: /reserved-memory/shm@40000: a shared memory needs outpost,owner = <task label>;`,
    ]);
  });

  it('flags an owned node that is not enabled', async () => {
    const file = m4('&tim3 { outpost,owner = <0x1000>; };');
    expect(await problems(file)).toEqual([
      `${file}: /soc/timer@40000400: has outpost,owner but is not enabled (status is "disabled"); add status = "okay";`,
    ]);
  });

  it('checks the DMA channel and controller of a stream', async () => {
    const file = m4(`&reserved_memory { a: a@40000 { reg = <0x40000 0x100>; outpost,shm; outpost,label = <1>; outpost,owner = <0x1000>; dma-pool; }; };
/ { dma-streams { s { compatible = "dma-stream"; channel = <&gpdma1_ch1>; source = <&a>; dest = <&usart2>; outpost,label = <7>; }; }; };`);
    expect(await problems(file)).toEqual([
      `${file}: /dma-streams/s: controller /soc/dma-controller@40020000 of its channel must be enabled (status = "okay") and kernel-owned (no outpost,owner)`,
      `${file}: /soc/dma-controller@40020000/dma-channel@1: the channel of a DMA stream must be enabled; add status = "okay";`,
      `${file}: /soc/dma-controller@40020000/dma-channel@1: the channel of a DMA stream needs outpost,owner = <task label>; (the stream's owner)`,
      `${file}: /dma-streams/s: dest /soc/serial@40004400 is neither a shared memory (outpost,shm) nor an enabled device (status = "okay")`,
    ]);
  });

  it('shows a dtc syntax error with file:line', async () => {
    const file = m4('&usart2 {\n\tstatus = "okay"\n};');
    expect(await problems(file)).toEqual([`${file}:6:1: syntax error (look for a missing ";" or "}" on this line or the one before)`]);
  });

  it('shows an unresolved label with file:line', async () => {
    const file = m4('&usart9 { status = "okay"; };');
    expect(await problems(file)).toEqual([
      `${file}:4:1: label or path usart9 not found; check its spelling and that the file defining it (e.g. <rampart/rampart-m4.dtsi>) is included first`,
    ]);
  });

  it('shows a missing include with file:line', async () => {
    const file = writeBoard('/dts-v1/;\n#include <rampart/rampart-m9.dtsi>\n');
    expect(await problems(file)).toEqual([
      `${file}:2:10: rampart/rampart-m9.dtsi: No such file or directory; check the name (the SDK boards are included as <rampart/rampart-m4.dtsi>) or pass its folder in includeDirs`,
    ]);
  });

  it('says how to install dtc when it is missing', async () => {
    const file = m4('');
    expect(await problems(file, { dtc: 'dtc-not-installed-here' })).toEqual([
      `${file}: the devicetree compiler 'dtc-not-installed-here' is not installed; install it with scripts/ensure-dtc.sh (or: apt-get install device-tree-compiler)`,
    ]);
  });

  it('resolves extra include directories', async () => {
    const incDir = path.join(dir, 'extra-inc');
    execFileSync('mkdir', ['-p', path.join(incDir, 'acme')]);
    writeFileSync(path.join(incDir, 'acme', 'owners.h'), '#define PING 0x1000\n');
    const file = m4('#include <acme/owners.h>\n&usart2 { outpost,owner = <PING>; status = "okay"; };');
    const board = await readBoard(file, { includeDirs: [incDir] });
    expect(board.devices.find((d) => d.name === 'usart2')?.owner).toBe(0x1000);
  });
});

describe('checkBoard', () => {
  const check = async (extra: string, tasks: readonly BoardTask[] = TASKS): Promise<string[]> =>
    checkBoard(await readBoard(m4(extra)), tasks, 'board.dts');

  it('names a device owner that is no task', async () => {
    expect(await check('&usart2 { outpost,owner = <0xbeef>; status = "okay"; };')).toEqual([
      'board.dts: /soc/serial@40004400: owner 0xbeef names no task (tasks: ping 0x1000, pong 0x2000)',
    ]);
  });

  it('names an SHM owner that is no task', async () => {
    expect(await check('&reserved_memory { shm@40000 { reg = <0x40000 0x100>; outpost,shm; outpost,label = <1>; outpost,owner = <0xbeef>; }; };')).toEqual([
      'board.dts: /reserved-memory/shm@40000: owner 0xbeef names no task (tasks: ping 0x1000, pong 0x2000)',
    ]);
  });

  it('names a DMA channel owner that is no task', async () => {
    expect(await check(`&gpdma1 { status = "okay"; };
&gpdma1_ch4 { outpost,owner = <0xbeef>; status = "okay"; };
&reserved_memory { a: a@40000 { reg = <0x40000 0x100>; outpost,shm; outpost,label = <1>; outpost,owner = <0xbeef>; dma-pool; }; };
/ { dma-streams { s { compatible = "dma-stream"; channel = <&gpdma1_ch4>; source = <&a>; dest = <&a>; outpost,label = <7>; }; }; };`, [PING])).toEqual([
      'board.dts: /reserved-memory/a@40000: owner 0xbeef names no task (tasks: ping 0x1000)',
      'board.dts: /dma-streams/s: owner 0xbeef (of channel 4 of DMA controller 0) names no task (tasks: ping 0x1000)',
    ]);
  });

  it('names the capability a device owner lacks and the task.conf to fix', async () => {
    expect(await check('&usart2 { outpost,owner = <0x2000>; status = "okay"; };')).toEqual([
      'board.dts: /soc/serial@40004400: device usart2 needs CAP_DEV_BUSES, which its owner pong (0x2000) lacks; add CONFIG_CAP_DEV_BUSES=y to apps/pong/task.conf',
    ]);
  });

  it('refuses an owned device without a device capability', async () => {
    expect(await check('&{/soc} { widget: widget@50000000 { compatible = "acme,widget"; reg = <0x50000000 0x100>; status = "okay"; outpost,owner = <0x1000>; }; };')).toEqual([
      'board.dts: /soc/widget@50000000: device widget has an owner but no device capability (compatible "acme,widget" matches no capability rule), so it could never be mapped; remove outpost,owner or give it the compatible of its model',
    ]);
  });

  it('refuses overlapping devices', async () => {
    expect(await check(`&usart2 { outpost,owner = <0x1000>; status = "okay"; };
&{/soc} { uart9: serial@40004600 { compatible = "st,stm32-usart"; reg = <0x40004600 0x400>; status = "okay"; outpost,owner = <0x1000>; }; };`)).toEqual([
      'board.dts: /soc/serial@40004600: reg 0x40004600..0x40004a00 overlaps /soc/serial@40004400 (0x40004400..0x40004800); two devices cannot share registers: fix the reg of one',
    ]);
  });

  it('refuses overlapping SHMs', async () => {
    expect(await check(`&reserved_memory {
	a@40000 { reg = <0x40000 0x1000>; outpost,shm; outpost,label = <1>; outpost,owner = <0x1000>; };
	b@40800 { reg = <0x40800 0x1000>; outpost,shm; outpost,label = <2>; outpost,owner = <0x2000>; };
};`)).toEqual([
      'board.dts: /reserved-memory/b@40800: reg 0x00040800..0x00041800 overlaps /reserved-memory/a@40000 (0x00040000..0x00041000); move one of the shared memories',
    ]);
  });

  const stream = (shmA: string, shmB: string, dest = '&b', streamOwner = '0x1000'): string => `&gpdma1 { status = "okay"; };
&gpdma1_ch0 { outpost,owner = <${streamOwner}>; status = "okay"; };
&reserved_memory {
	a: a@40000 { reg = <0x40000 0x100>; outpost,shm; outpost,label = <1>; ${shmA} };
	b: b@41000 { reg = <0x41000 0x100>; outpost,shm; outpost,label = <2>; ${shmB} };
};
/ { dma-streams { s { compatible = "dma-stream"; channel = <&gpdma1_ch0>; source = <&a>; dest = <${dest}>; outpost,label = <7>; }; }; };`;

  it('refuses a DMA stream on an SHM without dma-pool', async () => {
    expect(await check(stream('outpost,owner = <0x1000>; dma-pool;', 'outpost,owner = <0x1000>;'))).toEqual([
      'board.dts: /dma-streams/s: dest /reserved-memory/b@41000 is a shared memory without dma-pool; add dma-pool; to /reserved-memory/b@41000',
    ]);
  });

  it('refuses a DMA stream on an SHM its owner does not own', async () => {
    expect(await check(stream('outpost,owner = <0x1000>; dma-pool;', 'outpost,owner = <0x2000>; dma-pool;'))).toEqual([
      "board.dts: /dma-streams/s: dest /reserved-memory/b@41000 is owned by 0x2000, not by the stream's owner 0x1000; a stream only moves data between resources its owner owns",
    ]);
  });

  it('refuses a DMA stream on a device its owner does not own', async () => {
    const extra = `${stream('outpost,owner = <0x1000>; dma-pool;', 'outpost,owner = <0x1000>; dma-pool;', '&rng')}\n&rng { outpost,owner = <0x2000>; status = "okay"; };`;
    expect(await check(extra)).toEqual([
      "board.dts: /dma-streams/s: dest /soc/rng@50060800 is owned by 0x2000, not by the stream's owner 0x1000; a stream only moves data between resources its owner owns",
    ]);
    const unowned = `${stream('outpost,owner = <0x1000>; dma-pool;', 'outpost,owner = <0x1000>; dma-pool;', '&tim2')}\n&tim2 { status = "okay"; };`;
    expect(await check(unowned)).toEqual([
      'board.dts: /dma-streams/s: dest device #4 is owned by no task; give it outpost,owner = <0x1000>; (the stream\'s owner)',
    ]);
  });

  it('refuses a DMA stream whose owner lacks CAP_DEV_DMA', async () => {
    expect(await check(stream('outpost,owner = <0x2000>; dma-pool;', 'outpost,owner = <0x2000>; dma-pool;', '&b', '0x2000'))).toEqual([
      "board.dts: /dma-streams/s: the stream's owner pong (0x2000) lacks CAP_DEV_DMA, without which no DMA syscall is available; add CONFIG_CAP_DEV_DMA=y to apps/pong/task.conf",
    ]);
  });

  it('refuses two SHMs with one label', async () => {
    expect(await check(`&reserved_memory {
	a@40000 { reg = <0x40000 0x100>; outpost,shm; outpost,label = <1>; outpost,owner = <0x1000>; };
	b@41000 { reg = <0x41000 0x100>; outpost,shm; outpost,label = <1>; outpost,owner = <0x2000>; };
};`)).toEqual([
      'board.dts: /reserved-memory/b@41000: outpost,label 0x1 is also the label of /reserved-memory/a@40000; get_shm_handle needs unique labels',
    ]);
  });

  it('refuses a pin used by devices of two owners', async () => {
    // led1 re-pointed at led0's pin: the second LED's owner would drive the first's pin.
    expect(await check(`&led0 { outpost,owner = <0x1000>; status = "okay"; };
&led1 { outpost,owner = <0x2000>; status = "okay"; pinctrl-0 = <&led0_pa5>; };`)).toEqual([
      'board.dts: /leds/led-1: pin PA5 is also used by /leds/led-0 (owner 0x1000), but this node\'s owner is 0x2000; a pin has one owner: point pinctrl-0 of one of them at another pin, or give both the same owner',
    ]);
    // A private pin node on the same port and pin is the same pin.
    expect(await check(`&pinctrl { other_pa5: other-pa5 { pinmux = <&gpioa 5 RAMPART_PIN_MODE_INPUT>; }; };
&led0 { outpost,owner = <0x1000>; status = "okay"; };
&button0 { outpost,owner = <0x2000>; status = "okay"; pinctrl-0 = <&other_pa5>; };`)).toEqual([
      'board.dts: /buttons/button-0: pin PA5 is also used by /leds/led-0 (owner 0x1000), but this node\'s owner is 0x2000; a pin has one owner: point pinctrl-0 of one of them at another pin, or give both the same owner',
    ]);
  });

  it('refuses a pin inside a GPIO port owned by another task', async () => {
    expect(await check(`&gpioa { outpost,owner = <0x2000>; };
&led0 { outpost,owner = <0x1000>; status = "okay"; };`)).toEqual([
      'board.dts: /leds/led-0: pin PA5 is also used by /soc/pinctrl@48000000/gpio@48000000 (owner 0x2000), but this node\'s owner is 0x1000; the owner of a GPIO port owns all 16 of its pins: leave the port to the kernel (no outpost,owner), or give both the same owner',
    ]);
    // The port listed after the pin's device: the message lands on the port.
    expect(await check(`&usart2 { outpost,owner = <0x1000>; status = "okay"; pinctrl-0 = <&button0_pc13>; };
&gpioc { outpost,owner = <0x2000>; };`)).toEqual([
      'board.dts: /soc/pinctrl@48000000/gpio@48000800: pin PC13 is also used by /soc/serial@40004400 (owner 0x1000), but this node\'s owner is 0x2000; the owner of a GPIO port owns all 16 of its pins: leave the port to the kernel (no outpost,owner), or give both the same owner',
    ]);
  });

  it('refuses two GPIO port nodes of one port with two owners', async () => {
    // The kernel knows a port device by its name (gpioa = port 0), so this unlabelled node
    // named gpioa would be a second way into port A.
    expect(await check(`&gpioa { outpost,owner = <0x1000>; };
&{/soc} { gpioa { compatible = "st,stm32-gpio"; reg = <0x48001000 0x400>; status = "okay"; outpost,owner = <0x2000>; }; };`)).toEqual([
      'board.dts: /soc/gpioa: GPIO port A is also used by /soc/pinctrl@48000000/gpio@48000000 (owner 0x1000), but this node\'s owner is 0x2000; a GPIO port has one owner: keep one node for it',
    ]);
  });

  it('accepts pins and ports shared by devices of one owner', async () => {
    expect(await check(`&gpioa { outpost,owner = <0x1000>; };
&led0 { outpost,owner = <0x1000>; status = "okay"; };
&led1 { outpost,owner = <0x1000>; status = "okay"; pinctrl-0 = <&led0_pa5>; };
&button0 { outpost,owner = <0x2000>; status = "okay"; };`)).toEqual([]);
  });

  it('refuses an IRQ line used by devices of two owners, the console included', async () => {
    expect(await check(`&usart2 { outpost,owner = <0x1000>; status = "okay"; };
&rng { outpost,owner = <0x2000>; status = "okay"; interrupts = <38>; };`)).toEqual([
      'board.dts: /soc/rng@50060800: IRQ 38 is also used by /soc/serial@40004400 (owner 0x1000), but this node\'s owner is 0x2000; an interrupt line goes to one owner: fix the interrupts of one of them, or give both the same owner',
    ]);
    expect(await check('&usart2 { outpost,owner = <0x1000>; status = "okay"; interrupts = <37>; };')).toEqual([
      'board.dts: /soc/serial@40004400: IRQ 37 is also used by /soc/serial@40013800 (the kernel\'s usart1), but this node\'s owner is 0x1000; a line the kernel uses is never a task\'s: fix the interrupts of this node',
    ]);
    // One owner may have two devices on one line.
    expect(await check(`&usart2 { outpost,owner = <0x1000>; status = "okay"; };
&led0 { outpost,owner = <0x1000>; status = "okay"; interrupts = <38>; };`)).toEqual([]);
  });

  it('refuses a task device on a DMA channel\'s completion line, the kernel\'s once the controller is enabled', async () => {
    // usart2 comes before gpdma1 in the table; the message still lands on the task's node.
    expect(await check(`&gpdma1 { status = "okay"; };
&usart2 { outpost,owner = <0x1000>; status = "okay"; interrupts = <13>; };`)).toEqual([
      'board.dts: /soc/serial@40004400: IRQ 13 is also used by /soc/dma-controller@40020000 (channel 2 of the kernel\'s DMA controller gpdma1), but this node\'s owner is 0x1000; a line the kernel uses is never a task\'s: fix the interrupts of this node',
    ]);
    expect(await check(`&gpdma1 { status = "okay"; };
&gpdma1_ch0 { outpost,owner = <0x1000>; status = "okay"; };
&rng { outpost,owner = <0x2000>; status = "okay"; interrupts = <80 18>; };`)).toEqual([
      'board.dts: /soc/rng@50060800: IRQ 18 is also used by /soc/dma-controller@40020000 (channel 7 of the kernel\'s DMA controller gpdma1), but this node\'s owner is 0x2000; a line the kernel uses is never a task\'s: fix the interrupts of this node',
    ]);
    // A disabled controller is driven by no one: its lines are free.
    expect(await check('&usart2 { outpost,owner = <0x1000>; status = "okay"; interrupts = <13>; };')).toEqual([]);
  });

  it('refuses a kernel DMA controller without one line per channel, and a stream on a channel it does not have', async () => {
    const shm = '&reserved_memory { a: a@40000 { reg = <0x40000 0x100>; outpost,shm; outpost,label = <1>; outpost,owner = <0x1000>; dma-pool; }; };';
    expect(await check(`&gpdma1 { status = "okay"; interrupts = <11 12 13>; };`)).toEqual([
      'board.dts: /soc/dma-controller@40020000: the kernel\'s DMA controller gpdma1 lists 3 interrupt line(s), but it raises one per channel (8); list 8 lines in its interrupts, channel 0\'s first',
    ]);
    expect(await check(`&gpdma1 { status = "okay"; ch9: dma-channel@9 { reg = <9>; status = "okay"; outpost,owner = <0x1000>; }; };
${shm}
/ { dma-streams { s { compatible = "dma-stream"; channel = <&ch9>; source = <&a>; dest = <&a>; outpost,label = <7>; }; }; };`)).toEqual([
      'board.dts: /dma-streams/s: channel 9 of DMA controller 0 does not exist (a controller has channels 0..7); use one of dma-channel@0..7',
    ]);
  });

  it('lists every violation at once', async () => {
    const found = await check('&usart2 { outpost,owner = <0xbeef>; status = "okay"; };\n&tim2 { outpost,owner = <0x1000>; status = "okay"; };', []);
    expect(found).toEqual([
      'board.dts: /soc/serial@40004400: owner 0xbeef names no task (no tasks)',
      'board.dts: /soc/timer@40000000: owner 0x1000 names no task (no tasks)',
    ]);
  });
});

describe('ownerAssignments', () => {
  it('follows node blocks, references and /delete-property/', () => {
    const symbols = new Map([['u2', '/soc/serial@1']]);
    const text = [
      '# 1 "b.dts"',
      '/ { soc { u2: serial@1 { outpost,owner = <1>; }; }; };',
      '&u2 { /delete-property/ outpost,owner; };',
      '&{/soc/serial@1} { outpost,owner = <(1 << 4)>; };',
      '&u2 { x = "a;{"; outpost,owner = <2>; };',
    ].join('\n');
    expect([...ownerAssignments(text, symbols)]).toEqual([
      ['/soc/serial@1', [{ file: 'b.dts', line: 3, value: '<(1 << 4)>' }, { file: 'b.dts', line: 4, value: '<2>' }]],
    ]);
  });
});

describe('parseFdt on hostile input', () => {
  let dtb: Uint8Array;
  beforeAll(() => {
    const src = path.join(dir, 'small.dts');
    writeFileSync(src, '/dts-v1/;\n/ { a { b = <1>; c = "x"; }; };\n');
    execFileSync('dtc', ['-I', 'dts', '-O', 'dtb', '-o', `${src}.dtb`, src]);
    dtb = new Uint8Array(readFileSync(`${src}.dtb`));
  });
  const be = (bytes: Uint8Array, at: number, value: number): Uint8Array => {
    const copy = bytes.slice();
    new DataView(copy.buffer).setUint32(at, value, false);
    return copy;
  };

  it('reads a well-formed DTB', () => {
    const root = parseFdt(dtb);
    expect(root.children.map((c) => [c.path, [...c.props.keys()]])).toEqual([['/a', ['b', 'c']]]);
  });

  it('refuses truncation, bad magic, bad offsets and oversized properties', () => {
    expect(() => parseFdt(dtb.slice(0, 20))).toThrow(FdtError);
    expect(() => parseFdt(dtb.slice(0, dtb.length - 8))).toThrow(/claims/);
    expect(() => parseFdt(be(dtb, 0, 0x12345678))).toThrow(/magic/);
    expect(() => parseFdt(be(dtb, 8, 0xfffffff0))).toThrow(/structure block/);
    expect(() => parseFdt(be(dtb, 12, 0xfffffff0))).toThrow(/strings block/);
    // The first property token follows the root and /a node headers: find it and corrupt its length.
    const view = new DataView(dtb.buffer, dtb.byteOffset);
    const offStruct = view.getUint32(8, false);
    let at = offStruct;
    while (view.getUint32(at, false) !== 3) at += 4;
    expect(() => parseFdt(be(dtb, at + 4, 0x7fffffff))).toThrow(/refused|past/);
    expect(() => parseFdt(be(dtb, at + 8, 0xffff))).toThrow(/strings block/);
    expect(() => parseFdt(be(dtb, at, 0x77))).toThrow(/unknown token/);
  });

  it('never throws anything but FdtError on random corruption', () => {
    let seed = 1;
    const rand = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed; };
    for (let i = 0; i < 500; i++) {
      const copy = dtb.slice();
      for (let k = 0; k < 4; k++) copy[rand() % copy.length] = rand() & 0xff;
      try { parseFdt(copy); } catch (error) { expect(error).toBeInstanceOf(FdtError); }
    }
  });
});

describe('generateTaskResourceHeaders', () => {
  let board: Board;
  beforeAll(async () => { board = await readBoard(m4(PROJECT)); });

  it('lists the devices, SHMs and streams a task owns', () => {
    const ping = generateTaskResourceHeaders(board, 0x1000);
    expect(Object.keys(ping).sort()).toEqual(['devices-dt.h', 'dma-dt.h', 'shms-dt.h', 'uapi/device.h']);
    expect(ping['devices-dt.h']).toContain('enum devid {\n  DEV_ID_USART2 = 1, /**< /soc/serial@40004400 (st,stm32-usart) */\n  DEV_ID_LED0 = 8,');
    expect(ping['devices-dt.h']).toContain('generated by rampart');
    expect(ping['devices-dt.h']).toContain('#define DEVICE_LIST_SIZE 2');
    expect(ping['shms-dt.h']).toContain('#define SHM_LABEL_PING_BUF 0x00000f00u');
    expect(ping['shms-dt.h']).toContain('#define SHM_LABEL_LOG 0x00000f01u');
    expect(ping['shms-dt.h']).toContain('#define SHM_LIST_SIZE 1');
    expect(ping['dma-dt.h']).toContain('#define DMA_STREAM_LABEL_TX 0x00000042u');
    const none = generateTaskResourceHeaders(board, 0x3000);
    expect(none['devices-dt.h']).toContain('#define DEVICE_LIST_SIZE 0');
    expect(none['devices-dt.h']).not.toContain('devices[');
    expect(generateTaskResourceHeaders(board, 0x1000)).toEqual(ping);
  });

  it('compiles with -Wall -Werror (and -std=c99 -pedantic) and pins the layouts', async () => {
    const { commands } = await import('@yowasp/clang');
    const uapi = generateCHeaders({ exchangeAreaLen: 128 });
    const program = `#include <uapi/uapi.h>
#include <devices-dt.h>
#include <shms-dt.h>
#include <dma-dt.h>
#ifdef PING
__extension__ _Static_assert(DEV_ID_USART2 == 1 && DEV_ID_LED0 == 8, "device ids");
__extension__ _Static_assert(DEVICE_LIST_SIZE == 2 && SHM_LIST_SIZE == 1 && DMA_STREAM_LIST_SIZE == 1, "counts");
__extension__ _Static_assert(DMA_STREAM_LABEL_TX == 0x42u && SHM_LABEL_PING_BUF == 0xf00u, "labels");
size_t first_base(void) { return devices[0].baseaddr + shms[0].size + devices[1].ios[0].pin; }
#else
__extension__ _Static_assert(DEVICE_LIST_SIZE == 0 && SHM_LIST_SIZE == 0 && DMA_STREAM_LIST_SIZE == 0, "nothing owned");
#endif
int main(void) { return 0; }
`;
    for (const [label, define] of [[0x1000, ['-DPING']], [0x3000, []]] as const) {
      const headers = generateTaskResourceHeaders(board, label);
      const inc: Record<string, Record<string, string> | string> = { uapi: {}, rampart: {} };
      for (const [name, text] of Object.entries({ ...uapi, ...headers })) {
        const [first, second] = name.split('/');
        if (second === undefined) inc[first!] = text;
        else (inc[first!] as Record<string, string>)[second] = text;
      }
      for (const std of [[], ['-std=c99', '-pedantic']]) {
        let output = '';
        const sink = (bytes: Uint8Array | null): void => { if (bytes !== null) output += new TextDecoder().decode(bytes); };
        let failed = false;
        try {
          await commands.clang(['--target=wasm32-unknown-unknown', '-fsyntax-only', '-Wall', '-Werror', ...std, ...define, '-I/inc', '/src/t.c'],
            { src: { 't.c': program }, inc }, { stdout: sink, stderr: sink, fetchProgress: () => undefined });
        } catch {
          failed = true;
        }
        expect({ label, std, failed, output }).toEqual({ label, std, failed: false, output: '' });
      }
    }
    // The layout asserts are live: where size_t is 8 bytes (wasm64) device.h refuses to compile.
    let output = '';
    const sink = (bytes: Uint8Array | null): void => { if (bytes !== null) output += new TextDecoder().decode(bytes); };
    await expect(commands.clang(['--target=wasm64-unknown-unknown', '-fsyntax-only', '-I/inc', '/src/t.c'],
      { src: { 't.c': '#include <uapi/device.h>\n' }, inc: { uapi: { 'device.h': generateTaskResourceHeaders(board, 0)['uapi/device.h']! } } },
      { stdout: sink, stderr: sink, fetchProgress: () => undefined })).rejects.toThrow();
    expect(output).toContain('devinfo_t is 148 bytes on wasm32');
  });
});
