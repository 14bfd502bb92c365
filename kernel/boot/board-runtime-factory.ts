/**
 * Builds the emulated silicon for a board: the bus, the device models, the interrupt
 * controller and the DMA controller, wired behind the kernel's `BoardRuntime` seam.
 *
 * This is boot-time wiring only: every model is created here, once, from the board
 * description; nothing is created while the kernel runs. GPIO controllers exist for every
 * port the board's pins and port devices use (at least gpioa..gpioc on rampart-m4) whether
 * or not a task owns them, because LEDs, buttons and the GPIO syscalls act on their pins;
 * port n is the model named `gpio` + the n-th letter, by the rule of `gpioPortOfDevice`
 * that the build numbers pins with. The DMA controller exists when the board declares
 * streams; it is the kernel's first DMA controller entry (`kernelDmaControllers`), and its
 * channel n raises that entry's n-th interrupt line, so the lines come from the board,
 * where the ownership checks see them, and are written nowhere here.
 */

import type { Board, BoardDmaStream, BoardIo } from '../board.js';
import type { BoardClient, BoardRuntime, GpioPortLike } from '../board-runtime.js';
import type { DmaController } from '../managers/dma/dma-manager.js';
import { Bus, isBusFault } from '../bus/bus.js';
import { BusClock } from '../bus/bus-clock.js';
import { InterruptController } from '../bus/interrupt-controller.js';
import type { DmaEndpoint, DmaPort, MmioDevice } from '../bus/device-model.js';
import { Usart } from '../bus/devices/usart.js';
import { GpioPort } from '../bus/devices/gpio.js';
import { Timer } from '../bus/devices/timer.js';
import { Rng } from '../bus/devices/rng.js';
import { Adc } from '../bus/devices/adc.js';
import { BackupSram } from '../bus/devices/bkpsram.js';
import { Button } from '../bus/devices/button.js';
import { Led } from '../bus/devices/led.js';
import { GpdmaController, GPDMA_CHANNELS } from '../bus/devices/gpdma.js';
import { parseScenario, type ScenarioEvent } from '../bus/scenario.js';
import { ScenarioPlayer } from '../bus/scenario-player.js';
import { VcdWriter } from '../bus/vcd.js';
import { gpioPortName, gpioPortOfDevice, kernelDmaControllers } from './board-check.js';

/** Interrupt lines the controller knows (the board JSON caps a line at 255). */
const IRQ_LINES = 256;

export interface BoardRuntimeOptions {
  readonly frequencyHz: number;
  readonly random: () => number;
  /** Scenario text and the file it came from (for messages). */
  readonly scenario?: { readonly text: string; readonly file: string };
  /** Record GPIO pins and IRQ lines as a VCD waveform. */
  readonly vcd?: boolean;
}

/** The runtime plus what the CLI reads after the run. */
export interface EmulatedBoard extends BoardRuntime {
  /** The VCD text at the end of the run (when recording). */
  waveform(endCycle: number): string | undefined;
  readonly backupSram: BackupSram | undefined;
}

