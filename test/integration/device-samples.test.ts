/**
 * The device samples of apps/samples/ through the real toolchain and a booted kernel:
 * led-blink (GPIO syscalls, checked on the VCD waveform), uart-echo (a UART driver over the
 * bus helpers and IRQ events, fed by its scenario), shm-pair (SHM credentials, and the
 * fault of a consumer that writes a read-only mapping), dma-copy (an SHM-to-SHM stream).
 * Then the board rules, refused at build (each naming board.dts and the node) and again at
 * boot from a tampered image.
 *
 * Each sample is copied to a temporary folder before it is built, so the build's outputs
 * (build/, the development signing key in keys/) never land in the repository.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildProject, ProjectError } from '../../toolchain/build/project.js';
import { runImageFile } from '../../toolchain/run.js';
import { readImage, SectionKind, writeImage } from '../../kernel/image/image.js';
import { readContainer, writeContainer } from '../../kernel/image/sections.js';
import { canonicalJson } from '../../kernel/image/json-fields.js';
import type { Board, BoardDevice } from '../../kernel/board.js';
import { Cap } from '../../toolchain/abi/capabilities.js';

const SAMPLES = join(import.meta.dirname, '../../apps/samples');
/** Builds compile C and sign: tens of seconds each on a loaded machine. */
const BUILD_TIMEOUT = 600_000;

