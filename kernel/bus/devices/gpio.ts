/**
 * GPIO port model: 16 pins with STM32-style MODER/OTYPER/OSPEEDR/PUPDR/IDR/ODR/BSRR/AFR/BRR.
 *
 * Owns one port's configuration registers, its output latch (ODR), what the outside world
 * drives on each pin (scenario input, buttons), and the resulting pin levels (IDR). Every
 * change that moves a pin level is reported to the observer with the bus clock's cycle.
 *
 * Level rules (docs/peripherals.md): a push-pull output drives ODR (and wins over an
 * external driver); an open-drain output drives low for ODR=0 and releases the pin for
 * ODR=1; a released, input or alternate-function pin follows the external driver, else its
 * pull (up → 1, down → 0, none → 0: a floating input reads 0 here); an analog pin reads 0.
 * Alternate functions are recorded but not routed: the peripherals model their own data
 * paths, so an AF pin behaves as an input.
 *
 * Must never: throw for a bad pin number from the kernel API (it answers false instead);
 * report a pin change that did not happen; allocate on access.
 */

import {
  type AccessWidth, type CycleClock, type MmioDevice, type SignalObserver,
  extractLanes, isAligned, laneMask, mergeLanes, placeLanes,
} from '../device-model.js';

/** Register offsets (bytes). */
export const enum GpioReg {
  Moder = 0x00,
  Otyper = 0x04,
  Ospeedr = 0x08,
  Pupdr = 0x0c,
  Idr = 0x10,
  Odr = 0x14,
  Bsrr = 0x18,
  Lckr = 0x1c,
  Afrl = 0x20,
  Afrh = 0x24,
  Brr = 0x28,
}

/** MODER field values (2 bits per pin). */
export const enum GpioMode { Input = 0, Output = 1, AlternateFunction = 2, Analog = 3 }

/** PUPDR field values (2 bits per pin). */
export const enum GpioPull { None = 0, Up = 1, Down = 2 }

/** Pins per port. */
export const GPIO_PINS = 16;

/** Size of the register window (one 1 KiB slot per port, as in the memory map). */
export const GPIO_WINDOW_SIZE = 0x400;

/**
 * A pin configuration, in register-field values. The board's `BoardIo` (from the
 * devicetree's `pinmux`/`pincfg`) has exactly these fields, so it is passed as is.
 */
export interface GpioPinConfig {
  /** MODER value: 0 input, 1 output, 2 alternate function, 3 analog. */
  readonly mode: number;
  /** Alternate function number 0..15. */
  readonly af: number;
  /** OTYPER value: 0 push-pull, 1 open-drain. */
  readonly ppull: number;
  /** OSPEEDR value 0..3 (recorded; speed has no effect in virtual time). */
  readonly speed: number;
  /** PUPDR value: 0 none, 1 pull-up, 2 pull-down. */
  readonly pupdr: number;
}

const PIN_MASK = 0xffff;

/** One 16-pin GPIO port: registers, output latch, external drivers and pin levels. */
export class GpioPort implements MmioDevice {
  readonly size = GPIO_WINDOW_SIZE;

  private moder = 0;
  private otyper = 0;
  private ospeedr = 0;
  private pupdr = 0;
  private odr = 0;
  private afrl = 0;
  private afrh = 0;
  /** Pins the outside world drives, and the levels it drives them to. */
  private externalDriven = 0;
  private externalLevel = 0;
  /** Current pin levels: always `computeLevels()` of the state above. */
  private idr = 0;
  private observer: SignalObserver | undefined;

  /**
   * @param port GPIO controller index (0 = gpioa): used in observer reports only.
   * @param clock stamps observer reports (the bus clock).
   */
  constructor(readonly port: number, private readonly clock: CycleClock) {}

  setObserver(observer: SignalObserver | undefined): void { this.observer = observer; }

  // ---- kernel API (GPIO syscalls, scenario input) ----

  /** The pin's level (IDR bit); false for a pin outside 0..15. */
  getPin(pin: number): boolean {
    return isPin(pin) && (this.idr & (1 << pin)) !== 0;
  }

  /** Drives the output latch (what gpio_set/reset/toggle do). False for a bad pin. */
  setPin(pin: number, level: boolean): boolean {
    if (!isPin(pin)) return false;
    this.odr = level ? this.odr | (1 << pin) : this.odr & ~(1 << pin);
    this.update();
    return true;
  }

  /** The output latch bit (ODR), whatever the pin mode. */
  getOutputLatch(pin: number): boolean {
    return isPin(pin) && (this.odr & (1 << pin)) !== 0;
  }

  /**
   * Applies a devicetree pin configuration (gpio_configure, first map). False, changing
   * nothing, when a field is out of its register range.
   */
  configurePin(pin: number, config: GpioPinConfig): boolean {
    if (!isPin(pin)) return false;
    const { mode, af, ppull, speed, pupdr } = config;
    if (!inRange(mode, 3) || !inRange(af, 15) || !inRange(ppull, 1) || !inRange(speed, 3) || !inRange(pupdr, 2)) return false;
    const two = pin * 2;
    this.moder = setField(this.moder, two, 3, mode);
    this.otyper = setField(this.otyper, pin, 1, ppull);
    this.ospeedr = setField(this.ospeedr, two, 3, speed);
    this.pupdr = setField(this.pupdr, two, 3, pupdr);
    if (pin < 8) this.afrl = setField(this.afrl, pin * 4, 15, af);
    else this.afrh = setField(this.afrh, (pin - 8) * 4, 15, af);
    this.update();
    return true;
  }

