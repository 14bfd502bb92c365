/**
 * Scenario files: timed external input for `rampart run --scenario FILE`.
 *
 * Owns the text format (docs/peripherals.md, "Scenario files") and its strict parser. One
 * event per line:
 *
 *     <time> <target> <action> [arguments]      # comment
 *
 *     10ms     button0 press
 *     +500us   button0 release
 *     12.5ms   usart2  rx "AT\r\n" 0x00
 *     64000cycles gpioa 3 high
 *     5ms      adc1    3 1234
 *
 * `<time>` is absolute, or relative to the previous event with a leading `+`; units `s`,
 * `ms`, `us`, `ns` or `cycles`, converted to cycles exactly at the nominal frequency (a time
 * that is not a whole number of cycles is an error, not a rounding). Targets are devicetree
 * labels; the board says what model each is, and the model says which actions exist.
 *
 * Invariants of the result: events are in file order with non-decreasing cycles (a time
 * earlier than the previous event's is an error, equal times keep file order), every
 * target exists and accepts its action, and every event knows its `file:line`.
 *
 * Must never: accept a line it does not fully understand, or guess (unknown targets,
 * actions, escapes, extra arguments, bad or backwards times are all errors naming
 * `file:line`); the parser reports every bad line at once, not just the first.
 */

import { ADC_CHANNELS, ADC_MAX_VALUE } from './devices/adc.js';

/** A device the scenario may name: the board's devices have these two fields. */
export interface ScenarioTarget {
  /** Devicetree label (`button0`, `usart2`, `gpioa`). */
  readonly name: string;
  /** The model kind (`button`, `usart`, `gpio`, `adc`, ...). */
  readonly model: string;
}

interface EventBase {
  /** Virtual cycle of the event. */
  readonly cycle: number;
  /** Devicetree label of the target. */
  readonly target: string;
  /** Where the event was written, for messages: `file:line`. */
  readonly where: string;
}

/** A button press or release. */
export interface ScenarioButtonEvent extends EventBase {
  readonly kind: 'button';
  readonly action: 'press' | 'release';
}

/** Bytes arriving on a USART's RX line. */
export interface ScenarioUsartEvent extends EventBase {
  readonly kind: 'usart-rx';
  readonly bytes: Uint8Array;
}

/** A GPIO pin driven from outside (`high`, `low`) or released (`float`). */
export interface ScenarioGpioEvent extends EventBase {
  readonly kind: 'gpio';
  readonly pin: number;
  readonly action: 'high' | 'low' | 'float';
}

/** A new level on an ADC input: from this cycle on, converting `channel` gives `value`. */
export interface ScenarioAdcEvent extends EventBase {
  readonly kind: 'adc';
  readonly channel: number;
  /** The 12-bit conversion result, 0..4095. */
  readonly value: number;
}

/** One parsed event, discriminated by `kind`. */
export type ScenarioEvent = ScenarioButtonEvent | ScenarioUsartEvent | ScenarioGpioEvent | ScenarioAdcEvent;

/** Every problem of a scenario, each line starting with `file:line:`. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

interface Token {
  readonly text: string;
  /** Set for a quoted string: its bytes after escapes. */
  readonly bytes?: Uint8Array;
}

const UNIT_DIVISOR: Readonly<Record<string, bigint>> = { s: 1n, ms: 1_000n, us: 1_000_000n, ns: 1_000_000_000n };

const utf8 = new TextEncoder();

/**
 * Parses a scenario. `fileName` prefixes messages; `frequencyHz` converts times; `targets`
 * are the board's devices. Throws `ScenarioError` listing every bad line.
 */
