/**
 * Flattened devicetree (DTB) reader: bytes in, a bounded tree of nodes and raw properties out.
 *
 * Owns only the container format (devicetree specification v0.4 §5: header, memory
 * reservation block, structure block of FDT_BEGIN_NODE / FDT_END_NODE / FDT_PROP / FDT_NOP /
 * FDT_END tokens, strings block); what properties *mean* is `devicetree.ts`'s business.
 *
 * Invariants:
 * - The input is hostile: every offset and length is bounds-checked against the header
 *   and the buffer before use, sizes, depth, node and property counts are capped, and any
 *   violation throws `FdtError` — never a RangeError from a typed-array read, never a hang.
 * - Property values are copies (`slice`), so callers may keep them after the buffer is gone.
 * - Children keep structure-block order, which is devicetree source order: the depth-first
 *   pre-order walk of the Outpost generator (spec §6.2) is `walk` over this tree.
 */

/** Malformed or oversized DTB. */
export class FdtError extends Error {
  override readonly name = 'FdtError';
}

/** One node: name with unit address (`serial@40013800`; `''` for the root). */
export interface FdtNode {
  readonly name: string;
  /** Absolute path, `/` for the root. */
  readonly path: string;
  readonly parent: FdtNode | undefined;
  /** Property name → raw big-endian value. */
  readonly props: ReadonlyMap<string, Uint8Array>;
  readonly children: readonly FdtNode[];
}

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;
const FDT_END = 9;
const HEADER_SIZE = 40;

/** Limits far above any real board (a full SoC DTB is ~100 KiB, ~2000 nodes). */
export const FDT_LIMITS = Object.freeze({
  maxBytes: 4 * 1024 * 1024,
  maxNodes: 20_000,
  maxDepth: 32,
  maxPropsPerNode: 512,
  maxNameLength: 256,
  maxPropertyBytes: 256 * 1024,
});

interface MutableNode {
  name: string;
  path: string;
  parent: MutableNode | undefined;
  props: Map<string, Uint8Array>;
  children: MutableNode[];
  childNames: Set<string>;
}

/**
 * Parse a DTB.
 *
 * @throws FdtError on anything that is not a well-formed version-17-compatible DTB within
 *   `FDT_LIMITS`.
 */
