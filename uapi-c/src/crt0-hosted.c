/*
 * The hosted C task runtime: Rampart's `_start` on top of wasi-libc (CONFIG_TASK_LIBC=y).
 *
 * Owns `_start(label, seed)` for hosted apps, in place of both the freestanding crt0.c and
 * wasi-libc's crt1 (whose `_start` takes no arguments and is not linked: the build passes
 * -nostartfiles). It does what crt1-command does, in Rampart's contract
 * (docs/task-abi.md): seed the stack-protector canary from `seed`, set up libc's thread
 * pointer, run the constructors, run main through `__main_void` (wasi-libc's, which also
 * serves `int main(int argc, char **argv)` with an empty argv), then `exit` with main's
 * status so that atexit handlers run and stdio is flushed before `proc_exit` ends the job.
 * Also `__stack_chk_guard` / `__stack_chk_fail`.
 *
 * Invariants:
 * - `_start` must not itself be stack-protected: it changes the canary.
 * - The canary symbols are defined here so that wasi-libc's are never linked: those seed the
 *   canary from `random_get`, a CAP_CRY_KRNG import that would reach every hosted app.
 * - Nothing runs before `_start`: the module has no start function and no export wrappers
 *   (calling `__wasm_call_ctors` explicitly tells the linker so).
 * - `_start` is entered again to resume a suspended task (an Asyncify rewind); that replays
 *   the call stack, it does not start the program twice, so there is no "started" guard.
 * - Memory is fixed: malloc's heap is the linker's `[__heap_base, __heap_end)`; `memory.grow`
 *   fails (maximum = initial), so malloc returns NULL when that region is used up.
 * Must never: call wasi-libc before the thread pointer and constructors are set up.
 */

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* wasi-libc's own start-up pieces, as its crt1-command.c declares them. */
extern void __wasi_init_tp(void);
extern void __wasm_call_ctors(void);
extern int __main_void(void);

/*
 * The canary compared by -fstack-protector code. Zero until _start runs; only _start runs
 * before main, and it takes no protected frame.
 */
uintptr_t __stack_chk_guard;

/* 128 + SIGABRT, as in the freestanding runtime: recognisable in the kernel's exit record. */
#define STACK_SMASHED_EXIT_STATUS 134

__attribute__((no_stack_protector))
void _start(uint32_t label, uint32_t seed)
{
    /* The task label is known to the kernel; the C runtime has no use for it. */
    (void)label;
    /* A fresh 32-bit value from the boot entropy at every (re)start of the task. */
    __stack_chk_guard = (uintptr_t)seed;
    __wasi_init_tp();
    __wasm_call_ctors();
    exit(__main_void());
}

__attribute__((noreturn, no_stack_protector))
void __stack_chk_fail(void)
{
    static const char message[] = "*** stack smashing detected ***: task terminated\n";

    /*
     * The frame that called us is corrupt: no stdio (its buffers may be what was smashed),
     * one raw write to stderr and an exit that skips atexit handlers.
     */
    (void)write(2, message, sizeof(message) - 1);
    _Exit(STACK_SMASHED_EXIT_STATUS);
}
