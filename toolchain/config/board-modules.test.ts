/**
 * The Rust and AssemblyScript resource modules against the C headers of the same board:
 * every constant the C headers define exists in both modules with the same value, and the
 * tables hold the resources the task owns. (Compiling them is test/integration/sdk-tables.)
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Board } from '../../kernel/board.js';
import { generateTaskResourceHeaders } from './board-headers.js';
import { asTaskResources, rustTaskResources } from './board-modules.js';
import { readBoard } from './devicetree.js';

const FIXTURE = join(import.meta.dirname, '../../test/fixtures/sdk-tables');

/** Every named constant of a task's C headers: DEV_ID_* (enum), SHM_LABEL_* and DMA_STREAM_LABEL_* (macros). */
function cConstants(board: Board, label: number): Map<string, number> {
  const headers = generateTaskResourceHeaders(board, label);
  const out = new Map<string, number>();
  for (const m of (headers['devices-dt.h'] ?? '').matchAll(/^ {2}(DEV_ID_\w+) = (\d+),/gm)) out.set(m[1]!, Number(m[2]));
  for (const m of `${headers['shms-dt.h']}${headers['dma-dt.h']}`.matchAll(/^#define ((?:SHM|DMA_STREAM)_LABEL_\w+) 0x([0-9a-f]+)u/gm)) out.set(m[1]!, parseInt(m[2]!, 16));
  return out;
}

describe('per-task Rust and AssemblyScript resource modules', () => {
  let board: Board;
  beforeAll(async () => { board = await readBoard(join(FIXTURE, 'board.dts'), { includeDirs: [FIXTURE] }); });

  it('define every constant of the C headers with the same value, and the same counts', () => {
    for (const label of [0x1000, 0x2000, 0x3000, 0x9000]) {
      const rust = rustTaskResources(board, label);
      const as = asTaskResources(board, label);
      const constants = cConstants(board, label);
      expect(constants.size).toBeGreaterThan(0); // every task sees the board's SHM labels
      for (const [name, value] of constants) {
        expect(rust).toMatch(new RegExp(`^pub const ${name}: [\\w:]+ = (0x${value.toString(16)}|${value});$`, 'm'));
        expect(as).toMatch(new RegExp(`^export const ${name}: u(8|32) = (0x${value.toString(16)}|${value});$`, 'm'));
      }
      const owned = (list: readonly { owner: number }[]): number => list.filter((x) => x.owner === label).length;
      for (const [name, count] of [['DEVICE_LIST_SIZE', owned(board.devices)], ['SHM_LIST_SIZE', owned(board.shms)], ['DMA_STREAM_LIST_SIZE', owned(board.dmaStreams)]] as const) {
        expect(rust).toContain(`pub const ${name}: usize = ${count};`);
        expect(as).toContain(`export const ${name}: i32 = ${count};`);
        expect(generateTaskResourceHeaders(board, label)[name === 'DEVICE_LIST_SIZE' ? 'devices-dt.h' : name === 'SHM_LIST_SIZE' ? 'shms-dt.h' : 'dma-dt.h'])
          .toContain(`#define ${name} ${count}`);
      }
      // Same inputs, same text (the build caches hash it).
      expect(rustTaskResources(board, label)).toBe(rust);
      expect(asTaskResources(board, label)).toBe(as);
    }
  });

  it('hold the devices and SHMs a task owns, fixed-size in Rust, exact in AssemblyScript', () => {
    const rust = rustTaskResources(board, 0x2000);
    const usart = board.devices.find((d) => d.name === 'usart2')!;
    expect(rust).toContain(`pub const DEV_ID_USART2: u8 = ${usart.id};`);
    expect(rust).toContain('        id: DEV_ID_USART2 as u32,\n        mappable: false,\n        baseaddr: 0x40004400,\n        size: 0x400,\n        num_interrupt: 1,');
    // devinfo_t has 8 interrupt and 8 pin slots: Rust spells all of them.
    expect(rust.match(/ItInfo \{ it_num/g)).toHaveLength(2 * 8);
    expect(rust).toContain('ShmInfo { id: SHM_LABEL_RUST_BUF, mappable: true, dmapool: false, baseaddr: 0x40100, size: 0x200 },');
    const as = asTaskResources(board, 0x3000);
    const tim2 = board.devices.find((d) => d.name === 'tim2')!;
    expect(as).toContain(`  new dev.DevInfo(DEV_ID_TIM2, false, 0x40000000, 0x400, [new dev.ItInfo(${tim2.irqs[0]}, 0)], []),`);
    expect(as).toContain('  new dev.ShmInfo(SHM_LABEL_AS_SRC, true, true, 0x40400, 0x100),');
    expect(as).toContain('export const DMA_STREAM_LABEL_AS_COPY: u32 = 0xe0;');
    // A task that owns nothing: empty tables, still well-typed.
    expect(rustTaskResources(board, 0x9000)).toContain(`pub static DEVICES: [::sentry_uapi::systypes::dev::DevInfo; DEVICE_LIST_SIZE] = [\n];`);
    expect(asTaskResources(board, 0x9000)).toContain('export const SHMS: StaticArray<dev.ShmInfo> = [\n];');
  });
});
