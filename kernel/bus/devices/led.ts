/**
 * LED model: a read-only view of one GPIO pin (devicetree `gpio-leds`).
 *
 * Owns nothing but the (port, pin, active level) triple: the LED is lit when its pin is at
 * the active level. The pin itself lives in the `GpioPort`, so every way of driving it
 * (gpio syscalls, ODR/BSRR writes) lights the LED, and the waveform of the pin is the
 * waveform of the LED.
 *
 * Must never: drive the pin (an LED is a load, not a driver).
 */

import type { GpioPort } from './gpio.js';

/** An LED on a GPIO pin: lit when the pin is at the active level. */
export class Led {
  /**
   * @param name devicetree label, for reports
   * @param activeHigh true when a high pin lights the LED (the board's LEDs are active high)
   */
  constructor(readonly name: string, readonly port: GpioPort, readonly pin: number, readonly activeHigh = true) {}

  /** Whether the LED is lit now. */
  isLit(): boolean {
    return this.port.getPin(this.pin) === this.activeHigh;
  }
}
