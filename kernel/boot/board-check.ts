/**
 * Board consistency, checked again at boot (the integrator checked it at build).
 *
 * An image may come from anywhere, so the essential rules are re-checked before any task
 * runs: every owner names a task of the image; an owned device needs a capability and its
 * owner must hold it; regions do not overlap; DMA streams only move data between `dma-pool`
 * shared memories and devices that their owner owns, and their owner holds CAP_DEV_DMA.
 * On top of that, the Outpost rule that every device, pin, interrupt line, shared memory
 * and DMA stream has exactly one owner: no two device entries share an id or a path, no two
 * shared memories or streams share a label, no DMA channel, GPIO pin, GPIO port or IRQ line
 * is split between two owners, the kernel (the console, the DMA controllers it drives)
 * counting as one. Every violation is reported, each naming both parties. Last, what the
 * kernel needs to wire the board: pins on ports it can name, and DMA streams on a controller
 * it drives, whose channel completion lines the board lists.
 *
 * This module also holds the numbering rules the build and the kernel must share (which
 * GPIO port a port device is, which DMA controllers are the kernel's), so that they are
 * written once.
 *
 * The build makes none of these mistakes (toolchain/config/devicetree.ts refuses them with
 * a fix); they are here because a tampered image can make all of them. Never weaken one
 * because "the build already checked it".
 */

import type { Board, BoardDevice } from '../board.js';
import type { ImageTask } from '../image/image.js';
import { Cap, capabilityNames } from '../../toolchain/abi/index.js';
import { GPDMA_CHANNELS } from '../bus/devices/gpdma.js';

function hex(v: number): string {
  return `0x${v.toString(16)}`;
}

function overlaps(a: { baseAddress: number; size: number }, b: { baseAddress: number; size: number }): boolean {
  return a.baseAddress < b.baseAddress + b.size && b.baseAddress < a.baseAddress + a.size;
}

/**
 * The GPIO ports the kernel can name, in port order: `gpioa` is port 0, `gpiok` port 10.
 * Eleven because that is what the STM32 families name (A..K); the board reader never numbers
 * a port past them, so a pin on a higher port can only come from an edited image.
 */
const GPIO_PORT_LETTERS = 'abcdefghijk';

/** How many GPIO ports the kernel can name (`gpioa`..`gpiok`). */
export const GPIO_PORT_COUNT = GPIO_PORT_LETTERS.length;

/** A GPIO port device's name (its node label): `gpio` and the port's letter, nothing else. */
const GPIO_PORT_NAME = new RegExp(`^gpio([${GPIO_PORT_LETTERS}])$`);

/**
 * The one rule that numbers GPIO ports: a port is known by its name, `gpioa` = port 0,
 * `gpiob` = port 1, ..., whichever ports are enabled. The build numbers a pin's port with it
 * (`BoardIo.port`, toolchain/config/devicetree.ts), the kernel attaches each port model with
 * it (board-runtime-factory.ts), and the ownership checks below use it to find the pins a
 * port device holds. Numbering by position among enabled ports instead would shift every
 * pin when one port is disabled, while the models stay where their names put them.
 *
 * @returns the port a `gpio` device is, or undefined when it is no GPIO port or its name
 *   follows no `gpioX` pattern.
 */
export function gpioPortOfDevice(device: Pick<BoardDevice, 'model' | 'name'>): number | undefined {
  if (device.model !== 'gpio') return undefined;
  const m = GPIO_PORT_NAME.exec(device.name);
  return m === null ? undefined : GPIO_PORT_LETTERS.indexOf(m[1]!);
}

/** The kernel's name of GPIO port `port` (`gpioa` for 0); undefined past `gpiok`. */
export function gpioPortName(port: number): string | undefined {
  const letter = GPIO_PORT_LETTERS[port];
  return Number.isInteger(port) && letter !== undefined ? `gpio${letter}` : undefined;
}

/**
 * How many DMA controllers the kernel drives. The DMA manager addresses a channel, not a
 * (controller, channel) pair, and rampart-m4 has one GPDMA; a stream on any other
 * controller would run on the first one's channel, so it is refused instead.
 */
export const DRIVEN_DMA_CONTROLLERS = 1;

/**
 * The DMA controllers the kernel keeps and drives, in table order: device entries of the
 * kernel (owner 0) served by the `gpdma` model. The build lists every enabled controller that
 * no task owns this way, so a stream's `controller` indexes this list, and each controller's
 * `irqs` are its channels' completion lines, channel n on `irqs[n]`. Those lines are the
 * kernel's: through them it learns a transfer ended, so no task device may list one.
 */
