/**
 * Tests — USART: timed transmission, TXE/TC, RXNE interrupt from receive(), drop accounting, UE=0.
 */

import { describe, expect, it } from 'vitest';
import { Usart, UsartCr1, UsartIsr, UsartReg, USART_ISR_RESET, USART_RX_QUEUE_BYTES } from './usart.js';
import { InterruptController } from '../interrupt-controller.js';
import { BusClock } from '../bus-clock.js';

const IRQ = 38;

function setup() {
  const clock = new BusClock();
  const ic = new InterruptController(clock);
  const raised: number[] = [];
  ic.setClient({ onRaise: () => raised.push(clock.now()) });
  const usart = new Usart('usart2', ic.line(IRQ));
  const sent: string[] = [];
  usart.setSink({ transmitted: (byte, cycle) => sent.push(`${cycle}:${String.fromCharCode(byte)}`) });
  clock.register(usart);
  return { clock, ic, usart, raised, sent };
}

describe('Usart', () => {
  it('resets with TXE and TC set', () => {
    const { usart } = setup();
    expect(usart.read(UsartReg.Isr, 4)).toBe(USART_ISR_RESET);
    expect(usart.read(UsartReg.Cr1, 4)).toBe(0);
  });

  it('transmits in virtual time: 10 × BRR cycles per frame, TDR buffered behind the shift register', () => {
    const { clock, usart, sent } = setup();
    usart.write(UsartReg.Brr, 4, 100);
    usart.write(UsartReg.Cr1, 4, UsartCr1.Ue | UsartCr1.Te);
    clock.advanceTo(10);
    usart.write(UsartReg.Tdr, 1, 0x41); // straight to the shift register
    expect(usart.read(UsartReg.Isr, 4) & (UsartIsr.Txe | UsartIsr.Tc)).toBe(UsartIsr.Txe);
    usart.write(UsartReg.Tdr, 4, 0x42); // waits in TDR
    expect(usart.read(UsartReg.Isr, 4) & UsartIsr.Txe).toBe(0);
    expect(sent).toEqual([]); // never synchronously
    expect(clock.nextEventCycle()).toBe(1010);
    clock.advanceTo(1010);
    expect(sent).toEqual(['1010:A']);
    expect(usart.read(UsartReg.Isr, 4) & (UsartIsr.Txe | UsartIsr.Tc)).toBe(UsartIsr.Txe);
    clock.advanceTo(5000);
    expect(sent).toEqual(['1010:A', '2010:B']);
    expect(usart.read(UsartReg.Isr, 4) & (UsartIsr.Txe | UsartIsr.Tc)).toBe(UsartIsr.Txe | UsartIsr.Tc);
  });

  it('uses the minimum bit time when BRR is below 16, and ignores TDR while disabled', () => {
    const { clock, usart, sent } = setup();
    usart.write(UsartReg.Tdr, 1, 0x58);
    usart.write(UsartReg.Cr1, 4, UsartCr1.Ue | UsartCr1.Te);
    usart.write(UsartReg.Tdr, 1, 0x59);
    clock.advanceTo(1000);
    expect(sent).toEqual(['160:Y']);
  });

  it('raises the line on TC when TCIE, cleared by ICR.TCCF', () => {
    const { clock, ic, usart, raised } = setup();
    ic.unmask(IRQ);
    usart.write(UsartReg.Cr1, 4, UsartCr1.Ue | UsartCr1.Te);
    usart.write(UsartReg.Tdr, 1, 0x41);
    usart.write(UsartReg.Cr1, 4, UsartCr1.Ue | UsartCr1.Te | UsartCr1.Tcie);
    clock.advanceTo(500);
    expect(raised).toEqual([160]);
    usart.write(UsartReg.Icr, 4, UsartIsr.Tc);
    expect(ic.isLevelHigh(IRQ)).toBe(false);
  });

  it('receive() sets RXNE and raises the RXNE interrupt; reading RDR brings the next byte', () => {
    const { clock, ic, usart, raised } = setup();
    ic.unmask(IRQ);
    usart.write(UsartReg.Cr1, 4, UsartCr1.Ue | UsartCr1.Re | UsartCr1.Rxneie);
    clock.advanceTo(777);
    expect(usart.receive([0x68, 0x69])).toBe(2);
    expect(raised).toEqual([777]);
    expect(usart.read(UsartReg.Isr, 4) & UsartIsr.Rxne).toBe(UsartIsr.Rxne);
    expect(usart.read(UsartReg.Rdr, 4)).toBe(0x68);
    expect(usart.read(UsartReg.Isr, 4) & UsartIsr.Rxne).toBe(UsartIsr.Rxne);
    expect(usart.read(UsartReg.Rdr, 1)).toBe(0x69);
    expect(usart.read(UsartReg.Isr, 4) & UsartIsr.Rxne).toBe(0);
    expect(ic.isLevelHigh(IRQ)).toBe(false);
  });

  it('counts bytes dropped while the receiver is off or the queue is full (ORE)', () => {
    const { usart } = setup();
    expect(usart.receive([1, 2, 3])).toBe(0);
    expect(usart.rxDropped).toBe(3);
    usart.write(UsartReg.Cr1, 4, UsartCr1.Ue | UsartCr1.Re);
    const flood = new Uint8Array(USART_RX_QUEUE_BYTES + 3);
    expect(usart.receive(flood)).toBe(USART_RX_QUEUE_BYTES + 1);
    expect(usart.rxDropped).toBe(5);
    expect(usart.read(UsartReg.Isr, 4) & UsartIsr.Ore).toBe(UsartIsr.Ore);
    usart.write(UsartReg.Icr, 4, UsartIsr.Ore);
    expect(usart.read(UsartReg.Isr, 4) & UsartIsr.Ore).toBe(0);
  });

  it('UE=0 discards what is in flight and restores the reset flags', () => {
    const { clock, usart, sent } = setup();
    usart.write(UsartReg.Cr1, 4, UsartCr1.Ue | UsartCr1.Te | UsartCr1.Re);
    usart.write(UsartReg.Tdr, 1, 0x41);
    usart.receive([1, 2]);
    usart.write(UsartReg.Cr1, 4, 0);
    expect(usart.read(UsartReg.Isr, 4)).toBe(USART_ISR_RESET);
    expect(usart.rxQueued).toBe(0);
    clock.advanceTo(10_000);
    expect(sent).toEqual([]);
  });
});
