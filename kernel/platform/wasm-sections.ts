/**
 * A minimal, strict reader of a WebAssembly module's interface: types, imports, exports,
 * memory limits and the presence of a start function.
 *
 * The engine's reflection (`WebAssembly.Module.imports`) does not give function types on
 * Node 20, and the kernel must know them: a task that imports `rampart.log` with the wrong
 * signature is refused, not trusted. Only the sections that describe the interface are
 * decoded; code is skipped by its declared size. Every read is bounds-checked and a
 * malformed module raises `WasmFormatError` with the byte offset, never a RangeError.
 */

export class WasmFormatError extends Error {
  override readonly name = 'WasmFormatError';
}

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref' | 'other';

export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

export interface WasmImport {
  readonly module: string;
  readonly name: string;
  readonly kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
  /** For functions. */
  readonly type?: FuncType;
}

export interface WasmExport {
  readonly name: string;
  readonly kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
  readonly index: number;
}

export interface WasmInterface {
  readonly imports: readonly WasmImport[];
  readonly exports: readonly WasmExport[];
  /** Limits of the first defined memory, in 64 KiB pages; undefined when none is defined. */
  readonly memory?: { readonly initial: number; readonly maximum?: number };
  readonly hasStart: boolean;
  /** Constant i32 initialisers of defined globals (by global index, imported ones first). */
  readonly globalInits: ReadonlyMap<number, number>;
  readonly importedGlobals: number;
  /** Indices of defined globals that are mutable i32 (imported ones first in the numbering). */
  readonly mutableI32Globals: ReadonlySet<number>;
}

const KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;

class Reader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array, private readonly end = bytes.length) {}
  fail(what: string): never {
    throw new WasmFormatError(`malformed module at byte ${this.pos}: ${what}`);
  }
  byte(): number {
    if (this.pos >= this.end) this.fail('unexpected end');
    return this.bytes[this.pos++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 28) this.fail('LEB128 too long');
    }
    if (result > 0xffffffff) this.fail('LEB128 out of range');
    return result;
  }
  s32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
      if (shift > 35) this.fail('signed LEB128 too long');
    } while (b & 0x80);
    if (shift < 32 && (b & 0x40)) result |= -1 << shift;
    return result | 0;
  }
  skipS64(): void {
    let n = 0;
    while (this.byte() & 0x80) if (++n > 10) this.fail('signed LEB128 too long');
  }
  name(): string {
    const len = this.u32();
    if (this.pos + len > this.end) this.fail('name past end');
    const s = new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  skip(n: number): void {
    if (this.pos + n > this.end) this.fail('section past end');
    this.pos += n;
  }
  valType(): ValType {
    const b = this.byte();
    switch (b) {
      case 0x7f: return 'i32';
      case 0x7e: return 'i64';
      case 0x7d: return 'f32';
      case 0x7c: return 'f64';
      case 0x7b: return 'v128';
      case 0x70: return 'funcref';
      case 0x6f: return 'externref';
      default: return 'other';
    }
  }
  limits(): { initial: number; maximum?: number } {
    const flags = this.byte();
    if (flags > 7) this.fail('bad limits flags');
    const initial = this.u32();
    const maximum = flags & 1 ? this.u32() : undefined;
    return maximum === undefined ? { initial } : { initial, maximum };
  }
}

