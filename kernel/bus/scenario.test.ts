/**
 * Tests — Scenario parser: a valid file, exact unit conversion, and one rejection per malformed line with file:line.
 */

import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError, type ScenarioTarget } from './scenario.js';

const TARGETS: ScenarioTarget[] = [
  { name: 'button0', model: 'button' },
  { name: 'usart2', model: 'usart' },
  { name: 'gpioa', model: 'gpio' },
  { name: 'tim2', model: 'timer' },
  { name: 'adc1', model: 'adc' },
];
const F = 64_000_000;

function problemsOf(text: string): string[] {
  try {
    parseScenario(text, 'demo.scn', F, TARGETS);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return [...(e as ScenarioError).problems];
  }
  throw new Error('expected the scenario to be rejected');
}

describe('parseScenario', () => {
  it('accepts a valid file: units, relative times, comments, strings with escapes, bytes', () => {
    const events = parseScenario([
      '# a demo',
      '',
      '1ms      button0 press      # first',
      '+500us   button0 release',
      '2ms      usart2 rx "AT\\r\\n" 0x00 65 "\\x7f\\"\\\\"',
      '2ms      gpioa 3 high',
      '\t3000000cycles  gpioa 15 float',
      '+0ms     adc1 3 1234',
      '+1ms     adc1 7 0xfff   # full scale',
      '+1us     adc1 0 0',
    ].join('\n'), 'demo.scn', F, TARGETS);
    expect(events).toEqual([
      { kind: 'button', cycle: 64_000, target: 'button0', where: 'demo.scn:3', action: 'press' },
      { kind: 'button', cycle: 96_000, target: 'button0', where: 'demo.scn:4', action: 'release' },
      { kind: 'usart-rx', cycle: 128_000, target: 'usart2', where: 'demo.scn:5', bytes: Uint8Array.of(0x41, 0x54, 0x0d, 0x0a, 0, 65, 0x7f, 0x22, 0x5c) },
      { kind: 'gpio', cycle: 128_000, target: 'gpioa', where: 'demo.scn:6', pin: 3, action: 'high' },
      { kind: 'gpio', cycle: 3_000_000, target: 'gpioa', where: 'demo.scn:7', pin: 15, action: 'float' },
      { kind: 'adc', cycle: 3_000_000, target: 'adc1', where: 'demo.scn:8', channel: 3, value: 1234 },
      { kind: 'adc', cycle: 3_064_000, target: 'adc1', where: 'demo.scn:9', channel: 7, value: 4095 },
      { kind: 'adc', cycle: 3_064_064, target: 'adc1', where: 'demo.scn:10', channel: 0, value: 0 },
    ]);
  });

  it('converts every unit exactly and encodes non-ASCII text as UTF-8', () => {
    const [a, b, c, d] = parseScenario('1s usart2 rx "é"\n+15.625ns button0 press\n+1us button0 release\n+1cycles button0 press', 'x', F, TARGETS);
    expect(a!.cycle).toBe(64_000_000);
    expect(a!.kind === 'usart-rx' && [...a!.bytes]).toEqual([0xc3, 0xa9]);
    expect(b!.cycle).toBe(64_000_001);
    expect(c!.cycle).toBe(64_000_065);
    expect(d!.cycle).toBe(64_000_066);
  });

  it.each([
    ['10 button0 press', /demo\.scn:1: bad time '10'/],
    ['1.5cycles button0 press', /demo\.scn:1: .*whole number/],
    ['1ns button0 press', /demo\.scn:1: time '1ns' is not a whole number of cycles at 64000000 Hz/],
    ['1ms button9 press', /demo\.scn:1: unknown target 'button9' \(scenario targets on this board: adc1, button0, gpioa, usart2\)/],
    ['1ms tim2 start', /demo\.scn:1: target 'tim2' is a timer, which takes no scenario input/],
    ['1ms button0 push', /demo\.scn:1: unknown action 'push' for button button0/],
    ['1ms button0 press now', /demo\.scn:1: press takes no arguments/],
    ['1ms usart2 tx "x"', /demo\.scn:1: unknown action 'tx' for usart usart2/],
    ['1ms usart2 rx', /demo\.scn:1: rx needs data/],
    ['1ms usart2 rx 0x100', /demo\.scn:1: rx data '0x100' is neither/],
    ['1ms usart2 rx "abc', /demo\.scn:1: unterminated string/],
    ['1ms usart2 rx "a\\q"', /demo\.scn:1: unknown escape '\\q'/],
    ['1ms usart2 rx "\\x4"', /demo\.scn:1: bad escape/],
    ['1ms usart2 rx "a"b', /demo\.scn:1: unexpected 'b' right after a closing quote/],
    ['1ms gpioa 16 high', /demo\.scn:1: expected a pin number 0..15 after gpioa, got '16'/],
    ['1ms gpioa 3 up', /demo\.scn:1: expected high, low or float after gpioa 3, got 'up'/],
    ['1ms gpioa 3 high extra', /demo\.scn:1: unexpected 'extra'/],
    ['1ms button0', /demo\.scn:1: expected "<time> <target> <action>/],
    ['1ms adc1 8 100', /demo\.scn:1: expected a channel number 0\.\.7 after adc1, got '8'$/],
    ['1ms adc1 03 100', /demo\.scn:1: expected a channel number 0\.\.7 after adc1, got '03'$/],
    ['1ms adc1 "3" 100', /demo\.scn:1: expected a channel number 0\.\.7 after adc1, got '"3"'$/],
    ['1ms adc1 3', /demo\.scn:1: expected a value 0\.\.4095 \(12 bits, decimal or 0x\) after adc1 3$/],
    ['1ms adc1 3 4096', /demo\.scn:1: expected a value 0\.\.4095 \(12 bits, decimal or 0x\) after adc1 3, got '4096'$/],
    ['1ms adc1 3 0x1000', /demo\.scn:1: expected a value .* got '0x1000'$/],
    ['1ms adc1 3 -1', /demo\.scn:1: expected a value .* got '-1'$/],
    ['1ms adc1 3 1.5', /demo\.scn:1: expected a value .* got '1\.5'$/],
    ['1ms adc1 3 "12"', /demo\.scn:1: expected a value .* got '12'$/],
    ['1ms adc1 3 12 mV', /demo\.scn:1: unexpected 'mV' after adc1 3 12$/],
  ])('rejects %j with file:line', (line, message) => {
    const problems = problemsOf(`${line}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('rejects times that go backwards, naming both lines, and reports every bad line at once', () => {
    const problems = problemsOf('2ms button0 press\n1ms button0 release\nbad\n3ms usart2 rx "ok"\n');
    expect(problems).toEqual([
      "demo.scn:2: time 1ms (cycle 64000) is before the previous event (cycle 128000, demo.scn:1)",
      'demo.scn:3: expected "<time> <target> <action> [arguments]"',
    ]);
  });

  it('accepts an empty or comment-only file', () => {
    expect(parseScenario('# nothing\n\n   # still nothing\n', 'e', F, TARGETS)).toEqual([]);
  });
});
