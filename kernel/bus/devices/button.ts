/**
 * Button model: a push button on one GPIO pin, with an edge interrupt on press.
 *
 * Owns the pressed/released state. Pressing drives the pin to the active level and pulses
 * the interrupt line (an external-interrupt edge detector set to the press edge); releasing
 * lets go of the pin, which returns to its pull. On rampart-m4, `button0` is PC13 with a
 * pull-up and the button shorts it to ground: active low, so it reads 1 released, 0 pressed.
 *
 * Invariant: one interrupt per press; a press while already pressed, or a release while
 * released, changes nothing (a real switch has no second edge to give).
 *
 * Must never: interrupt on release (the edge detector watches the press edge only).
 */

import type { InterruptLine } from '../device-model.js';
import type { GpioPort } from './gpio.js';

/** A push button on a GPIO pin, with an edge interrupt on press. */
export class Button {
  private pressed = false;

  /**
   * @param activeHigh false for a button to ground on a pulled-up pin (button0)
   */
  constructor(
    readonly name: string,
    readonly port: GpioPort,
    readonly pin: number,
    private readonly line: InterruptLine,
    readonly activeHigh = false,
  ) {}

  isPressed(): boolean { return this.pressed; }

  press(): void {
    if (this.pressed) return;
    this.pressed = true;
    this.port.externalInput(this.pin, this.activeHigh);
    this.line.pulse();
  }

  release(): void {
    if (!this.pressed) return;
    this.pressed = false;
    this.port.externalRelease(this.pin);
  }
}
