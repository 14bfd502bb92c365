/*
 * as-hello: a Rampart task in AssemblyScript. Greets, reads the time since boot with
 * get_cycle, prints a computed number, and exits with status 0.
 *
 * Everything comes from the generated "rampart" package: no host imports, no WASI.
 * `main` is called by the generated `_start`; its result is the task's exit status.
 */
import { syscall, println, exchangeU64, Precision, Status } from "rampart";

/** Sum of the squares of 1..n, so the output carries a number computed by the task. */
function sumOfSquares(n: u32): u32 {
  let sum: u32 = 0;
  for (let i: u32 = 1; i <= n; i++) sum += i * i;
  return sum;
}

export function main(): i32 {
  println("hello from AssemblyScript");

  // get_cycle leaves a u64 at offset 0 of the exchange area; read it before the next
  // syscall (println is one) overwrites it.
  if (syscall.get_cycle(Precision.Milliseconds) != Status.Ok) {
    println("as-hello: get_cycle failed");
    return 1;
  }
  const ms = exchangeU64();
  println("as-hello: " + ms.toString() + " ms since boot");
  println("as-hello: 1² + 2² + … + 10² = " + sumOfSquares(10).toString());
  return 0;
}
