/* The workload interface shared by main.c and the three workloads. */
#ifndef BENCH_WORK_H
#define BENCH_WORK_H

#include <stdint.h>

/* Prepare the inputs (called once, before the timed loop of iterations). */
void bench_setup(void);

/* One unit of work; the result depends on every input byte and on `round`. */
__attribute__((noinline)) uint32_t bench_work(uint32_t round);

#endif