/** Decode the interface of a module. Throws `WasmFormatError` on malformed input. */
export function readWasmInterface(bytes: Uint8Array): WasmInterface {
  const r: Reader = new Reader(bytes);
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmFormatError('not a WebAssembly module (bad magic)');
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new WasmFormatError('unsupported WebAssembly binary version');
  }
  r.pos = 8;
  const types: FuncType[] = [];
  const imports: WasmImport[] = [];
  const exports: WasmExport[] = [];
  const globalInits = new Map<number, number>();
  const mutableI32Globals = new Set<number>();
  let importedGlobals = 0;
  let memory: { initial: number; maximum?: number } | undefined;
  let hasStart = false;
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const start = r.pos;
    if (start + size > bytes.length) r.fail(`section ${id} past end of module`);
    const s: Reader = new Reader(bytes, start + size);
    s.pos = start;
    switch (id) {
      case 1: {
        const n = s.u32();
        for (let i = 0; i < n; i++) {
          const form = s.byte();
          if (form !== 0x60) {
            // GC proposal types: not supported by Rampart tasks.
            s.fail('only plain function types are supported');
          }
          const params: ValType[] = [];
          for (let p = s.u32(); p > 0; p--) params.push(s.valType());
          const results: ValType[] = [];
          for (let q = s.u32(); q > 0; q--) results.push(s.valType());
          types.push({ params, results });
        }
        break;
      }
      case 2: {
        const n = s.u32();
        for (let i = 0; i < n; i++) {
          const module = s.name();
          const name = s.name();
          const kindByte = s.byte();
          const kind = KINDS[kindByte] as WasmImport["kind"] | undefined;
          if (kind === undefined) s.fail('bad import kind');
          if (kind === 'function') {
            const t = s.u32();
            const type = types[t];
            if (type === undefined) s.fail('import type index out of range');
            imports.push({ module, name, kind, type });
          } else {
            if (kind === 'table') { s.valType(); s.limits(); }
            else if (kind === 'memory') s.limits();
            else if (kind === 'global') { s.valType(); s.byte(); importedGlobals++; }
            else { s.byte(); s.u32(); }
            imports.push({ module, name, kind });
          }
        }
        break;
      }
      case 5: {
        const n = s.u32();
        if (n > 0) memory = s.limits();
        break;
      }
      case 6: {
        const n = s.u32();
        for (let i = 0; i < n; i++) {
          const type = s.valType();
          if (s.byte() === 1 && type === 'i32') mutableI32Globals.add(importedGlobals + i);
          // constant expression: record i32.const <v> end; skip anything else to its end.
          const op = s.byte();
          if (op === 0x41) {
            const v = s.s32();
            if (s.byte() === 0x0b) globalInits.set(importedGlobals + i, v);
            else s.fail('unsupported global initialiser');
          } else if (op === 0x42) {
            s.skipS64();
            if (s.byte() !== 0x0b) s.fail('unsupported global initialiser');
          } else if (op === 0x43) { s.skip(4); if (s.byte() !== 0x0b) s.fail('bad f32 init'); }
          else if (op === 0x44) { s.skip(8); if (s.byte() !== 0x0b) s.fail('bad f64 init'); }
          else if (op === 0x23 || op === 0xd2) { s.u32(); if (s.byte() !== 0x0b) s.fail('bad global init'); }
          else if (op === 0xd0) { s.byte(); if (s.byte() !== 0x0b) s.fail('bad ref.null init'); }
          else s.fail('unsupported global initialiser');
        }
        break;
      }
      case 7: {
        const n = s.u32();
        for (let i = 0; i < n; i++) {
          const name = s.name();
          const kind = KINDS[s.byte()] as WasmExport["kind"] | undefined;
          if (kind === undefined) s.fail('bad export kind');
          exports.push({ name, kind, index: s.u32() });
        }
        break;
      }
      case 8:
        hasStart = true;
        break;
      default:
        break;
    }
    r.pos = start + size;
  }
  return memory === undefined
    ? { imports, exports, hasStart, globalInits, importedGlobals, mutableI32Globals }
    : { imports, exports, memory, hasStart, globalInits, importedGlobals, mutableI32Globals };
}

/** The constant value of an exported immutable i32 global, or undefined. */
export function exportedGlobalConst(info: WasmInterface, name: string): number | undefined {
  const exp = info.exports.find((e) => e.kind === 'global' && e.name === name);
  if (exp === undefined) return undefined;
  return info.globalInits.get(exp.index);
}