export function parseScenario(
  text: string, fileName: string, frequencyHz: number, targets: readonly ScenarioTarget[],
): ScenarioEvent[] {
  if (!Number.isInteger(frequencyHz) || frequencyHz <= 0) throw new RangeError(`scenario: frequency ${frequencyHz} Hz is not a positive integer`);
  const models = new Map<string, string>();
  for (const t of targets) models.set(t.name, t.model);
  const frequency = BigInt(frequencyHz);
  const events: ScenarioEvent[] = [];
  const problems: string[] = [];
  let previousCycle = 0;
  let previousWhere = '';

  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const where = `${fileName}:${i + 1}`;
    const fail = (message: string): void => { problems.push(`${where}: ${message}`); };
    const tokens = tokenize(lines[i]!);
    if (typeof tokens === 'string') { fail(tokens); continue; }
    if (tokens.length === 0) continue;
    if (tokens.length < 3) { fail('expected "<time> <target> <action> [arguments]"'); continue; }
    const [timeToken, targetToken, actionToken] = tokens as [Token, Token, Token];
    const args = tokens.slice(3);

    const time = parseTime(timeToken, frequency, previousCycle);
    if (typeof time === 'string') { fail(time); continue; }
    if (time < previousCycle) {
      fail(`time ${timeToken.text} (cycle ${time}) is before the previous event (cycle ${previousCycle}, ${previousWhere})`);
      continue;
    }

    const target = targetToken.text;
    const model = targetToken.bytes === undefined ? models.get(target) : undefined;
    if (model === undefined) {
      const known = [...models.keys()].filter((n) => isInputModel(models.get(n)!)).sort().join(', ');
      fail(`unknown target '${target}' (scenario targets on this board: ${known || 'none'})`);
      continue;
    }
    const event = parseAction(model, target, actionToken, args, time, where);
    if (typeof event === 'string') { fail(event); continue; }
    events.push(event);
    previousCycle = time;
    previousWhere = where;
  }
  if (problems.length > 0) throw new ScenarioError(problems);
  return events;
}

function isInputModel(model: string): boolean {
  return model === 'button' || model === 'usart' || model === 'gpio' || model === 'adc';
}

function parseAction(
  model: string, target: string, actionToken: Token, args: readonly Token[], cycle: number, where: string,
): ScenarioEvent | string {
  const action = actionToken.bytes === undefined ? actionToken.text : `"${actionToken.text}"`;
  switch (model) {
    case 'button':
      if (action !== 'press' && action !== 'release') return `unknown action '${action}' for button ${target} (press, release)`;
      if (args.length > 0) return `${action} takes no arguments (got '${args[0]!.text}')`;
      return { kind: 'button', cycle, target, where, action };
    case 'usart': {
      if (action !== 'rx') return `unknown action '${action}' for usart ${target} (rx)`;
      if (args.length === 0) return 'rx needs data: quoted strings and/or bytes (0x41, 65)';
      const parts: number[] = [];
      for (const a of args) {
        if (a.bytes !== undefined) { for (const b of a.bytes) parts.push(b); continue; }
        const b = parseByte(a.text);
        if (b < 0) return `rx data '${a.text}' is neither a quoted string nor a byte (0x00..0xff or 0..255)`;
        parts.push(b);
      }
      return { kind: 'usart-rx', cycle, target, where, bytes: Uint8Array.from(parts) };
    }
    case 'gpio': {
      if (actionToken.bytes !== undefined || !/^(?:[0-9]|1[0-5])$/.test(actionToken.text)) {
        return `expected a pin number 0..15 after ${target}, got '${action}'`;
      }
      const level = args[0];
      if (level === undefined || level.bytes !== undefined || (level.text !== 'high' && level.text !== 'low' && level.text !== 'float')) {
        return `expected high, low or float after ${target} ${action}${level === undefined ? '' : `, got '${level.text}'`}`;
      }
      if (args.length > 1) return `unexpected '${args[1]!.text}' after ${target} ${action} ${level.text}`;
      return { kind: 'gpio', cycle, target, where, pin: Number(actionToken.text), action: level.text };
    }
    case 'adc': {
      if (actionToken.bytes !== undefined || !/^(?:0|[1-9]\d{0,2})$/.test(actionToken.text) || Number(actionToken.text) >= ADC_CHANNELS) {
        return `expected a channel number 0..${ADC_CHANNELS - 1} after ${target}, got '${action}'`;
      }
      const valueToken = args[0];
      const value = valueToken === undefined || valueToken.bytes !== undefined ? -1 : parseAdcValue(valueToken.text);
      if (value < 0) {
        return `expected a value 0..${ADC_MAX_VALUE} (12 bits, decimal or 0x) after ${target} ${action}${valueToken === undefined ? '' : `, got '${valueToken.text}'`}`;
      }
      if (args.length > 1) return `unexpected '${args[1]!.text}' after ${target} ${action} ${valueToken!.text}`;
      return { kind: 'adc', cycle, target, where, channel: Number(actionToken.text), value };
    }
    default:
      return `target '${target}' is a ${model}, which takes no scenario input (buttons, usarts, gpio ports and adcs do)`;
  }
}

