/*
 * ping: starts pong, sends it numbered IPC messages, prints each reply, then asks it to
 * stop with a signal. Freestanding C against the Sentry-compatible UAPI only.
 */
#include <uapi/uapi.h>

#define PONG_LABEL 0x2000u
#define ROUNDS 3

static size_t length_of(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

static void say(const char *s)
{
    size_t n = length_of(s);
    copy_to_kernel((const uint8_t *)s, n);
    __sys_log(n);
}

/* Append the decimal form of v to buf at *at. */
static void put_number(char *buf, size_t *at, uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n > 0) {
        buf[(*at)++] = digits[--n];
    }
}

int main(void)
{
    taskh_t pong = 0;
    uint8_t event[64];
    char line[48];

    say("ping: starting pong\n");
    if (__sys_start(PONG_LABEL) != STATUS_OK) {
        say("ping: cannot start pong\n");
        return 1;
    }
    if (__sys_get_process_handle(PONG_LABEL) != STATUS_OK) {
        return 2;
    }
    copy_from_kernel((uint8_t *)&pong, sizeof(pong));

    for (uint32_t round = 1; round <= ROUNDS; round++) {
        size_t at = 0;
        const char *prefix = "ping ";
        while (*prefix != '\0') {
            line[at++] = *prefix++;
        }
        put_number(line, &at, round);
        copy_to_kernel((const uint8_t *)line, at);
        if (__sys_send_ipc(pong, (uint8_t)at) != STATUS_OK) {
            say("ping: send failed\n");
            return 3;
        }
        if (__sys_wait_for_event(EVENT_TYPE_IPC, WFE_WAIT_FOREVER) != STATUS_OK) {
            say("ping: no reply\n");
            return 4;
        }
        copy_from_kernel(event, sizeof(event));
        {
            const exchange_event_t *e = (const exchange_event_t *)event;
            size_t n = 0;
            const char *got = "ping: got '";
            while (*got != '\0') {
                line[n++] = *got++;
            }
            for (size_t i = 0; i < e->length && n < sizeof(line) - 3; i++) {
                line[n++] = (char)e->data[i];
            }
            line[n++] = '\'';
            line[n++] = '\n';
            copy_to_kernel((const uint8_t *)line, n);
            __sys_log(n);
        }
        __sys_sleep((SleepDuration){ .tag = SLEEP_DURATION_D10MS }, SLEEP_MODE_SHALLOW);
    }
    if (__sys_send_signal(pong, SIGNAL_TERM) != STATUS_OK) {
        return 5;
    }
    say("ping: done\n");
    return 0;
}
