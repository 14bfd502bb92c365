/*
 * CPU-bound benchmark task: runs one workload BENCH_ITERATIONS times, logs the combined
 * result as "cpu=XXXXXXXX" and returns 0. The workload is selected at build time with
 * BENCH_WORK (1 = CRC-32, 2 = SHA-256, 3 = matrix multiply); the others are dropped by
 * the linker. The same module runs under the kernel (metered, preemptible) and, without
 * instrumentation, directly in Node as the floor: same compiled code on both sides.
 *
 * bench_work is never inlined: the loop that calls it runs once per task, but bench_work
 * itself is called again and again, so the engine's optimising tier takes it over.
 */
#include <uapi/uapi.h>
#include "work.h"

#ifndef BENCH_ITERATIONS
#define BENCH_ITERATIONS 100
#endif

static void put_hex(char *out, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 7; i >= 0; i--) {
        out[i] = digits[v & 15u];
        v >>= 4;
    }
}

int main(void)
{
    char line[13] = { 'c', 'p', 'u', '=' };
    uint32_t acc = 0;

    bench_setup();
    for (uint32_t i = 0; i < BENCH_ITERATIONS; i++) {
        acc = (acc * 31u) ^ bench_work(i);
    }
    put_hex(line + 4, acc);
    line[12] = '\n';
    copy_to_kernel((const uint8_t *)line, sizeof line);
    __sys_log(sizeof line);
    return 0;
}