/** An absolute cycle, or an error message. */
function parseTime(token: Token, frequency: bigint, previous: number): number | string {
  const m = token.bytes === undefined ? /^(\+?)(\d+)(?:\.(\d+))?(s|ms|us|ns|cycles)$/.exec(token.text) : null;
  if (m === null) return `bad time '${token.text}' (expected e.g. 10ms, 12.5us, 64000cycles, +2ms)`;
  const [, plus, whole, fraction = '', unit] = m as unknown as [string, string, string, string | undefined, string];
  let cycles: bigint;
  if (unit === 'cycles') {
    if (fraction !== '') return `bad time '${token.text}': a cycle count is a whole number`;
    cycles = BigInt(whole);
  } else {
    // value = whole.fraction units = (whole·10^k + fraction) / 10^k; × f / divisor cycles.
    const scale = 10n ** BigInt(fraction.length);
    const numerator = (BigInt(whole) * scale + BigInt(fraction || '0')) * frequency;
    const denominator = scale * UNIT_DIVISOR[unit]!;
    if (numerator % denominator !== 0n) {
      return `time '${token.text}' is not a whole number of cycles at ${frequency} Hz`;
    }
    cycles = numerator / denominator;
  }
  const absolute = plus === '+' ? cycles + BigInt(previous) : cycles;
  if (absolute > BigInt(Number.MAX_SAFE_INTEGER)) return `time '${token.text}' is too far (beyond 2^53 cycles)`;
  return Number(absolute);
}

/** 0..ADC_MAX_VALUE from `0x...` or decimal; -1 otherwise. */
function parseAdcValue(text: string): number {
  let v = -1;
  if (/^0x[0-9a-fA-F]{1,3}$/.test(text)) v = parseInt(text.slice(2), 16);
  else if (/^(?:0|[1-9]\d{0,3})$/.test(text)) v = Number(text);
  return v <= ADC_MAX_VALUE ? v : -1;
}

/** 0..255 from `0xHH` or decimal; -1 otherwise. */
function parseByte(text: string): number {
  if (/^0x[0-9a-fA-F]{1,2}$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^(?:0|[1-9]\d{0,2})$/.test(text)) { const v = Number(text); return v <= 255 ? v : -1; }
  return -1;
}

/** Splits a line into tokens (a `#` at a token start ends the line); an error message on bad quoting. */
function tokenize(line: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === '#') break;
    if (c === '"') {
      const parsed = readString(line, i + 1);
      if (typeof parsed === 'string') return parsed;
      tokens.push({ text: line.slice(i + 1, parsed.end - 1), bytes: parsed.bytes });
      i = parsed.end;
      if (i < line.length && line[i] !== ' ' && line[i] !== '\t') return `unexpected '${line[i]!}' right after a closing quote`;
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== ' ' && line[j] !== '\t') {
      if (line[j] === '"') return `unexpected quote inside '${line.slice(i, j + 1)}'`;
      j++;
    }
    tokens.push({ text: line.slice(i, j) });
    i = j;
  }
  return tokens;
}

/** Reads a quoted string body from `start` (after the opening quote). */
function readString(line: string, start: number): { bytes: Uint8Array; end: number } | string {
  const out: number[] = [];
  let i = start;
  let run = start; // start of the current run of plain characters
  const flush = (to: number): void => { if (to > run) for (const b of utf8.encode(line.slice(run, to))) out.push(b); };
  while (i < line.length) {
    const c = line[i]!;
    if (c === '"') { flush(i); return { bytes: Uint8Array.from(out), end: i + 1 }; }
    if (c !== '\\') { i++; continue; }
    flush(i);
    const e = line[i + 1];
    switch (e) {
      case 'n': out.push(0x0a); i += 2; break;
      case 'r': out.push(0x0d); i += 2; break;
      case 't': out.push(0x09); i += 2; break;
      case '0': out.push(0x00); i += 2; break;
      case '\\': out.push(0x5c); i += 2; break;
      case '"': out.push(0x22); i += 2; break;
      case 'x': {
        const hex = line.slice(i + 2, i + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) return `bad escape '\\x${hex}' (expected two hex digits)`;
        out.push(parseInt(hex, 16));
        i += 4;
        break;
      }
      default: return e === undefined ? 'unterminated string' : `unknown escape '\\${e}' (known: \\n \\r \\t \\0 \\\\ \\" \\xHH)`;
    }
    run = i;
  }
  return 'unterminated string';
}
