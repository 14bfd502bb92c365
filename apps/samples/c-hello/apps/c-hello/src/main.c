/*
 * c-hello: the smallest useful freestanding C task (no libc, the UAPI alone).
 * It greets, looks up its own task handle, sleeps 5 ms of virtual time, prints how long
 * it slept according to the kernel's clock, and exits with status 0.
 */
#include <uapi/uapi.h>

/* Write a NUL-terminated string to the console through the exchange area. */
static void say(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    copy_to_kernel((const uint8_t *)s, n);
    __sys_log(n);
}

/* Append the decimal form of v to buf at *at. */
static void put_u32(char *buf, size_t *at, uint32_t v)
{
    char digits[10];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) {
        buf[(*at)++] = digits[--n];
    }
}

/* Milliseconds since boot, from the kernel's virtual clock. */
static uint64_t now_ms(void)
{
    uint64_t ms = 0;
    if (__sys_get_cycle(PRECISION_MILLISECONDS) == STATUS_OK) {
        copy_from_kernel((uint8_t *)&ms, sizeof(ms));
    }
    return ms;
}

int main(void)
{
    say("hello from freestanding C\n");

    taskh_t self = 0;
    if (__sys_get_process_handle(0x6000) != STATUS_OK) {
        say("get_process_handle failed\n");
        return 1;
    }
    copy_from_kernel((uint8_t *)&self, sizeof(self));

    uint64_t before = now_ms();
    if (__sys_sleep((SleepDuration){ .tag = SLEEP_DURATION_D5MS }, SLEEP_MODE_DEEP) != STATUS_TIMEOUT) {
        say("sleep did not end with its timeout\n");
        return 1;
    }
    uint64_t after = now_ms();

    char line[64] = "slept ";
    size_t at = 6;
    put_u32(line, &at, (uint32_t)(after - before));
    const char *tail = " ms; my handle is valid\n";
    for (size_t i = 0; tail[i] != '\0' && at < sizeof(line) - 1; i++) {
        line[at++] = tail[i];
    }
    line[at] = '\0';
    say(line);
    return self != 0 ? 0 : 1;
}
