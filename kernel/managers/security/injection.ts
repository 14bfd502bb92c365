/**
 * Fault injection into the kernel itself (`rampart run --inject SPEC`), to prove that each
 * countermeasure detects the fault it exists for.
 *
 * SPEC is a comma-separated list of `KIND[@CYCLE][:TARGET]`: the fault is armed from virtual
 * cycle CYCLE (default 0) and fires once, at the next place where that kind can happen.
 * Kinds:
 *   skip-check      skip the first of the two capability checks of a privileged syscall
 *   flip-table      flip a bit of a task's capabilities in the task table (TARGET: task name)
 *   corrupt-context flip a byte of a suspended task's saved context (TARGET: task name)
 *   skip-loop       skip one iteration of a critical kernel loop (scheduler election)
 *   skip-cfi        skip one step of a syscall's measured path
 *   corrupt-queue   flip a bit of a scheduler queue bitmap (RRMQ) or ring slot (FIFO)
 */

export type InjectionKind = 'skip-check' | 'flip-table' | 'corrupt-context' | 'skip-loop' | 'skip-cfi' | 'corrupt-queue';

export const INJECTION_KINDS: readonly InjectionKind[] = ['skip-check', 'flip-table', 'corrupt-context', 'skip-loop', 'skip-cfi', 'corrupt-queue'];

export interface Injection {
  readonly kind: InjectionKind;
  readonly cycle: number;
  readonly target?: string;
}

export class InjectionError extends Error {
  override readonly name = 'InjectionError';
}

export function parseInjections(spec: string): Injection[] {
  return spec.split(',').filter((s) => s.trim() !== '').map((part) => {
    const m = /^([a-z-]+)(?:@(\d+))?(?::([A-Za-z0-9_.-]+))?$/.exec(part.trim());
    if (m === null) throw new InjectionError(`--inject: cannot read '${part}'; expected KIND[@CYCLE][:TASK], KIND one of ${INJECTION_KINDS.join(', ')}`);
    const kind = m[1] as InjectionKind;
    if (!INJECTION_KINDS.includes(kind)) throw new InjectionError(`--inject: unknown fault kind '${m[1]}'; one of ${INJECTION_KINDS.join(', ')}`);
    return m[3] !== undefined ? { kind, cycle: Number(m[2] ?? 0), target: m[3] } : { kind, cycle: Number(m[2] ?? 0) };
  });
}

/** Armed faults; `take` consumes one when it is due. Cheap when nothing is armed. */
export class Injector {
  private readonly pending: Injection[];
  readonly fired: Injection[] = [];
  armed: boolean;

  constructor(injections: readonly Injection[]) {
    this.pending = [...injections];
    this.armed = this.pending.length > 0;
  }

  take(kind: InjectionKind, cycle: number, target?: string): Injection | undefined {
    if (!this.armed) return undefined;
    const i = this.pending.findIndex((p) => p.kind === kind && p.cycle <= cycle && (p.target === undefined || target === undefined || p.target === target));
    if (i < 0) return undefined;
    const [hit] = this.pending.splice(i, 1);
    this.fired.push(hit!);
    this.armed = this.pending.length > 0;
    return hit;
  }
}
