/*
 * scripty: the demo's AssemblyScript task. Answers every IPC with "as heard: <message>"
 * and ends when it receives SIGNAL_TERM.
 */
import { syscall, println, copyFromKernel, copyToKernel, EventType, Signal, Status } from "rampart";

export function main(): i32 {
  println("scripty: ready");
  const event = new Uint8Array(64);
  while (true) {
    if (syscall.wait_for_event(<u8>(EventType.Ipc | EventType.Signal), 0) != Status.Ok) continue;
    copyFromKernel(event, 64);
    const kind = event[0];
    const length = <i32>event[1];
    const source = <u32>event[4] | (<u32>event[5] << 8) | (<u32>event[6] << 16) | (<u32>event[7] << 24);
    if (kind == <u8>EventType.Signal) {
      const signal = <u32>event[8] | (<u32>event[9] << 8);
      if (signal == <u32>Signal.Term) {
        println("scripty: terminated, bye");
        return 0;
      }
      continue;
    }
    const prefix = "as heard: ";
    const reply = new Uint8Array(prefix.length + length);
    for (let i = 0; i < prefix.length; i++) reply[i] = <u8>prefix.charCodeAt(i);
    for (let i = 0; i < length; i++) reply[prefix.length + i] = event[8 + i];
    copyToKernel(reply, reply.length);
    if (syscall.send_ipc(source, <u8>reply.length) != Status.Ok) println("scripty: reply failed");
  }
}
