/**
 * The kernel's resource plane: devices, IRQs, shared memories and DMA as gates and the
 * emulated bus reach them.
 *
 * Owns the glue between the kernel's task state and the resource managers (DeviceManager,
 * ShmManager, DmaManager) and the board runtime: device register access (with the bus clock
 * brought to now), first-map model attachment, IRQ routing to owners, the DMA data path
 * between SHM windows and device ports, SHM synchronisation at switches, and what a job's
 * end releases.
 *
 * Invariants:
 * - Every register access and every DMA step is accounted in virtual time first
 *   (`Kernel.account`), so device models see the exact cycle.
 * - An IRQ line is masked when delivered and stays masked until its owner re-enables or
 *   acknowledges it; an event no queue can take is dropped through `Kernel.dropEvent`
 *   (counted, logged, journaled), never a panic.
 * - A task's write to an SHM it may not write is found at switch-out and faults the task
 *   (release: panics the kernel); the canonical content is restored first.
 * - A job's end leaves nothing of it running: its streams' channels are suspended and
 *   reset, its mappings and IRQs dropped, its SHM peers told with SIGNAL_PIPE.
 */

import { JobState, Signal } from '../toolchain/abi/index.js';
import type { DmaEndpoint } from './board.js';
import type { DmaDevicePort, GpioPortLike } from './board-runtime.js';
import { IDLE, type Kernel } from './kernel.js';
import { ShmRole } from './managers/memory/shm-manager.js';
import { StreamState } from './managers/dma/dma-manager.js';

export class ResourcePlane {
  constructor(private readonly k: Kernel) {}


  /** Dynamic mappings (devices + SHMs) task t holds: at most MAPPING_SLOTS. */
  mappingCount(t: number): number {
    let n = 0;
    for (let d = 0; d < this.k.devices.devices.length; d++) if (this.k.devices.mappedBy[d] === t) n++;
    return n + this.k.shm.mappingCount(t);
  }

  private readonly firstMapped = new Set<number>();

  onDeviceFirstMap(d: number): void {
    if (this.firstMapped.has(d)) return;
    this.firstMapped.add(d);
    this.k.runtime.firstMap(d);
  }

  deviceRead(d: number, offset: number, width: 1 | 2 | 4): number {
    this.k.account();
    return this.k.runtime.deviceRead(d, offset, width);
  }

  deviceWrite(d: number, offset: number, width: 1 | 2 | 4, value: number): void {
    this.k.account();
    this.k.runtime.deviceWrite(d, offset, width, value);
  }

  /** The GPIO port model, with the bus clock brought to now (pin changes are timestamped). */
  gpioPort(port: number): GpioPortLike | undefined {
    this.k.account();
    return this.k.runtime.gpioPort(port);
  }

  irqAcknowledge(line: number): void {
    this.k.runtime.acknowledge(line);
    this.k.runtime.unmask(line);
  }

  irqSetMasked(line: number, masked: boolean): void {
    if (masked) this.k.runtime.mask(line);
    else this.k.runtime.unmask(line);
  }

  /** An interrupt line fired: route it to its owner (masked until re-enabled), or to DMA handling. */
  onIrq(line: number): void {
    // Deliver: mask the line (non-reentrant until the owner re-enables it) and clear its
    // pending flag, so a device the owner has serviced does not fire again on irq_enable.
    this.k.runtime.mask(line);
    this.k.runtime.acknowledge(line);
    const channel = this.k.runtime.dmaChannelOfIrq(line);
    if (channel >= 0) { this.onDmaIrq(channel, line); return; }
    const d = line < 256 ? this.k.devices.irqDevice[line]! : -1;
    const owner = d >= 0 ? this.k.devices.ownerTask[d]! : -1;
    if (owner < 0 || this.k.isTerminated(owner) || this.k.state[owner] === JobState.NotStarted) {
      this.k.dropEvent(owner, `IRQ ${line} (no running owner)`);
      return;
    }
    if (!this.k.devices.pushIrq(owner, line)) { this.k.dropEvent(owner, `IRQ ${line} (15 pending IRQs)`); return; }
    this.k.trace?.instant(owner, this.k.cycles, `irq ${line}`);
    this.k.wakeForEvent(owner);
  }

  private onDmaIrq(channel: number, line: number): void {
    const s = this.k.dma.activeOnChannel(channel);
    const controller = this.k.runtime.dma;
    this.k.runtime.acknowledge(line);
    const flags = controller?.takeFlags(channel) ?? 0;
    this.k.runtime.unmask(line);
    if (s < 0 || controller === undefined || flags === 0) return;
    const t = this.k.dma.ownerTask[s]!;
    // The designed completion table (spec §4.10): a finished (or failed) transfer whose
    // channel is idle returns the stream to ASSIGNED; a half-transfer leaves it STARTED.
    if (this.k.dma.state[s] === StreamState.Started && controller.isIdle(channel)) this.k.dma.state[s] = StreamState.Assigned;
    if (t < 0 || this.k.isTerminated(t)) return;
    if (!this.k.dma.push(t, this.k.dma.handles[s]!, this.k.dma.state[s]!)) { this.k.dropEvent(t, `DMA event of stream ${s} (queue full)`); return; }
    this.k.wakeForEvent(t);
  }