export function kernelDmaControllers(devices: readonly BoardDevice[]): BoardDevice[] {
  return devices.filter((d) => d.owner === 0 && d.model === 'gpdma');
}

/** A DMA stream or controller the kernel could not wire: where, what, and the remedy. */
export interface DmaWiringProblem {
  /** Node path of the stream or controller at fault. */
  readonly path: string;
  readonly problem: string;
  /** What to change in the board (the build prints it; boot only states the problem). */
  readonly fix: string;
}

/**
 * Streams and controllers the kernel's DMA could not run: a kernel DMA controller without
 * one interrupt line per channel, a stream on a controller the board does not list or the
 * kernel does not drive, a stream on a channel the controller does not have. The build
 * (`checkBoard`) and boot apply this same function.
 */
export function dmaWiringProblems(board: Pick<Board, 'devices' | 'dmaStreams'>): DmaWiringProblem[] {
  const out: DmaWiringProblem[] = [];
  const controllers = kernelDmaControllers(board.devices);
  for (const c of controllers) {
    if (c.irqs.length !== GPDMA_CHANNELS) {
      out.push({
        path: c.path,
        problem: `the kernel's DMA controller ${c.name} lists ${c.irqs.length} interrupt line(s), but it raises one per channel (${GPDMA_CHANNELS})`,
        fix: `list ${GPDMA_CHANNELS} lines in its interrupts, channel 0's first`,
      });
    }
  }
  for (const st of board.dmaStreams) {
    const controller = controllers[st.controller];
    if (controller === undefined) {
      out.push({
        path: st.path,
        problem: `DMA controller ${st.controller} of the stream is not on the board (it lists ${controllers.length} DMA controller(s) kept by the kernel)`,
        fix: 'enable the controller of its channel (status = "okay") and leave it to the kernel (no outpost,owner)',
      });
    } else if (st.controller >= DRIVEN_DMA_CONTROLLERS) {
      out.push({
        path: st.path,
        problem: `the stream runs on DMA controller ${st.controller} (${controller.path}), but the kernel drives only its first DMA controller`,
        fix: `put the stream on a channel of ${controllers[0]!.name}`,
      });
    }
    if (st.channel >= GPDMA_CHANNELS) {
      out.push({
        path: st.path,
        problem: `channel ${st.channel} of DMA controller ${st.controller} does not exist (a controller has channels 0..${GPDMA_CHANNELS - 1})`,
        fix: `use one of dma-channel@0..${GPDMA_CHANNELS - 1}`,
      });
    }
  }
  return out;
}

/** `PA5` for port 0 pin 5 (the board documents pins this way); far ports by number. */
function pinText(port: number, pin: number): string {
  return port < 26 ? `pin P${String.fromCharCode(65 + port)}${pin}` : `pin ${pin} of GPIO port ${port}`;
}

function portText(port: number): string {
  return port < 26 ? `GPIO port ${String.fromCharCode(65 + port)}` : `GPIO port ${port}`;
}

/** One thing two devices of different owners both claim. */
export interface SharedDeviceResource {
  /**
   * `pin`: a pin both list in their pins, or one lists and the other holds as its GPIO
   * port; `port`: two GPIO port devices of one port; `irq`: an interrupt line.
   */
  readonly kind: 'pin' | 'port' | 'irq';
  /** How messages name it: `pin PA5`, `GPIO port A`, `IRQ 38`. */
  readonly what: string;
  /** The device listed first in the board. */
  readonly first: BoardDevice;
  /** The device listed later, whose owner differs from `first`'s. */
  readonly second: BoardDevice;
  /** True when one of the two holds the pin as its whole GPIO port, not as a listed pin. */
  readonly viaPort: boolean;
  /**
   * When one of the two is the kernel's (owner 0): what the kernel uses the resource for,
   * as messages say it (`channel 0 of the kernel's DMA controller gpdma1`, `the kernel's
   * usart1`); undefined between two tasks.
   */
  readonly kernelUse: string | undefined;
}

/** What the kernel uses a resource of its device `device` for (`key` as in the maps below). */
function kernelUseOf(device: BoardDevice, kind: SharedDeviceResource['kind'], key: number): string {
  const channel = kind === 'irq' && device.model === 'gpdma' ? device.irqs.indexOf(key) : -1;
  return channel >= 0 ? `channel ${channel} of the kernel's DMA controller ${device.name}` : `the kernel's ${device.name}`;
}

