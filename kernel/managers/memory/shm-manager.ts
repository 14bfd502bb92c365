/**
 * Shared memories: credentials, mappings, and exact sharing between Wasm memories.
 *
 * Each SHM has one owner (fixed) and at most one user (initially the owner itself: not
 * shared), a credential set per role (map, write, transfer) and a mapped flag per role
 * (spec §4.6). The kernel keeps the canonical content; a task that maps the SHM sees it at
 * the address its devicetree `reg` declares, inside its own linear memory. Content is
 * synchronised at context switches: copied in at switch-in when it changed, copied back at
 * switch-out when the task may write, and *compared* at switch-out when it may not: a
 * difference means the task wrote without WRITE permission, which faults it (the window
 * is restored first, so nothing it wrote survives).
 */

import { Buffer } from 'node:buffer';
import { makeShmHandle } from '../../../toolchain/abi/index.js';
import type { Board, BoardShm } from '../../board.js';

export const enum ShmRole { None = 0, Owner = 1, User = 2 }

export class ShmManager {
  readonly shms: readonly BoardShm[];
  readonly handles: Uint32Array;
  readonly owner: Int32Array;
  /** Current user task; equals the owner when not shared. -1 when the owner is unknown. */
  readonly user: Int32Array;
  /** Credentials per SHM: [ownerMap, ownerWrite, ownerTransfer, userMap, userWrite, userTransfer]. */
  readonly creds: Uint8Array;
  readonly ownerMapped: Uint8Array;
  readonly userMapped: Uint8Array;
  /** Canonical content of each SHM. */
  readonly content: Uint8Array[];
  /** Bumped each time the canonical content changes. */
  readonly version: Float64Array;
  /** Version last copied into task t's window of SHM s, at [t * nShm + s]; -1 = never. */
  private readonly seen: Float64Array;
  private readonly taskCount: number;

  constructor(board: Board, taskIndexOfLabel: (label: number) => number, taskCount: number, random: () => number) {
    this.shms = board.shms;
    const n = board.shms.length;
    this.taskCount = taskCount;
    this.handles = new Uint32Array(n);
    this.owner = new Int32Array(n).fill(-1);
    this.user = new Int32Array(n).fill(-1);
    this.creds = new Uint8Array(n * 6);
    this.ownerMapped = new Uint8Array(n);
    this.userMapped = new Uint8Array(n);
    this.version = new Float64Array(n);
    this.seen = new Float64Array(taskCount * n).fill(-1);
    this.content = board.shms.map((s) => new Uint8Array(s.size));
    board.shms.forEach((s, i) => {
      this.handles[i] = makeShmHandle(i, random());
      this.owner[i] = taskIndexOfLabel(s.owner);
      this.user[i] = this.owner[i]!;
    });
  }

  /** Index of a handle (id bits bounds-checked, then the whole value compared), or -1. */
  resolve(handle: number): number {
    const id = handle & 0xff;
    if (id >= this.handles.length || this.handles[id] !== handle >>> 0) return -1;
    return id;
  }

  byLabel(label: number): number {
    for (let i = 0; i < this.shms.length; i++) if (this.shms[i]!.label === label >>> 0) return i;
    return -1;
  }

  /** Owner wins when the caller is both (spec §4.6). */
  roleOf(s: number, t: number): ShmRole {
    if (this.owner[s] === t) return ShmRole.Owner;
    if (this.user[s] === t) return ShmRole.User;
    return ShmRole.None;
  }

  canMap(s: number, role: ShmRole): boolean {
    return this.creds[s * 6 + (role === ShmRole.Owner ? 0 : 3)] === 1;
  }

  canWrite(s: number, role: ShmRole): boolean {
    return this.creds[s * 6 + (role === ShmRole.Owner ? 1 : 4)] === 1;
  }

  setCreds(s: number, role: ShmRole, perms: number): void {
    const at = s * 6 + (role === ShmRole.Owner ? 0 : 3);
    this.creds[at] = perms & 1 ? 1 : 0;
    this.creds[at + 1] = perms & 4 ? 1 : 0;
    this.creds[at + 2] = perms & 8 ? 1 : 0;
  }

  isMapped(s: number, role: ShmRole): boolean {
    return (role === ShmRole.Owner ? this.ownerMapped[s] : this.userMapped[s]) === 1;
  }

  setMapped(s: number, role: ShmRole, mapped: boolean): void {
    if (role === ShmRole.Owner) this.ownerMapped[s] = mapped ? 1 : 0;
    else this.userMapped[s] = mapped ? 1 : 0;
    if (mapped) {
      const t = role === ShmRole.Owner ? this.owner[s]! : this.user[s]!;
      this.seen[t * this.shms.length + s] = -1;
    }
  }

  /** True when task t has SHM s mapped (through either role). */
  mappedBy(s: number, t: number): boolean {
    return (this.owner[s] === t && this.ownerMapped[s] === 1) || (this.user[s] === t && this.user[s] !== this.owner[s] && this.userMapped[s] === 1);
  }

  /** True when task t may write its mapping of s. */
  writableBy(s: number, t: number): boolean {
    if (this.owner[s] === t && this.ownerMapped[s] === 1 && this.canWrite(s, ShmRole.Owner)) return true;
    return this.user[s] === t && this.user[s] !== this.owner[s] && this.userMapped[s] === 1 && this.canWrite(s, ShmRole.User);
  }

  /** Number of SHMs task t has mapped (for the shared mapping-slot budget). */
  mappingCount(t: number): number {
    let n = 0;
    for (let s = 0; s < this.shms.length; s++) if (this.mappedBy(s, t)) n++;
    return n;
  }

  /** Switch-in: bring task t's windows up to date. `memory` is t's whole linear memory. */
  syncIn(t: number, memory: Uint8Array): void {
    const n = this.shms.length;
    for (let s = 0; s < n; s++) {
      if (!this.mappedBy(s, t)) continue;
      if (this.seen[t * n + s] === this.version[s]) continue;
      memory.set(this.content[s]!, this.shms[s]!.baseAddress);
      this.seen[t * n + s] = this.version[s]!;
    }
  }

  /**
   * Switch-out: take back what t may write; check what it may not.
   * Returns the index of an SHM that t wrote without permission, or -1.
   */
  syncOut(t: number, memory: Uint8Array): number {
    const n = this.shms.length;
    let violation = -1;
    for (let s = 0; s < n; s++) {
      if (!this.mappedBy(s, t)) continue;
      const base = this.shms[s]!.baseAddress;
      const canonical = this.content[s]!;
      const window = memory.subarray(base, base + canonical.length);
      if (this.writableBy(s, t)) {
        if (!equalBytes(window, canonical)) {
          canonical.set(window);
          this.version[s] = this.version[s]! + 1;
          this.seen[t * n + s] = this.version[s]!;
        }
      } else if (!equalBytes(window, canonical)) {
        window.set(canonical);
        violation = s;
      }
    }
    return violation;
  }

  /** Task t's window of s is current (the kernel wrote it directly). */
  markSeen(s: number, t: number): void {
    this.seen[t * this.shms.length + s] = this.version[s]!;
  }

  /** Forget what task t saw (new job: fresh memory). */
  forgetTask(t: number): void {
    const n = this.shms.length;
    for (let s = 0; s < n; s++) this.seen[t * n + s] = -1;
  }
}

/** Byte equality through the host's memcmp (a JS word loop is several times slower on SHM-sized windows). */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
