/*
 * The C task runtime: the `_start` entry the kernel calls, the stack-protector canary and
 * the few memory functions the compiler itself emits calls to.
 *
 * Owns `_start(label, seed)` (docs/task-abi.md): seed the canary, run `int main(void)`,
 * exit with its result. Also `__stack_chk_guard` / `__stack_chk_fail`, and weak
 * `memcpy`/`memmove`/`memset`/`memcmp`.
 *
 * Invariants:
 * - `_start` must not itself be stack-protected: it changes the canary, so a protected
 *   frame would see a mismatch on its own exit.
 * - Nothing here runs before `_start`: there are no constructors to call (no libc), and the
 *   data segment is initialised by the module itself.
 * - The memory functions are weak so an app bringing its own (a libc, a tuned memcpy) wins
 *   without a duplicate-symbol error, and they cost nothing when unused (the linker drops
 *   them). They rely on the bulk-memory feature (memory.copy / memory.fill), which the
 *   build enables explicitly; without it __builtin_memcpy inside memcpy would call itself.
 */

#include <uapi/uapi.h>

/** The app's entry. `int main(void)`: a task has no arguments and no environment. */
extern int main(void);

/*
 * The canary compared by -fstack-protector code. Zero until _start runs; only _start runs
 * before main, and it takes no protected frame.
 */
uintptr_t __stack_chk_guard;

/*
 * Exit status of a task whose stack canary was found overwritten: 128 + SIGABRT (6), the
 * value a POSIX shell reports for an abort, so it is recognisable in the kernel's exit record.
 */
#define STACK_SMASHED_EXIT_STATUS 134

__attribute__((no_stack_protector))
void _start(uint32_t label, uint32_t seed)
{
    int status;

    /* The task label is known to the kernel; the C runtime has no use for it. */
    (void)label;
    /* A fresh 32-bit value from the boot entropy at every (re)start of the task. */
    __stack_chk_guard = (uintptr_t)seed;
    status = main();
    __sys_exit((int32_t)status);
    /* __sys_exit does not return; should it ever, fault rather than fall off the end. */
    __builtin_trap();
}

__attribute__((noreturn, no_stack_protector))
void __stack_chk_fail(void)
{
    static const char message[] = "*** stack smashing detected ***: task terminated\n";

    /*
     * The frame that called us is corrupt, so do as little as possible: two plain syscalls,
     * no formatting. The message fits the smallest exchange area (64 bytes).
     */
    copy_to_kernel((const uint8_t *)message, sizeof(message) - 1);
    (void)__sys_log(sizeof(message) - 1);
    __sys_exit(STACK_SMASHED_EXIT_STATUS);
    __builtin_trap();
}

/* -- what the compiler may call even in a freestanding build -------------------------- */

__attribute__((weak))
void *memcpy(void *restrict dest, const void *restrict src, size_t n)
{
    __builtin_memcpy(dest, src, n);
    return dest;
}

__attribute__((weak))
void *memmove(void *dest, const void *src, size_t n)
{
    /* memory.copy is specified to behave as if through a temporary buffer: overlap is fine. */
    __builtin_memmove(dest, src, n);
    return dest;
}

__attribute__((weak))
void *memset(void *dest, int c, size_t n)
{
    __builtin_memset(dest, c, n);
    return dest;
}

/*
 * no_builtin keeps the optimiser from recognising this loop as memcmp and calling
 * ourselves; there is no bulk-memory instruction for comparison.
 */
__attribute__((weak, no_builtin("memcmp", "bcmp")))
int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *pa = (const unsigned char *)a;
    const unsigned char *pb = (const unsigned char *)b;

    for (size_t i = 0; i < n; i++) {
        if (pa[i] != pb[i]) {
            return pa[i] < pb[i] ? -1 : 1;
        }
    }
    return 0;
}