/**
 * Pins, GPIO ports and IRQ lines that devices of different owners share. The kernel, owner
 * 0, counts as an owner: its devices are the console and the DMA controllers it drives
 * (`kernelDmaControllers`), so a task device may list neither the console's pins or line nor
 * a DMA channel's completion line; with one, `irq_disable` would silence another task's
 * transfers.
 *
 * Each device that conflicts is reported once per resource, against the first device listed
 * before it with another owner, so a line claimed by many devices gives one entry per
 * claimer, not one per pair. Shared by the build's `checkBoard` and boot, so both apply
 * the same rule.
 */
export function sharedDeviceResources(devices: readonly BoardDevice[]): SharedDeviceResource[] {
  const pins = new Map<number, number[]>(); // port * 256 + pin -> device indexes, in table order
  const ports = new Map<number, number[]>(); // GPIO port -> port devices
  const irqs = new Map<number, number[]>();
  const claim = (map: Map<number, number[]>, key: number, index: number): void => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [index]);
    else if (list[list.length - 1] !== index) list.push(index);
  };
  devices.forEach((d, i) => {
    for (const io of d.ios) claim(pins, io.port * 256 + io.pin, i);
    const port = gpioPortOfDevice(d);
    if (port !== undefined) claim(ports, port, i);
    for (const irq of d.irqs) claim(irqs, irq, i);
  });
  const out: SharedDeviceResource[] = [];
  const push = (kind: SharedDeviceResource['kind'], key: number, what: string, a: number, b: number, viaPort: boolean): void => {
    const first = devices[Math.min(a, b)]!;
    const second = devices[Math.max(a, b)]!;
    const kernels = first.owner === 0 ? first : second.owner === 0 ? second : undefined;
    out.push({ kind, what, first, second, viaPort, kernelUse: kernels === undefined ? undefined : kernelUseOf(kernels, kind, key) });
  };
  /** Each claimer against the first earlier claimer with another owner. */
  const amongClaimers = (map: Map<number, number[]>, kind: SharedDeviceResource['kind'], what: (key: number) => string): void => {
    for (const [key, list] of map) {
      for (let k = 1; k < list.length; k++) {
        const owner = devices[list[k]!]!.owner;
        const other = list.slice(0, k).find((j) => devices[j]!.owner !== owner);
        if (other !== undefined) push(kind, key, what(key), other, list[k]!, false);
      }
    }
  };
  amongClaimers(ports, 'port', portText);
  amongClaimers(pins, 'pin', (key) => pinText(key >>> 8, key & 0xff));
  // A listed pin inside a GPIO port device of another owner.
  for (const [key, list] of pins) {
    const holders = ports.get(key >>> 8);
    if (holders === undefined) continue;
    for (const user of list) {
      const holder = holders.find((h) => devices[h]!.owner !== devices[user]!.owner);
      if (holder !== undefined) push('pin', key, pinText(key >>> 8, key & 0xff), holder, user, true);
    }
  }
  amongClaimers(irqs, 'irq', (irq) => `IRQ ${irq}`);
  return out;
}

/**
 * Every board rule an image can break, as `board: ...` lines (empty when the board is
 * consistent with the tasks). Conflicts name both parties: node path, owner label and task.
 */