  /** The outside world drives the pin (scenario, button). False for a bad pin. */
  externalInput(pin: number, level: boolean): boolean {
    if (!isPin(pin)) return false;
    this.externalDriven |= 1 << pin;
    this.externalLevel = level ? this.externalLevel | (1 << pin) : this.externalLevel & ~(1 << pin);
    this.update();
    return true;
  }

  /** The outside world stops driving the pin: it falls back to its pull. False for a bad pin. */
  externalRelease(pin: number): boolean {
    if (!isPin(pin)) return false;
    this.externalDriven &= ~(1 << pin);
    this.externalLevel &= ~(1 << pin);
    this.update();
    return true;
  }

  /** Pin mode (MODER field), or -1 for a bad pin. */
  pinMode(pin: number): number {
    return isPin(pin) ? (this.moder >>> (pin * 2)) & 3 : -1;
  }

  // ---- MMIO ----

  read(offset: number, width: AccessWidth): number {
    if (!isAligned(offset, width)) return 0;
    return extractLanes(this.readWord(offset & ~3), offset, width);
  }

  write(offset: number, width: AccessWidth, value: number): void {
    if (!isAligned(offset, width)) return;
    const mask = laneMask(offset, width);
    const v = placeLanes(value, offset, width) & mask;
    switch (offset & ~3) {
      case GpioReg.Moder: this.moder = mergeLanes(this.moder, v, mask); break;
      case GpioReg.Otyper: this.otyper = mergeLanes(this.otyper, v, mask) & PIN_MASK; break;
      case GpioReg.Ospeedr: this.ospeedr = mergeLanes(this.ospeedr, v, mask); break;
      case GpioReg.Pupdr: this.pupdr = mergeLanes(this.pupdr, v, mask); break;
      case GpioReg.Odr: this.odr = mergeLanes(this.odr, v, mask) & PIN_MASK; break;
      case GpioReg.Bsrr: {
        // Set has priority over reset when both bits are written (STM32 rule).
        const set = v & PIN_MASK;
        const reset = (v >>> 16) & ~set;
        this.odr = (this.odr | set) & ~reset & PIN_MASK;
        break;
      }
      case GpioReg.Afrl: this.afrl = mergeLanes(this.afrl, v, mask); break;
      case GpioReg.Afrh: this.afrh = mergeLanes(this.afrh, v, mask); break;
      case GpioReg.Brr: this.odr = this.odr & ~(v & PIN_MASK); break;
      default: return; // IDR is read-only; LCKR is not implemented; the rest is reserved
    }
    this.update();
  }

  private readWord(reg: number): number {
    switch (reg) {
      case GpioReg.Moder: return this.moder;
      case GpioReg.Otyper: return this.otyper;
      case GpioReg.Ospeedr: return this.ospeedr;
      case GpioReg.Pupdr: return this.pupdr;
      case GpioReg.Idr: return this.idr;
      case GpioReg.Odr: return this.odr;
      case GpioReg.Afrl: return this.afrl;
      case GpioReg.Afrh: return this.afrh;
      default: return 0; // BSRR and BRR are write-only; LCKR reads 0
    }
  }

  /** Recomputes the levels and reports each pin that moved, lowest pin first. */
  private update(): void {
    const next = this.computeLevels();
    const changed = next ^ this.idr;
    this.idr = next;
    if (changed === 0 || this.observer === undefined) return;
    const cycle = this.clock.now();
    for (let pin = 0; pin < GPIO_PINS; pin++) {
      if ((changed & (1 << pin)) !== 0) this.observer.pinChanged(this.port, pin, (next & (1 << pin)) !== 0, cycle);
    }
  }

  private computeLevels(): number {
    let levels = 0;
    for (let pin = 0; pin < GPIO_PINS; pin++) {
      const bit = 1 << pin;
      const mode = (this.moder >>> (pin * 2)) & 3;
      let high: boolean;
      if (mode === GpioMode.Analog) {
        high = false; // the input buffer is off in analog mode: IDR reads 0
      } else if (mode === GpioMode.Output && ((this.otyper & bit) === 0 || (this.odr & bit) === 0)) {
        high = (this.odr & bit) !== 0; // push-pull, or open-drain pulling low
      } else if ((this.externalDriven & bit) !== 0) {
        high = (this.externalLevel & bit) !== 0;
      } else {
        high = ((this.pupdr >>> (pin * 2)) & 3) === GpioPull.Up;
      }
      if (high) levels |= bit;
    }
    return levels;
  }
}

function isPin(pin: number): boolean {
  return pin >>> 0 === pin && pin < GPIO_PINS;
}

function inRange(v: number, max: number): boolean {
  return v >>> 0 === v && v <= max;
}

function setField(reg: number, shift: number, mask: number, value: number): number {
  return ((reg & ~(mask << shift)) | (value << shift)) >>> 0;
}
