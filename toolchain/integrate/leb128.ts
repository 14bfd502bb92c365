/**
 * Unsigned LEB128, the integer encoding of WebAssembly binaries, for the few places the
 * toolchain patches a module's header sections directly (memory limits, custom sections).
 *
 * The decoder bounds every read and reads at most 5 bytes (a u32); it returns undefined on
 * malformed input so that each caller raises its own error, naming its own context.
 */

/** Decode a u32 at `at`: its value and the offset after it, or undefined when malformed. */
export function readLeb128(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let pos = at, shift = 0; pos < bytes.length && shift < 35; pos++, shift += 7) {
    const b = bytes[pos]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return value > 0xffffffff ? undefined : { value, next: pos + 1 };
  }
  return undefined;
}

/** Encode a non-negative integer below 2^32. */
export function encodeLeb128(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}