const work = mkdtempSync(join(tmpdir(), 'rampart-samples-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Copy a sample project to a fresh folder (without build outputs or keys); returns the folder. */
function copySample(name: string): string {
  const source = join(SAMPLES, name);
  const dir = mkdtempSync(join(work, `${name}-`));
  cpSync(source, dir, { recursive: true, filter: (path) => !/^[/\\](build|keys)([/\\]|$)/.test(path.slice(source.length)) });
  return dir;
}

/** Replace `from` by `to` in a file of a copied project (the text must be there). */
function patch(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

async function build(dir: string): Promise<string> {
  const image = join(dir, 'sample.rimg');
  await buildProject(dir, { out: image });
  return image;
}

interface Run {
  readonly code: number;
  readonly lines: string[];
  readonly stderr: string;
}

async function run(image: string, options: { scenario?: string; vcdOut?: string } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runImageFile(image, { seed: 0, ...options, stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } });
  return { code, lines: stdout.split('\n').filter((l) => l !== ''), stderr };
}

/** The problems of a build that must fail. */
async function buildProblems(dir: string): Promise<string[]> {
  try {
    await buildProject(dir, { out: join(dir, 'never.rimg') });
  } catch (error) {
    if (error instanceof ProjectError) return [...error.problems];
    throw error;
  }
  throw new Error('the build succeeded');
}

/** Value changes of one VCD signal after the initial dump: [time, value] pairs. */
function vcdChanges(vcd: string, signal: string): { initial: string; changes: [number, string][] } {
  const id = new RegExp(`^\\$var wire 1 (\\S+) ${signal} \\$end$`, 'm').exec(vcd)?.[1];
  expect(id, `VCD declares ${signal}`).toBeDefined();
  const lines = vcd.slice(vcd.indexOf('$enddefinitions')).split('\n');
  let time = 0;
  let initial = '';
  let inDump = false;
  const changes: [number, string][] = [];
  for (const line of lines) {
    if (line === '$dumpvars') inDump = true;
    else if (line === '$end') inDump = false;
    else if (line.startsWith('#')) time = Number(line.slice(1));
    else if (line.length === 1 + id!.length && line.slice(1) === id) {
      if (inDump) initial = line[0]!;
      else changes.push([time, line[0]!]);
    }
  }
  return { initial, changes };
}

describe('device samples', () => {
  it('led-blink: five blinks through the GPIO syscalls, visible on the led0_PA5 waveform', async () => {
    const dir = copySample('led-blink');
    const image = await build(dir);
    const vcdOut = join(dir, 'blink.vcd');
    const result = await run(image, { vcdOut });
    expect(result.code).toBe(0);
    expect(result.lines).toEqual([
      '[blinky] blinky: led0 on PA5, configured as output',
      '[blinky] blinky: blink 1: on',
      '[blinky] blinky: blink 2: on',
      '[blinky] blinky: blink 3: on',
      '[blinky] blinky: blink 4: on',
      '[blinky] blinky: blink 5: on',
      '[blinky] blinky: done after 5 blinks',
    ]);
    expect(result.stderr).toMatch(/blinky\s+0x1000\s+finished\s+0/);

    // 64 MHz: the VCD unit is 1 ps. Ten changes (on, off) x 5, every 50 ms of virtual time.
    const vcd = readFileSync(vcdOut, 'utf8');
    expect(vcd).toContain('$timescale 1 ps $end');
    const { initial, changes } = vcdChanges(vcd, 'led0_PA5');
    expect(initial).toBe('0');
    expect(changes).toHaveLength(10);
    expect(changes.map(([, v]) => v)).toEqual(['1', '0', '1', '0', '1', '0', '1', '0', '1', '0']);
    const HALF_PERIOD_PS = 50e9;
    for (let i = 1; i < changes.length; i++) {
      expect(Math.abs(changes[i]![0] - changes[i - 1]![0] - HALF_PERIOD_PS)).toBeLessThan(1e8);
    }
  }, BUILD_TIMEOUT);

  it('led-blink with gpioa disabled and the LED moved to PB14: the build and the kernel agree on port B', async () => {
    // The build numbers a pin's port by the port node's name, as the kernel attaches its
    // port models: with gpioa disabled, gpiob is still port 1. Numbered by position among
    // the enabled ports it would be port 0, and the kernel would drive PA14 instead.
    const dir = copySample('led-blink');
    patch(dir, 'board.dts', '&led0 { outpost,owner = <0x1000>; status = "okay"; };',
      '&gpioa { status = "disabled"; };\n&led0 { outpost,owner = <0x1000>; status = "okay"; pinctrl-0 = <&led1_pb14>; };');
    const vcdOut = join(dir, 'blink.vcd');
    const result = await run(await build(dir), { vcdOut });
    expect(result.code).toBe(0);
    // The sample's text names PA5; the pin it drove is on the waveform.
    expect(result.lines.at(-1)).toBe('[blinky] blinky: done after 5 blinks');
    const vcd = readFileSync(vcdOut, 'utf8');
    expect(vcd).not.toContain('led0_PA');
    const { initial, changes } = vcdChanges(vcd, 'led0_PB14');
    expect(initial).toBe('0');
    expect(changes.map(([, v]) => v)).toEqual(['1', '0', '1', '0', '1', '0', '1', '0', '1', '0']);
  }, BUILD_TIMEOUT);

  it('uart-echo: the driver echoes the scenario input and serves it line by line over IPC', async () => {
    const dir = copySample('uart-echo');
    const image = await build(dir);
    const result = await run(image, { scenario: join(dir, 'input.scenario') });
    expect(result.code).toBe(0);
    expect(result.lines).toEqual([
      '[uart] uart: usart2 mapped, receiving with RXNEIE, IRQ enabled',
      "[client] client: got 'hello'",
      '[usart2] hello',
      "[client] client: got 'rampart says hi'",
      '[usart2] rampart says hi',
      "[client] client: got 'bye'",
      '[usart2] bye',
      '[uart] uart: stopped',
      '[client] client: done',
    ]);
    expect(result.stderr).toMatch(/uart\s+0x1000\s+finished\s+0/);
    expect(result.stderr).toMatch(/client\s+0x2000\s+finished\s+0/);
    // Same image, same scenario: the same bytes, in the same order.
    expect((await run(image, { scenario: join(dir, 'input.scenario') })).lines).toEqual(result.lines);
    // Without input, the client waits forever for its first line.
    const idle = await run(image);
    expect(idle.lines).toEqual(['[uart] uart: usart2 mapped, receiving with RXNEIE, IRQ enabled']);
  }, BUILD_TIMEOUT);

  it('shm-pair: the producer writes, the consumer maps read-only, checks shm_get_infos and prints', async () => {
    const dir = copySample('shm-pair');
    const result = await run(await build(dir));
    expect(result.code).toBe(0);
    expect(result.lines).toEqual([
      '[producer] producer: wrote 3 records, consumer may map read-only',
      '[consumer] consumer: records at 0x40000, 4096 bytes, read-only',
      '[consumer] consumer: #1 temperature = 21',
      '[consumer] consumer: #2 pressure = 1013',
      '[consumer] consumer: #3 humidity = -40',
      '[producer] producer: the consumer has read the records',
    ]);
  }, BUILD_TIMEOUT);

  it('shm-pair: a consumer that writes to its read-only mapping is faulted, and the producer learns it', async () => {
    const dir = copySample('shm-pair');
    patch(dir, 'apps/consumer/src/main.c', '    const record_page_t *page = (const record_page_t *)infos.base;\n', [
      '    record_page_t *page = (record_page_t *)infos.base;',
      '    page->records[0].value = 0; /* MAP without WRITE: the kernel faults this task */',
      '    __sys_sched_yield();',
      '',
    ].join('\n'));
    const result = await run(await build(dir));
    expect(result.code).toBe(4);
    expect(result.lines).toEqual([
      '[producer] producer: wrote 3 records, consumer may map read-only',
      '[consumer] consumer: records at 0x40000, 4096 bytes, read-only',
      '[producer] producer: the consumer is gone without reading',
    ]);
    expect(result.stderr).toContain("task 'consumer' faulted at cycle");
    expect(result.stderr).toMatch(/consumer\s+0x2000\s+fault\s+fault: wrote to shared memory 0x5a without WRITE permission/);
    expect(result.stderr).toMatch(/producer\s+0x1000\s+aborted\s+4/);
  }, BUILD_TIMEOUT);

  it('dma-copy: a stream copies one dma-pool SHM into another and signals completion', async () => {
    const dir = copySample('dma-copy');
    const result = await run(await build(dir));
    expect(result.code).toBe(0);
    expect(result.lines).toEqual([
      '[copier] copier: stream started, waiting for its completion',
      "[copier] copier: destination holds 'moved by gpdma1 channel 0, not by the CPU'",
      '[copier] copier: 64 bytes copied and checked, stream released',
    ]);
  }, BUILD_TIMEOUT);
});

describe('board rules at build', () => {
  const boardOf = (dir: string) => relative(process.cwd(), join(dir, 'board.dts'));

  it('refuses a device claimed by a task without its capability, naming board.dts, the node and the task.conf', async () => {
    const dir = copySample('uart-echo');
    patch(dir, 'apps/uart/task.conf', 'CONFIG_CAP_DEV_BUSES=y\n', '');
    const problems = await buildProblems(dir);
    const taskConf = relative(process.cwd(), join(dir, 'apps/uart/task.conf'));
    expect(problems[0]).toBe(
      `${boardOf(dir)}: /soc/serial@40004400: device usart2 needs CAP_DEV_BUSES, which its owner uart (0x1000) lacks; ` +
      `add CONFIG_CAP_DEV_BUSES=y to ${taskConf}`,
    );
    // The app's imports are checked against the same task.conf, and listed with the board's problem.
    expect(problems).toContain(`task 'uart': imports bus access 'bus_read32' without any device capability; add the CONFIG_CAP_DEV_* of its device to ${taskConf}`);
    expect(problems.slice(1).every((p) => p.startsWith("task 'uart': imports ") && p.endsWith(` to ${taskConf}`))).toBe(true);
  }, BUILD_TIMEOUT);

  it('refuses a DMA stream to a shared memory without dma-pool', async () => {
    const dir = copySample('dma-copy');
    patch(dir, 'board.dts', '\t\toutpost,owner = <0x1000>;\n\t\tdma-pool;\n\t};\n};', '\t\toutpost,owner = <0x1000>;\n\t};\n};');
    const problems = await buildProblems(dir);
    expect(problems).toEqual([
      `${boardOf(dir)}: /dma-streams/copy: dest /reserved-memory/dma-dst@40100 is a shared memory without dma-pool; add dma-pool; to /reserved-memory/dma-dst@40100`,
    ]);
  }, BUILD_TIMEOUT);

  it('refuses an owner that names no task, for a device and for a shared memory', async () => {
    const blink = copySample('led-blink');
    patch(blink, 'board.dts', '&led0 { outpost,owner = <0x1000>;', '&led0 { outpost,owner = <0x3000>;');
    expect(await buildProblems(blink)).toEqual([`${boardOf(blink)}: /leds/led-0: owner 0x3000 names no task (tasks: blinky 0x1000)`]);

    const pair = copySample('shm-pair');
    patch(pair, 'board.dts', 'outpost,owner = <0x1000>;', 'outpost,owner = <0x3000>;');
    expect(await buildProblems(pair)).toEqual([
      `${boardOf(pair)}: /reserved-memory/records@40000: owner 0x3000 names no task (tasks: consumer 0x2000, producer 0x1000)`,
    ]);
  }, BUILD_TIMEOUT);
});

describe('board rules at boot, from a tampered image', () => {
  let uartImage: Uint8Array;
  let dmaImage: Uint8Array;

  beforeAll(async () => {
    uartImage = readFileSync(await build(copySample('uart-echo')));
    dmaImage = readFileSync(await build(copySample('dma-copy')));
  }, BUILD_TIMEOUT);

  type Mutable<T> = { -readonly [K in keyof T]: T[K] };
  /** A board as the tests edit it (the kernel's types are read-only). */
  type BoardJson = Omit<Board, 'devices' | 'shms' | 'dmaStreams'> & {
    devices: Mutable<Board['devices'][number]>[];
    shms: Mutable<Board['shms'][number]>[];
    dmaStreams: Mutable<Board['dmaStreams'][number]>[];
  };

  /**
   * Edit the board section of a built image and re-hash it, as someone who can write an
   * image file but not sign it would: the SBOM, the manifest and the signature pin the old
   * board, so they go; the task sections stay byte for byte.
   */
  function rehashBoard(image: Uint8Array, edit: (board: BoardJson) => void): Uint8Array {
    const sections = readContainer(image).sections.filter((s) => s.kind !== SectionKind.Sbom && s.kind !== SectionKind.Manifest);
    return writeContainer(sections.map((s) => {
      if (s.kind !== SectionKind.Board) return { kind: s.kind, bytes: s.bytes };
      const board = JSON.parse(new TextDecoder().decode(s.bytes)) as BoardJson;
      edit(board);
      return { kind: s.kind, bytes: canonicalJson(board) };
    }));
  }

  /**
   * Rewrite a built image around an edited board with `writeImage`: each task's metadata is
   * re-derived from the board it is given, so the task claims agree with the bad board and
   * only the board rules stand between it and the tasks.
   */
  function rewriteWithBoard(bytes: Uint8Array, edit: (board: BoardJson) => void, grant: Readonly<Record<string, number>> = {}): Uint8Array {
    const image = readImage(bytes);
    const board = JSON.parse(JSON.stringify(image.board)) as BoardJson;
    edit(board);
    // `grant` adds capabilities by task name, so that a device given to a task is refused
    // for the rule under test and not for a missing capability.
    const tasks = image.tasks.map((t) => ({ ...t, capabilities: t.capabilities | (grant[t.name] ?? 0) }));
    return writeImage(image.kernel, tasks, board);
  }

  async function boot(bytes: Uint8Array, name: string): Promise<Run> {
    // Outside any PROJECT/build/ folder: no trust anchor, the image boots unverified, so
    // only the kernel's own checks stand between it and the tasks.
    const file = join(work, `${name}.rimg`);
    writeFileSync(file, bytes);
    return run(file);
  }

  const device = (board: BoardJson, name: string) => board.devices.find((d) => d.name === name)!;

  /** The problems of a refused boot, one per line as the CLI prints them. */
  const refusals = (result: Run): string[] => {
    expect(result.code).toBe(2);
    expect(result.lines).toEqual([]);
    return result.stderr.split('\n').filter((l) => l.startsWith('  - ')).map((l) => l.slice(4));
  };

  /** Board entries of rampart-m4 nodes, as the build writes them. */
  const pa5 = { port: 0, pin: 5, mode: 1, af: 0, ppull: 0, speed: 0, pupdr: 0 };
  const led = (id: number, name: string, path: string, owner: number): BoardDevice =>
    ({ id, name, path, compatible: 'gpio-leds', owner, baseAddress: 0, size: 0, irqs: [], ios: [pa5], capability: Cap.DevIo, model: 'led' });
  const gpioa = (owner: number): BoardDevice => ({
    id: 2, name: 'gpioa', path: '/soc/pinctrl@48000000/gpio@48000000', compatible: 'st,stm32-gpio', owner,
    baseAddress: 0x48000000, size: 0x400, irqs: [], ios: [], capability: Cap.DevIo, model: 'gpio',
  });
  const tim2 = (id: number, owner: number, irq: number): BoardDevice => ({
    id, name: 'tim2', path: '/soc/timer@40000000', compatible: 'st,stm32-timers', owner,
    baseAddress: 0x40000000, size: 0x400, irqs: [irq], ios: [], capability: Cap.DevTimer, model: 'timer',
  });
  /** The DMA controller the kernel keeps (owner 0); channel n raises IRQ 11 + n. */
  const gpdma1 = (id: number, irqs: readonly number[] = [11, 12, 13, 14, 15, 16, 17, 18]): BoardDevice => ({
    id, name: 'gpdma1', path: '/soc/dma-controller@40020000', compatible: 'st,stm32u5-dma', owner: 0,
    baseAddress: 0x40020000, size: 0x1000, irqs, ios: [], capability: Cap.DevDma, model: 'gpdma',
  });
  /**
   * A stream on channel 0 of controller 0 from a device to itself (the uart-echo tasks'
   * memories are too small for shared memories in the SHM range). Its controller must be on
   * the board: push `gpdma1` too.
   */
  const deviceStream = (board: BoardJson, owner: number, label: number, deviceId: number): void => {
    const id = board.dmaStreams.length;
    board.dmaStreams.push({
      id, path: `/dma-streams/s${id}`, label, owner, channel: 0, controller: 0, streamId: 0,
      source: { kind: 'device', id: deviceId }, dest: { kind: 'device', id: deviceId }, length: 0x40, circularSource: false, circularDest: false, priority: 1,
    });
  };

  it('a signed image whose board JSON was edited in place fails its section hash', async () => {
    const text = Buffer.from(uartImage).toString('latin1');
    const at = text.indexOf('"owner":4096', text.indexOf('"name":"usart2"'));
    expect(at).toBeGreaterThan(0);
    const edited = Uint8Array.from(uartImage);
    edited.set(Buffer.from('"owner":8192', 'latin1'), at);
    const result = await boot(edited, 'edited-in-place');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('section 1 (board): content does not match its SHA-256 in the section table');
  });

  it('a re-hashed board that takes a device from its owner disagrees with the task metadata', async () => {
    const result = await boot(rehashBoard(uartImage, (b) => { device(b, 'usart2').owner = 0x2000; }), 'rehashed');
    expect(result.code).toBe(2);
    expect(result.lines).toEqual([]);
    expect(result.stderr).toContain("task 'uart': metadata lists device 'usart2', which the board does not give it");
    expect(result.stderr).toContain("task 'client': the board gives it device 'usart2', which its metadata does not list");
  });

  it('refuses an owner that names no task of the image', async () => {
    const result = await boot(rewriteWithBoard(uartImage, (b) => { device(b, 'usart2').owner = 0x3000; }), 'unknown-owner');
    expect(result.code).toBe(2);
    expect(result.lines).toEqual([]);
    expect(result.stderr).toContain('board: /soc/serial@40004400: owner 0x3000 names no task of the image');
    expect(result.stderr).not.toContain('metadata lists');
  });

  it('refuses a device given to a task without its capability', async () => {
    const result = await boot(rewriteWithBoard(uartImage, (b) => { device(b, 'usart2').owner = 0x2000; }), 'no-capability');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("board: /soc/serial@40004400: owner 'client' lacks CAP_DEV_BUSES");
  });

  it('refuses a DMA stream to a shared memory without dma-pool', async () => {
    const result = await boot(rewriteWithBoard(dmaImage, (b) => { b.shms[1]!.dmaPool = false; }), 'not-dma-pool');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('board: /dma-streams/copy: dest /reserved-memory/dma-dst@40100 is not a dma-pool shared memory');
    // The same edit in the board section alone (task sections untouched) is caught too.
    const rehashed = await boot(rehashBoard(dmaImage, (b) => { b.shms[1]!.dmaPool = false; }), 'not-dma-pool-rehashed');
    expect(rehashed.code).toBe(2);
    expect(rehashed.stderr).toContain('board: /dma-streams/copy: dest /reserved-memory/dma-dst@40100 is not a dma-pool shared memory');
  });

  it('refuses a device on the console\'s registers and overlapping shared memories', async () => {
    const onConsole = await boot(rewriteWithBoard(uartImage, (b) => { device(b, 'usart2').baseAddress = 0x40013800; }), 'device-overlap');
    expect(refusals(onConsole)).toEqual(['board: /soc/serial@40004400 overlaps /soc/serial@40013800']);
    const shms = await boot(rewriteWithBoard(dmaImage, (b) => { b.shms[1]!.baseAddress = 0x40080; }), 'shm-overlap');
    expect(refusals(shms)).toEqual(['board: /reserved-memory/dma-dst@40100 overlaps /reserved-memory/dma-src@40000']);
  });

  it('refuses two device entries with one id, or one node listed twice for two owners', async () => {
    const sameId = await boot(rewriteWithBoard(uartImage, (b) => { b.devices.push(tim2(1, 0x2000, 28)); }, { client: Cap.DevTimer }), 'same-id');
    expect(refusals(sameId)).toEqual([
      "board: /soc/serial@40004400 (owner 0x1000 'uart') and /soc/timer@40000000 (owner 0x2000 'client') share device id 1",
    ]);
    const twice = await boot(rewriteWithBoard(uartImage, (b) => { b.devices.push({ ...device(b, 'usart2'), owner: 0x2000 }); }, { client: Cap.DevBuses }), 'listed-twice');
    expect(refusals(twice)).toEqual([
      "board: /soc/serial@40004400 is listed twice, as device 1 (owner 0x1000 'uart') and device 1 (owner 0x2000 'client')",
      'board: /soc/serial@40004400 overlaps /soc/serial@40004400',
      "board: /soc/serial@40004400 (owner 0x1000 'uart') and /soc/serial@40004400 (owner 0x2000 'client') share IRQ 38",
    ]);
  });

  it('refuses a repeated shared-memory label and a repeated DMA stream label', async () => {
    const shm = await boot(rewriteWithBoard(dmaImage, (b) => { b.shms[1]!.label = b.shms[0]!.label; }), 'shm-label');
    expect(refusals(shm)).toEqual([
      "board: /reserved-memory/dma-src@40000 (owner 0x1000 'copier') and /reserved-memory/dma-dst@40100 (owner 0x1000 'copier') share SHM label 0xd0",
    ]);
    const stream = await boot(rewriteWithBoard(dmaImage, (b) => { b.dmaStreams.push({ ...b.dmaStreams[0]!, id: 1, path: '/dma-streams/copy2' }); }), 'stream-label');
    expect(refusals(stream)).toEqual([
      "board: /dma-streams/copy (owner 0x1000 'copier') and /dma-streams/copy2 (owner 0x1000 'copier') share DMA stream label 0xc0",
    ]);
  });

  it('refuses two owners on one DMA channel', async () => {
    const result = await boot(rewriteWithBoard(uartImage, (b) => {
      b.devices.push(tim2(4, 0x2000, 28), gpdma1(6));
      deviceStream(b, 0x1000, 0xb0, 1);
      deviceStream(b, 0x2000, 0xb1, 4);
    }, { uart: Cap.DevDma, client: Cap.DevDma | Cap.DevTimer }), 'shared-channel');
    expect(refusals(result)).toEqual([
      "board: /dma-streams/s0 (owner 0x1000 'uart') and /dma-streams/s1 (owner 0x2000 'client') share channel 0 of DMA controller 0",
    ]);
  });

  it('refuses a DMA stream whose owner lacks CAP_DEV_DMA, or that has no owner', async () => {
    const noCap = await boot(rewriteWithBoard(uartImage, (b) => {
      b.devices.push(tim2(4, 0x2000, 28), gpdma1(6));
      deviceStream(b, 0x2000, 0xb0, 4);
    }, { client: Cap.DevTimer }), 'stream-no-cap');
    expect(refusals(noCap)).toEqual(["board: /dma-streams/s0: owner 'client' lacks CAP_DEV_DMA"]);
    const kernelOwned = await boot(rewriteWithBoard(dmaImage, (b) => { b.dmaStreams[0]!.owner = 0; }), 'stream-no-owner');
    expect(refusals(kernelOwned)).toEqual(['board: /dma-streams/copy: a DMA stream needs an owner task']);
  });

  it('refuses one GPIO pin given to devices of two owners', async () => {
    const result = await boot(rewriteWithBoard(uartImage, (b) => {
      b.devices.push(led(8, 'led0', '/leds/led-0', 0x1000), led(9, 'led1', '/leds/led-1', 0x2000));
    }, { uart: Cap.DevIo, client: Cap.DevIo }), 'shared-pin');
    expect(refusals(result)).toEqual(["board: /leds/led-0 (owner 0x1000 'uart') and /leds/led-1 (owner 0x2000 'client') share pin PA5"]);
  });

  it('refuses a pin inside a GPIO port device owned by another task', async () => {
    const result = await boot(rewriteWithBoard(uartImage, (b) => {
      b.devices.push(led(8, 'led0', '/leds/led-0', 0x1000), gpioa(0x2000));
    }, { uart: Cap.DevIo, client: Cap.DevIo }), 'pin-in-port');
    expect(refusals(result)).toEqual([
      "board: /leds/led-0 (owner 0x1000 'uart') and /soc/pinctrl@48000000/gpio@48000000 (owner 0x2000 'client') share pin PA5",
    ]);
  });

  it('refuses an IRQ line shared by two owners, the kernel\'s console included', async () => {
    const tasks = await boot(rewriteWithBoard(uartImage, (b) => { b.devices.push(tim2(4, 0x2000, 38)); }, { client: Cap.DevTimer }), 'shared-irq');
    expect(refusals(tasks)).toEqual([
      "board: /soc/serial@40004400 (owner 0x1000 'uart') and /soc/timer@40000000 (owner 0x2000 'client') share IRQ 38",
    ]);
    const console = await boot(rewriteWithBoard(uartImage, (b) => { device(b, 'usart2').irqs = [37]; }), 'console-irq');
    expect(refusals(console)).toEqual([
      "board: /soc/serial@40013800 (the kernel) and /soc/serial@40004400 (owner 0x1000 'uart') share IRQ 37 (the kernel's usart1)",
    ]);
  });

  it('refuses a task device on a DMA channel\'s completion line, the kernel\'s', async () => {
    // Given the line, the copier could irq_disable channel 0 and stall the stream; with
    // two tasks, another task's transfers.
    const result = await boot(rewriteWithBoard(dmaImage, (b) => { b.devices.push(tim2(9, 0x1000, 11)); }, { copier: Cap.DevTimer }), 'dma-line');
    expect(refusals(result)).toEqual([
      "board: /soc/dma-controller@40020000 (the kernel) and /soc/timer@40000000 (owner 0x1000 'copier') share IRQ 11 (channel 0 of the kernel's DMA controller gpdma1)",
    ]);
    const last = await boot(rewriteWithBoard(uartImage, (b) => {
      b.devices.push(gpdma1(6));
      device(b, 'usart2').irqs = [38, 18];
    }), 'dma-line-7');
    expect(refusals(last)).toEqual([
      "board: /soc/serial@40004400 (owner 0x1000 'uart') and /soc/dma-controller@40020000 (the kernel) share IRQ 18 (channel 7 of the kernel's DMA controller gpdma1)",
    ]);
  });

  it('refuses DMA streams whose controller is not on the board or lacks a line per channel', async () => {
    // Without its controller entry the kernel would not know which lines the channels
    // raise, nor could the checks keep them from tasks: no built-in numbers stand in.
    const removed = await boot(rewriteWithBoard(dmaImage, (b) => { b.devices = b.devices.filter((d) => d.model !== 'gpdma'); }), 'no-controller');
    expect(refusals(removed)).toEqual([
      'board: /dma-streams/copy: DMA controller 0 of the stream is not on the board (it lists 0 DMA controller(s) kept by the kernel)',
    ]);
    const short = await boot(rewriteWithBoard(dmaImage, (b) => { device(b, 'gpdma1').irqs = [11, 12, 13]; }), 'short-controller');
    expect(refusals(short)).toEqual([
      "board: /soc/dma-controller@40020000: the kernel's DMA controller gpdma1 lists 3 interrupt line(s), but it raises one per channel (8)",
    ]);
    const channel = await boot(rewriteWithBoard(dmaImage, (b) => { b.dmaStreams[0]!.channel = 9; }), 'no-such-channel');
    expect(refusals(channel)).toEqual([
      'board: /dma-streams/copy: channel 9 of DMA controller 0 does not exist (a controller has channels 0..7)',
    ]);
  });

  it('refuses a pin on a GPIO port the kernel cannot name', async () => {
    const result = await boot(rewriteWithBoard(uartImage, (b) => {
      b.devices.push({ ...led(8, 'led0', '/leds/led-0', 0x1000), ios: [{ ...pa5, port: 11 }] });
    }, { uart: Cap.DevIo }), 'port-11');
    expect(refusals(result)).toEqual(['board: /leds/led-0: pin 5 is on GPIO port 11, but the kernel has ports 0..10 only (gpioa..gpiok)']);
  });
});