export function parseFdt(bytes: Uint8Array): FdtNode {
  if (bytes.length < HEADER_SIZE) throw new FdtError(`DTB is ${bytes.length} bytes, shorter than its ${HEADER_SIZE}-byte header`);
  if (bytes.length > FDT_LIMITS.maxBytes) throw new FdtError(`DTB is ${bytes.length} bytes; more than ${FDT_LIMITS.maxBytes} is refused`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = (index: number): number => view.getUint32(index * 4, false);
  if (header(0) !== FDT_MAGIC) throw new FdtError('not a DTB (bad magic)');
  const totalSize = header(1);
  const offStruct = header(2);
  const offStrings = header(3);
  const version = header(5);
  const lastCompatible = header(6);
  const sizeStrings = header(8);
  const sizeStruct = header(9);
  if (totalSize > bytes.length || totalSize < HEADER_SIZE) throw new FdtError(`DTB header claims ${totalSize} bytes but ${bytes.length} were given`);
  // Version 17 is what dtc writes; 16 lacks size_dt_struct, which the bounds below need.
  if (version < 17 || lastCompatible > 17) throw new FdtError(`DTB version ${version} (last compatible ${lastCompatible}) is not supported; version 17 is`);
  const within = (off: number, size: number): boolean => off >= HEADER_SIZE && size >= 0 && off + size <= totalSize;
  if (!within(offStruct, sizeStruct) || offStruct % 4 !== 0 || sizeStruct % 4 !== 0) throw new FdtError('DTB structure block lies outside the blob or is misaligned');
  if (!within(offStrings, sizeStrings)) throw new FdtError('DTB strings block lies outside the blob');

  const structEnd = offStruct + sizeStruct;
  const decoder = new TextDecoder('utf-8', { fatal: true });

  /** NUL-terminated string starting at `at`, not past `end`. */
  const cString = (at: number, end: number, what: string): { text: string; next: number } => {
    let i = at;
    const limit = Math.min(end, at + FDT_LIMITS.maxNameLength + 1);
    while (i < limit && bytes[i] !== 0) i++;
    if (i >= limit) throw new FdtError(`${what} at offset ${at} is unterminated or longer than ${FDT_LIMITS.maxNameLength} bytes`);
    let text: string;
    try { text = decoder.decode(bytes.subarray(at, i)); } catch { throw new FdtError(`${what} at offset ${at} is not valid UTF-8`); }
    return { text, next: i + 1 };
  };

  let pos = offStruct;
  const token = (): number => {
    if (pos + 4 > structEnd) throw new FdtError('DTB structure block ends without FDT_END');
    const t = view.getUint32(pos, false);
    pos += 4;
    return t;
  };

  let root: MutableNode | undefined;
  let current: MutableNode | undefined;
  let depth = 0;
  let nodes = 0;
  for (;;) {
    const t = token();
    if (t === FDT_NOP) continue;
    if (t === FDT_BEGIN_NODE) {
      if (root !== undefined && current === undefined) throw new FdtError('DTB has more than one root node');
      if (++nodes > FDT_LIMITS.maxNodes) throw new FdtError(`DTB has more than ${FDT_LIMITS.maxNodes} nodes`);
      if (++depth > FDT_LIMITS.maxDepth) throw new FdtError(`DTB nodes nest deeper than ${FDT_LIMITS.maxDepth}`);
      const { text, next } = cString(pos, structEnd, 'node name');
      pos = (next + 3) & ~3;
      if (current === undefined && text !== '') throw new FdtError(`DTB root node is named '${text}'; it must be unnamed`);
      if (current !== undefined && (text === '' || text.includes('/'))) throw new FdtError(`DTB node name '${text}' under ${current.path} is invalid`);
      const path = current === undefined ? '/' : current.path === '/' ? `/${text}` : `${current.path}/${text}`;
      const node: MutableNode = { name: text, path, parent: current, props: new Map(), children: [], childNames: new Set() };
      if (current !== undefined) {
        if (current.childNames.has(text)) throw new FdtError(`DTB node ${path} appears twice`);
        current.childNames.add(text);
        current.children.push(node);
      } else {
        root = node;
      }
      current = node;
    } else if (t === FDT_END_NODE) {
      if (current === undefined) throw new FdtError('DTB closes a node that was never opened');
      current = current.parent;
      depth--;
    } else if (t === FDT_PROP) {
      if (current === undefined) throw new FdtError('DTB property outside any node');
      const len = token();
      const nameOff = token();
      if (len > FDT_LIMITS.maxPropertyBytes) throw new FdtError(`DTB property in ${current.path} is ${len} bytes; more than ${FDT_LIMITS.maxPropertyBytes} is refused`);
      if (pos + len > structEnd) throw new FdtError(`DTB property in ${current.path} runs past the structure block`);
      if (nameOff >= sizeStrings) throw new FdtError(`DTB property in ${current.path} names a string outside the strings block`);
      const { text: name } = cString(offStrings + nameOff, offStrings + sizeStrings, 'property name');
      if (name === '') throw new FdtError(`DTB property in ${current.path} has an empty name`);
      if (current.props.has(name)) throw new FdtError(`DTB property ${current.path}:${name} appears twice`);
      if (current.props.size >= FDT_LIMITS.maxPropsPerNode) throw new FdtError(`DTB node ${current.path} has more than ${FDT_LIMITS.maxPropsPerNode} properties`);
      current.props.set(name, bytes.slice(pos, pos + len));
      pos = (pos + len + 3) & ~3;
    } else if (t === FDT_END) {
      if (current !== undefined) throw new FdtError(`DTB ends inside node ${current.path}`);
      if (root === undefined) throw new FdtError('DTB has no root node');
      return root;
    } else {
      throw new FdtError(`DTB has unknown token 0x${t.toString(16)} at offset ${pos - 4}`);
    }
  }
}

/** Depth-first pre-order over `root` and its descendants (spec §6.2 node order). */
export function* walk(root: FdtNode): Generator<FdtNode> {
  // Explicit stack: a hostile tree is depth-capped anyway, but no recursion is cheaper.
  const stack: FdtNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    yield node;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
}

/** Big-endian u32 cells of a property; undefined if its length is not a multiple of 4. */
export function cells(value: Uint8Array): number[] | undefined {
  if (value.length % 4 !== 0) return undefined;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: number[] = [];
  for (let i = 0; i < value.length; i += 4) out.push(view.getUint32(i, false));
  return out;
}

/** The NUL-separated strings of a string-list property; undefined if not one. */
export function strings(value: Uint8Array): string[] | undefined {
  if (value.length === 0 || value[value.length - 1] !== 0) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(value.subarray(0, value.length - 1)).split('\0');
  } catch {
    return undefined;
  }
}