export function checkBoardAtBoot(board: Board, tasks: readonly Pick<ImageTask, 'name' | 'label' | 'capabilities'>[]): string[] {
  const problems: string[] = [];
  const byLabel = new Map(tasks.map((t) => [t.label, t]));
  const ownerOk = (owner: number, what: string): boolean => {
    if (owner === 0) return true;
    if (byLabel.has(owner)) return true;
    problems.push(`board: ${what}: owner ${hex(owner)} names no task of the image`);
    return false;
  };
  /** `owner 0x1000 'uart'`, or `the kernel` for owner 0. */
  const ownerText = (owner: number): string => {
    if (owner === 0) return 'the kernel';
    const task = byLabel.get(owner);
    return `owner ${hex(owner)}${task !== undefined ? ` '${task.name}'` : ''}`;
  };
  /** `/soc/serial@40004400 (owner 0x1000 'uart')`: one party of a conflict. */
  const party = (path: string, owner: number): string => `${path} (${ownerText(owner)})`;

  board.devices.forEach((d, i) => {
    // One entry per device: a second entry with the same id or path would be a second
    // owner for it (get_device_handle finds the first, the table lists both).
    for (let j = 0; j < i; j++) {
      const o = board.devices[j]!;
      if (o.path === d.path) problems.push(`board: ${d.path} is listed twice, as device ${o.id} (${ownerText(o.owner)}) and device ${d.id} (${ownerText(d.owner)})`);
      else if (o.id === d.id) problems.push(`board: ${party(o.path, o.owner)} and ${party(d.path, d.owner)} share device id ${d.id}`);
    }
    if (!ownerOk(d.owner, d.path)) return;
    if (d.owner !== 0) {
      if (d.capability === 0) problems.push(`board: ${d.path}: owned device with no device capability`);
      const task = byLabel.get(d.owner)!;
      if ((task.capabilities & d.capability) === 0) problems.push(`board: ${d.path}: owner '${task.name}' lacks ${capabilityNames(d.capability).join(', ')}`);
    }
    for (let j = 0; j < i; j++) {
      const o = board.devices[j]!;
      if (d.size > 0 && o.size > 0 && overlaps(d, o)) problems.push(`board: ${d.path} overlaps ${o.path}`);
    }
    // A port no gpioX name gives is a port no GPIO model serves: the pin would be driven
    // by nothing, and the ownership checks could not tell who holds it.
    for (const io of d.ios) {
      if (io.port >= GPIO_PORT_COUNT) problems.push(`board: ${d.path}: pin ${io.pin} is on GPIO port ${io.port}, but the kernel has ports 0..${GPIO_PORT_COUNT - 1} only (gpioa..gpiok)`);
    }
  });
  for (const s of sharedDeviceResources(board.devices)) {
    const use = s.kernelUse === undefined ? '' : ` (${s.kernelUse})`;
    problems.push(`board: ${party(s.first.path, s.first.owner)} and ${party(s.second.path, s.second.owner)} share ${s.what}${use}`);
  }

  board.shms.forEach((s, i) => {
    if (s.owner === 0) problems.push(`board: ${s.path}: a shared memory needs an owner task`);
    else ownerOk(s.owner, s.path);
    for (let j = 0; j < i; j++) {
      const o = board.shms[j]!;
      if (overlaps(s, o)) problems.push(`board: ${s.path} overlaps ${o.path}`);
      // get_shm_handle takes the label: a repeated one hands out the first SHM only, and
      // the task metadata of the second's owner lists a label that is someone else's.
      if (o.label === s.label) problems.push(`board: ${party(o.path, o.owner)} and ${party(s.path, s.owner)} share SHM label ${hex(s.label)}`);
    }
  });

  board.dmaStreams.forEach((st, i) => {
    for (let j = 0; j < i; j++) {
      const o = board.dmaStreams[j]!;
      if (o.label === st.label) problems.push(`board: ${party(o.path, o.owner)} and ${party(st.path, st.owner)} share DMA stream label ${hex(st.label)}`);
      // Streams of one owner may share a channel (one runs at a time); streams of two
      // owners on one channel would let each reset or reprogram the other's transfer.
      if (o.controller === st.controller && o.channel === st.channel && o.owner !== st.owner) {
        problems.push(`board: ${party(o.path, o.owner)} and ${party(st.path, st.owner)} share channel ${st.channel} of DMA controller ${st.controller}`);
      }
    }
    if (st.owner === 0) { problems.push(`board: ${st.path}: a DMA stream needs an owner task`); return; }
    if (!ownerOk(st.owner, st.path)) return;
    const task = byLabel.get(st.owner)!;
    if ((task.capabilities & Cap.DevDma) === 0) problems.push(`board: ${st.path}: owner '${task.name}' lacks ${capabilityNames(Cap.DevDma).join(', ')}`);
    for (const [end, what] of [[st.source, 'source'], [st.dest, 'dest']] as const) {
      if (end.kind === 'shm') {
        const shm = board.shms[end.id];
        if (shm === undefined) problems.push(`board: ${st.path}: ${what} names no shared memory`);
        else if (!shm.dmaPool) problems.push(`board: ${st.path}: ${what} ${shm.path} is not a dma-pool shared memory`);
        else if (shm.owner !== st.owner) problems.push(`board: ${st.path}: ${what} ${shm.path} is not owned by the stream's owner`);
      } else {
        const dev = board.devices.find((d) => d.id === end.id);
        if (dev === undefined) problems.push(`board: ${st.path}: ${what} names no device`);
        else if (dev.owner !== st.owner) problems.push(`board: ${st.path}: ${what} ${dev.path} is not owned by the stream's owner`);
      }
    }
  });
  // Streams need a controller the kernel drives, with a completion line per channel: those
  // lines are how the kernel learns a transfer ended, and the kernel takes them from here.
  for (const p of dmaWiringProblems(board)) problems.push(`board: ${p.path}: ${p.problem}`);
  return problems;
}
