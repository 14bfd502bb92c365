/* CRC-32 (reflected, polynomial 0xEDB88320), table-driven, over a 16 KiB buffer. */
#include "work.h"

#if BENCH_WORK == 1

#define CRC_BYTES 16384u

static uint32_t table[256];
static uint8_t buffer[CRC_BYTES];

void bench_setup(void)
{
    for (uint32_t n = 0; n < 256u; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        }
        table[n] = c;
    }
    uint32_t seed = 0x12345678u;
    for (uint32_t i = 0; i < CRC_BYTES; i++) {
        seed = seed * 1103515245u + 12345u;
        buffer[i] = (uint8_t)(seed >> 24);
    }
}

__attribute__((noinline)) uint32_t bench_work(uint32_t round)
{
    uint32_t c = 0xFFFFFFFFu ^ round;
    for (uint32_t i = 0; i < CRC_BYTES; i++) {
        c = table[(c ^ buffer[i]) & 0xFFu] ^ (c >> 8);
    }
    return c ^ 0xFFFFFFFFu;
}

#endif
