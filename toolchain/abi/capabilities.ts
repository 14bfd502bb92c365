/**
 * Capability bits (spec §2.13): the u32 mask in each task's metadata.
 *
 * One source of truth for the bit numbers, the Kconfig names (`CONFIG_CAP_*`) and
 * the metadata labels. Families: DEV = bits 0..11, SYS = 12..15, MEM = 16..19.
 */

/** One capability bit with every spelling it has. */
export interface CapabilityInfo {
  /** C macro, e.g. `CAP_DEV_BUSES`. */
  readonly name: string;
  /** Bit index in the mask. */
  readonly bit: number;
  /** Metadata label, lower case without the `CAP_` prefix (e.g. `dev_buses`). */
  readonly label: string;
}

export const enum Cap {
  DevBuses = 1 << 0,
  DevIo = 1 << 1,
  DevDma = 1 << 2,
  DevAnalog = 1 << 3,
  DevTimer = 1 << 4,
  DevStorage = 1 << 5,
  DevCrypto = 1 << 6,
  DevClock = 1 << 7,
  DevPower = 1 << 8,
  DevNeural = 1 << 9,
  SysUpgrade = 1 << 12,
  SysPower = 1 << 13,
  SysProcstart = 1 << 14,
  MemShmOwn = 1 << 16,
  MemShmUse = 1 << 17,
  MemShmTransfer = 1 << 18,
  TimHpChrono = 1 << 20,
  CryKrng = 1 << 21,
}

/** Family masks. */
export const CAP_DEV_MASK = 0xfff;
export const CAP_SYS_MASK = 0xf000;
export const CAP_MEM_MASK = 0xf0000;

export const CAPABILITIES: readonly CapabilityInfo[] = [
  { name: 'CAP_DEV_BUSES', bit: 0, label: 'dev_buses' },
  { name: 'CAP_DEV_IO', bit: 1, label: 'dev_io' },
  { name: 'CAP_DEV_DMA', bit: 2, label: 'dev_dma' },
  { name: 'CAP_DEV_ANALOG', bit: 3, label: 'dev_analog' },
  { name: 'CAP_DEV_TIMER', bit: 4, label: 'dev_timer' },
  { name: 'CAP_DEV_STORAGE', bit: 5, label: 'dev_storage' },
  { name: 'CAP_DEV_CRYPTO', bit: 6, label: 'dev_crypto' },
  { name: 'CAP_DEV_CLOCK', bit: 7, label: 'dev_clock' },
  { name: 'CAP_DEV_POWER', bit: 8, label: 'dev_power' },
  { name: 'CAP_DEV_NEURAL', bit: 9, label: 'dev_neural' },
  { name: 'CAP_SYS_UPGRADE', bit: 12, label: 'sys_upgrade' },
  { name: 'CAP_SYS_POWER', bit: 13, label: 'sys_power' },
  { name: 'CAP_SYS_PROCSTART', bit: 14, label: 'sys_procstart' },
  { name: 'CAP_MEM_SHM_OWN', bit: 16, label: 'mem_shm_own' },
  { name: 'CAP_MEM_SHM_USE', bit: 17, label: 'mem_shm_use' },
  { name: 'CAP_MEM_SHM_TRANSFER', bit: 18, label: 'mem_shm_transfer' },
  { name: 'CAP_TIM_HP_CHRONO', bit: 20, label: 'tim_hp_chrono' },
  { name: 'CAP_CRY_KRNG', bit: 21, label: 'cry_krng' },
];

/** Every defined bit; a metadata mask with any other bit set is malformed. */
export const CAP_ALL_DEFINED = CAPABILITIES.reduce((mask, cap) => (mask | (1 << cap.bit)) >>> 0, 0);

/** Names of the capabilities set in `mask`, for error messages. */
export function capabilityNames(mask: number): string[] {
  return CAPABILITIES.filter((cap) => (mask >>> cap.bit) & 1).map((cap) => cap.name);
}
