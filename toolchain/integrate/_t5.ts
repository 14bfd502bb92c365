import binaryen from 'binaryen';
import { instrument } from './instrument.js';
const src = `(module (import "rampart" "sched_yield" (func $y (result i32))) (memory 1 2) (export "memory" (memory 0)) (global $g (export "__svcexchange") i32 (i32.const 1024))
 (func $f (export "_start") (param i32 i32) (local $i i32) (block $done (loop $l (br_if $done (i32.ge_u (local.get $i) (local.get 0))) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))))`;
const m = binaryen.parseText(src); m.setFeatures(binaryen.Features.MutableGlobals);
const bin = m.emitBinary();
const r = instrument(bin, { blockingImports: ['sched_yield'] });
console.log(r.asyncifyDataAddress, r.asyncifyDataSize, r.wasm.length);
const m2 = binaryen.readBinary(r.wasm); console.log(m2.emitText());
