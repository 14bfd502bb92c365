/**
 * The kernel configuration as a typed, frozen object.
 *
 * Produced by the toolchain from the project's Kconfig fragment and carried in the image;
 * the kernel never reads Kconfig text. Every limit here has a reason in its comment.
 */

export type BuildTarget = 'debug' | 'autotest' | 'release';
export type SchedulerKind = 'rrmq' | 'fifo';

export interface KernelConfig {
  /** `CONFIG_BUILD_TARGET_*`: autotest allows self-IPC/self-signal; release silences log and panics on security failures. */
  readonly buildTarget: BuildTarget;
  /** `CONFIG_SCHED_RRMQ` / `CONFIG_SCHED_FIFO`. */
  readonly scheduler: SchedulerKind;
  /** `CONFIG_SVC_EXCHANGE_AREA_LEN`, 64..1024, default 128. */
  readonly exchangeAreaLen: number;
  /** `CONFIG_MAX_TASKS`: user tasks, 1..255 (one id is the idle task; ids are 8 bits in a handle). */
  readonly maxTasks: number;
  /** `CONFIG_NOMINAL_FREQUENCY_HZ`: virtual CPU frequency; one metered cost unit is one cycle. */
  readonly nominalFrequencyHz: number;
  /** `CONFIG_SYSTICK_HZ`: fixed at 1000 because every delay in the UAPI is in milliseconds (spec §4.4). */
  readonly systickHz: number;
}

export const DEFAULT_KERNEL_CONFIG: KernelConfig = Object.freeze({
  buildTarget: 'debug',
  scheduler: 'rrmq',
  exchangeAreaLen: 128,
  maxTasks: 8,
  nominalFrequencyHz: 64_000_000,
  systickHz: 1000,
});