  onUartOutput(device: number, bytes: Uint8Array): void {
    this.k.console.device(this.k.devices.devices[device]?.name ?? `device${device}`, bytes);
  }

  /**
   * DMA data path. SHM bytes come from the running task's window when it may write that
   * SHM (its latest content), else from the canonical copy; written bytes go to the
   * canonical copy and to the running task's window if it maps the SHM, so sharing stays
   * exact while the task runs.
   */
  dmaCopy(source: DmaEndpoint, so: number, dest: DmaEndpoint, dOff: number, length: number, ports: ReadonlyMap<number, DmaDevicePort>): boolean {
    const scratch = this.dmaBuffer.length >= length ? this.dmaBuffer : (this.dmaBuffer = new Uint8Array(length));
    const running = this.k.executing !== IDLE ? this.k.executing : this.k.current;
    if (source.kind === 'shm') {
      const shm = this.k.shm.shms[source.id];
      if (shm === undefined || so + length > shm.size) return false;
      const fromTask = running !== IDLE && this.k.shm.writableBy(source.id, running);
      const bytes = fromTask ? this.k.instances[running]!.memoryBytes().subarray(shm.baseAddress, shm.baseAddress + shm.size) : this.k.shm.content[source.id]!;
      scratch.set(bytes.subarray(so, so + length));
    } else {
      const port = ports.get(source.id);
      if (port === undefined || !port.dmaRead(so, scratch, 0, length)) return false;
    }
    if (dest.kind === 'shm') {
      const shm = this.k.shm.shms[dest.id];
      if (shm === undefined || dOff + length > shm.size) return false;
      this.k.shm.content[dest.id]!.set(scratch.subarray(0, length), dOff);
      this.k.shm.version[dest.id] = this.k.shm.version[dest.id]! + 1;
      if (running !== IDLE && this.k.shm.mappedBy(dest.id, running)) {
        this.k.instances[running]!.memoryBytes().set(scratch.subarray(0, length), shm.baseAddress + dOff);
        this.k.shm.markSeen(dest.id, running);
      }
      return true;
    }
    const port = ports.get(dest.id);
    return port !== undefined && port.dmaWrite(dOff, scratch, 0, length);
  }

  private dmaBuffer = new Uint8Array(256);

  dmaAssign(s: number): boolean {
    const c = this.k.runtime.dma;
    if (c === undefined) return false;
    return c.program(this.k.dma.streams[s]!.channel, this.k.dma.streams[s]!);
  }

  dmaStart(s: number): boolean {
    this.k.account();
    return this.k.runtime.dma?.start(this.k.dma.streams[s]!.channel) ?? false;
  }

  dmaSuspend(s: number): boolean {
    this.k.account();
    return this.k.runtime.dma?.suspend(this.k.dma.streams[s]!.channel) ?? false;
  }

  dmaResume(s: number): boolean {
    this.k.account();
    return this.k.runtime.dma?.resume(this.k.dma.streams[s]!.channel) ?? false;
  }

  dmaReset(s: number): boolean {
    return this.k.runtime.dma?.reset(this.k.dma.streams[s]!.channel) ?? false;
  }

  /** Switch-in of SHM windows for task t (after a map, or a resume). */
  syncShmIn(t: number): void {
    this.k.shm.syncIn(t, this.k.instances[t]!.memoryBytes());
  }

  /**
   * Switch-out of SHM windows: take back what t may write, check what it may not.
   * Returns false when t wrote without permission (it is then killed).
   */
  syncShmOut(t: number): boolean {
    const violation = this.k.shm.syncOut(t, this.k.instances[t]!.memoryBytes());
    if (violation < 0) return true;
    this.k.killTask(t, `wrote to shared memory 0x${this.k.shm.shms[violation]!.label.toString(16)} without WRITE permission`);
    return false;
  }

  /** Everything a job held goes back; peers sharing memory with it get SIGNAL_PIPE. */
  releaseResources(t: number, deadHandle: number): void {
    this.k.devices.unmapAll(t);
    this.k.devices.clearIrqs(t);
    this.k.dma.clearEvents(t);
    for (let s = 0; s < this.k.dma.streams.length; s++) {
      if (this.k.dma.ownerTask[s] === t && this.k.dma.state[s] !== StreamState.Unset) {
        // A running channel refuses a reset: stop it first, so the next job finds it free.
        const channel = this.k.dma.streams[s]!.channel;
        this.k.runtime.dma?.suspend(channel);
        this.k.runtime.dma?.reset(channel);
        this.k.dma.state[s] = StreamState.Unset;
      }
    }
    const sm = this.k.shm;
    for (let s = 0; s < sm.shms.length; s++) {
      const owner = sm.owner[s]!;
      const user = sm.user[s]!;
      if (owner === t) {
        sm.setMapped(s, ShmRole.Owner, false);
        sm.setCreds(s, ShmRole.Owner, 0);
        if (user !== t && user >= 0) this.k.postSignal(user, t, Signal.Pipe, deadHandle, false);
      } else if (user === t) {
        sm.setMapped(s, ShmRole.User, false);
        sm.setCreds(s, ShmRole.User, 0);
        sm.user[s] = owner;
        if (owner >= 0) this.k.postSignal(owner, t, Signal.Pipe, deadHandle, false);
      }
    }
  }
}