export function createBoardRuntime(board: Board, options: BoardRuntimeOptions): EmulatedBoard {
  const clock = new BusClock();
  const irqs = new InterruptController(clock);
  const bus = new Bus();
  let client: BoardClient | undefined;

  // Boot has refused pins on ports past gpiok (checkBoardAtBoot), so every port has a name.
  let ports = 3;
  for (const d of board.devices) {
    for (const io of d.ios) ports = Math.max(ports, io.port + 1);
    ports = Math.max(ports, (gpioPortOfDevice(d) ?? -1) + 1);
  }
  const gpio: GpioPort[] = [];
  for (let p = 0; p < ports; p++) gpio.push(new GpioPort(p, clock));

  /** Device-table index -> model serving its registers (undefined: no registers). */
  const models: (MmioDevice | undefined)[] = [];
  const dmaPorts = new Map<number, DmaPort>();
  const buttons = new Map<string, Button>();
  const usarts = new Map<string, Usart>();
  const adcs = new Map<string, Adc>();
  let backupSram: BackupSram | undefined;
  const txByte = new Uint8Array(1);

  board.devices.forEach((d, index) => {
    const line = (n: number) => irqs.line(d.irqs[n] ?? 127);
    let model: MmioDevice | undefined;
    switch (d.model) {
      case 'usart': {
        const u = new Usart(d.name, line(0));
        u.setSink({ transmitted: (byte) => { txByte[0] = byte; client?.uartOutput(index, txByte); } });
        clock.register(u);
        usarts.set(d.name, u);
        model = u;
        break;
      }
      case 'timer': {
        const t = new Timer(d.name, line(0), /tim2|tim5/.test(d.name) ? 32 : 16);
        clock.register(t);
        model = t;
        break;
      }
      case 'rng': {
        const r = new Rng(d.name, line(0), { next32: options.random });
        clock.register(r);
        model = r;
        break;
      }
      case 'adc': {
        const a = new Adc(d.name, line(0));
        clock.register(a);
        adcs.set(d.name, a);
        model = a;
        break;
      }
      case 'bkpsram': {
        backupSram = new BackupSram();
        dmaPorts.set(d.id, backupSram);
        model = backupSram;
        break;
      }
      case 'gpio': {
        const port = gpioPortOfDevice(d);
        model = port !== undefined ? gpio[port] : undefined;
        break;
      }
      case 'button': {
        const io = d.ios[0];
        if (io !== undefined && gpio[io.port] !== undefined) buttons.set(d.name, new Button(d.name, gpio[io.port]!, io.pin, line(0)));
        break;
      }
      case 'led': {
        const io = d.ios[0];
        if (io !== undefined && gpio[io.port] !== undefined) new Led(d.name, gpio[io.port]!, io.pin);
        break;
      }
      default:
        break;
    }
    models.push(model);
    if (model !== undefined && d.size > 0) bus.attach(d.baseAddress, model, d.name, index);
  });

  // Kernel-driven DMA: the tasks never see the controller's registers. Boot has checked
  // that streams run on this controller and that it lists one line per channel
  // (dmaWiringProblems); a board that does not is refused before it gets here.
  let dma: DmaController | undefined;
  /** IRQ line -> DMA channel raising it, or -1. */
  const channelOfLine = new Int8Array(IRQ_LINES).fill(-1);
  const dmaDevice = kernelDmaControllers(board.devices)[0];
  if (board.dmaStreams.length > 0 && dmaDevice !== undefined && dmaDevice.irqs.length === GPDMA_CHANNELS) {
    const channelLines = dmaDevice.irqs;
    const lines = channelLines.map((line, c) => {
      channelOfLine[line] = c;
      return irqs.line(line);
    });
    const controller = new GpdmaController(dmaDevice.name, lines, {
      copy: (source: DmaEndpoint, so: number, dest: DmaEndpoint, dO: number, length: number) => client?.dmaCopy(source, so, dest, dO, length, dmaPorts) ?? false,
    });
    clock.register(controller);
    dma = {
      program: (channel: number, stream: BoardDmaStream) => {
        // A channel still running (or suspended) for an ended job refuses its new programming.
        if (!controller.program(channel, { source: stream.source, dest: stream.dest, length: stream.length, circularSource: stream.circularSource, circularDest: stream.circularDest, priority: stream.priority })) return false;
        // Assigning a stream enables its channel interrupt (spec §1.2.30-37, assign).
        irqs.unmask(channelLines[channel]!);
        return true;
      },
      start: (channel: number) => controller.start(channel),
      suspend: (channel: number) => controller.suspend(channel),
      resume: (channel: number) => controller.resume(channel),
      reset: (channel: number) => {
        irqs.mask(channelLines[channel]!);
        return controller.reset(channel);
      },
      takeFlags: (channel: number) => {
        const flags = controller.pendingFlags(channel);
        controller.clearFlags(channel, flags);
        return flags;
      },
      isIdle: (channel: number) => !controller.isProgrammed(channel) || controller.channelState(channel) !== 2,
    };
  }

  if (options.scenario !== undefined) {
    const targets = [...board.devices.map((d) => ({ name: d.name, model: d.model })), ...gpio.map((_, p) => ({ name: gpioPortName(p)!, model: 'gpio' }))];
    const events: ScenarioEvent[] = parseScenario(options.scenario.text, options.scenario.file, options.frequencyHz, targets);
    const gpios = new Map(gpio.map((g, p) => [gpioPortName(p)!, g]));
    clock.register(new ScenarioPlayer(events, { buttons, usarts, gpios, adcs }));
  }

  let vcd: VcdWriter | undefined;
  if (options.vcd === true) {
    vcd = new VcdWriter(options.frequencyHz);
    for (const d of board.devices) {
      for (const io of d.ios) vcd.addPin(io.port, io.pin, `${d.name}_P${gpioPortName(io.port)!.slice(4).toUpperCase()}${io.pin}`);
      for (const irq of d.irqs) vcd.addIrq(irq, `irq${irq}_${d.name}`);
    }
    for (const g of gpio) g.setObserver(vcd);
    irqs.setObserver(vcd);
  }

  irqs.setClient({ onRaise: (line) => client?.irq(line) });

  return {
    connect: (c) => { client = c; },
    deviceRead: (device, offset, width) => {
      const m = models[device];
      return m === undefined ? 0 : m.read(offset, width);
    },
    deviceWrite: (device, offset, width, value) => { models[device]?.write(offset, width, value); },
    firstMap: (device) => {
      // Clock on and pins configured, once per boot (spec §1.2.6).
      for (const io of board.devices[device]!.ios) gpio[io.port]?.configurePin(io.pin, io);
    },
    gpioPort: (port) => gpio[port] as GpioPortLike | undefined,
    dma,
    dmaChannelOfIrq: (line) => (line >= 0 && line < IRQ_LINES ? channelOfLine[line]! : -1),
    mask: (line) => { irqs.mask(line); },
    unmask: (line) => { irqs.unmask(line); },
    acknowledge: (line) => { irqs.acknowledge(line); },
    nextEventCycle: () => clock.nextEventCycle(),
    advanceTo: (cycle) => clock.advanceTo(cycle),
    waveform: (endCycle) => vcd?.finish(endCycle),
    backupSram,
  };
}

/** Unused-import guard for types only referenced in JSDoc. */
export type { BoardIo };
export { isBusFault };
