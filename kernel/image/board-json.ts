/**
 * Strict reading of the board section of an image (the devicetree, already compiled).
 *
 * Same discipline as the rest of the image reader: every field present, typed and in
 * range, nothing unknown. The result is frozen; cross-checks against the tasks (owners,
 * capabilities, memory) are boot's job (`boot/board-check.ts`).
 */

import type { Board, BoardDevice, BoardDmaStream, BoardIo, BoardShm, DeviceModelKind, DmaEndpoint } from '../board.js';
import { ImageError } from './image-error.js';

type Json = Record<string, unknown>;

function obj(v: unknown, where: string, keys: readonly string[]): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ImageError(`${where}: expected an object`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw new ImageError(`${where}: unknown field '${k}'`);
  for (const k of keys) if (!(k in v)) throw new ImageError(`${where}: missing field '${k}'`);
  return v as Json;
}

function int(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ImageError(`${where}: expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

function str(v: unknown, where: string, max = 256): string {
  if (typeof v !== 'string' || v.length > max) throw new ImageError(`${where}: expected a string of at most ${max} characters`);
  return v;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new ImageError(`${where}: expected true or false`);
  return v;
}

function arr(v: unknown, where: string, max: number): unknown[] {
  if (!Array.isArray(v) || v.length > max) throw new ImageError(`${where}: expected an array of at most ${max} entries`);
  return v;
}

const U32 = 0xffffffff;
const MODELS: readonly DeviceModelKind[] = ['usart', 'gpio', 'timer', 'rng', 'gpdma', 'bkpsram', 'adc', 'led', 'button', 'none'];

function io(v: unknown, w: string): BoardIo {
  const o = obj(v, w, ['port', 'pin', 'mode', 'af', 'ppull', 'speed', 'pupdr']);
  return Object.freeze({
    port: int(o.port, `${w}.port`, 0, 255), pin: int(o.pin, `${w}.pin`, 0, 255), mode: int(o.mode, `${w}.mode`, 0, 255),
    af: int(o.af, `${w}.af`, 0, 255), ppull: int(o.ppull, `${w}.ppull`, 0, 255), speed: int(o.speed, `${w}.speed`, 0, 255),
    pupdr: int(o.pupdr, `${w}.pupdr`, 0, U32),
  });
}

function endpoint(v: unknown, w: string): DmaEndpoint {
  const o = obj(v, w, ['kind', 'id']);
  if (o.kind !== 'shm' && o.kind !== 'device') throw new ImageError(`${w}.kind: expected "shm" or "device"`);
  return Object.freeze({ kind: o.kind, id: int(o.id, `${w}.id`, 0, 255) });
}

export function readBoardJson(v: unknown): Board {
  const o = obj(v, 'board', ['model', 'ramSize', 'devices', 'shms', 'dmaStreams']);
  const devices = arr(o.devices, 'board.devices', 256).map((raw, i): BoardDevice => {
    const w = `board.devices[${i}]`;
    const d = obj(raw, w, ['id', 'name', 'path', 'compatible', 'owner', 'baseAddress', 'size', 'irqs', 'ios', 'capability', 'model']);
    if (!MODELS.includes(d.model as DeviceModelKind)) throw new ImageError(`${w}.model: unknown device model ${JSON.stringify(d.model)}`);
    return Object.freeze({
      id: int(d.id, `${w}.id`, 0, 0xffff), name: str(d.name, `${w}.name`, 64), path: str(d.path, `${w}.path`), compatible: str(d.compatible, `${w}.compatible`),
      owner: int(d.owner, `${w}.owner`, 0, U32), baseAddress: int(d.baseAddress, `${w}.baseAddress`, 0, U32), size: int(d.size, `${w}.size`, 0, U32),
      irqs: Object.freeze(arr(d.irqs, `${w}.irqs`, 8).map((x, j) => int(x, `${w}.irqs[${j}]`, 0, 255))),
      ios: Object.freeze(arr(d.ios, `${w}.ios`, 8).map((x, j) => io(x, `${w}.ios[${j}]`))),
      capability: int(d.capability, `${w}.capability`, 0, 0xfff), model: d.model as DeviceModelKind,
    });
  });
  const shms = arr(o.shms, 'board.shms', 256).map((raw, i): BoardShm => {
    const w = `board.shms[${i}]`;
    const s = obj(raw, w, ['id', 'path', 'label', 'owner', 'baseAddress', 'size', 'dmaPool', 'noMap']);
    return Object.freeze({
      id: int(s.id, `${w}.id`, i, i), path: str(s.path, `${w}.path`), label: int(s.label, `${w}.label`, 0, U32), owner: int(s.owner, `${w}.owner`, 0, U32),
      baseAddress: int(s.baseAddress, `${w}.baseAddress`, 0, U32), size: int(s.size, `${w}.size`, 1, 16 * 1024 * 1024),
      dmaPool: bool(s.dmaPool, `${w}.dmaPool`), noMap: bool(s.noMap, `${w}.noMap`),
    });
  });
  const dmaStreams = arr(o.dmaStreams, 'board.dmaStreams', 256).map((raw, i): BoardDmaStream => {
    const w = `board.dmaStreams[${i}]`;
    const s = obj(raw, w, ['id', 'path', 'label', 'owner', 'channel', 'controller', 'streamId', 'source', 'dest', 'length', 'circularSource', 'circularDest', 'priority']);
    return Object.freeze({
      id: int(s.id, `${w}.id`, i, i), path: str(s.path, `${w}.path`), label: int(s.label, `${w}.label`, 0, U32), owner: int(s.owner, `${w}.owner`, 0, U32),
      channel: int(s.channel, `${w}.channel`, 0, 15), controller: int(s.controller, `${w}.controller`, 0, 15), streamId: int(s.streamId, `${w}.streamId`, 0, 0xffff),
      source: endpoint(s.source, `${w}.source`), dest: endpoint(s.dest, `${w}.dest`), length: int(s.length, `${w}.length`, 0, 16 * 1024 * 1024),
      circularSource: bool(s.circularSource, `${w}.circularSource`), circularDest: bool(s.circularDest, `${w}.circularDest`),
      priority: int(s.priority, `${w}.priority`, 0, 3),
    });
  });
  return Object.freeze({
    model: str(o.model, 'board.model'), ramSize: int(o.ramSize, 'board.ramSize', 0, U32),
    devices: Object.freeze(devices), shms: Object.freeze(shms), dmaStreams: Object.freeze(dmaStreams),
  });
}
