/* Integer matrix multiply, 48 x 48 (110 592 multiply-adds). */
#include "work.h"

#if BENCH_WORK == 3

#define N 48

static int32_t a[N][N];
static int32_t b[N][N];
static int32_t c[N][N];

void bench_setup(void)
{
    uint32_t seed = 0x2545F491u;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            seed = seed * 22695477u + 1u;
            a[i][j] = (int32_t)(seed >> 20) - 2048;
            seed = seed * 22695477u + 1u;
            b[i][j] = (int32_t)(seed >> 20) - 2048;
        }
    }
}

__attribute__((noinline)) uint32_t bench_work(uint32_t round)
{
    uint32_t sum = 0;
    a[0][0] = (int32_t)round;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            int32_t s = 0;
            for (int k = 0; k < N; k++) {
                s += a[i][k] * b[k][j];
            }
            c[i][j] = s;
        }
    }
    for (int i = 0; i < N; i++) {
        sum = sum * 33u + (uint32_t)c[i][(i * 7) % N];
    }
    return sum;
}

#endif
