/*
 * ping: starts pong, sends it numbered IPC messages and prints each reply, greets the Rust
 * task (rusty) and the AssemblyScript task (scripty) the same way, then asks all three to
 * stop with a signal. Freestanding C against the Sentry-compatible UAPI only.
 */
#include <uapi/uapi.h>

#define PONG_LABEL 0x2000u
#define RUSTY_LABEL 0x3000u
#define SCRIPTY_LABEL 0x4000u
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

/* Send `text` to `peer` over IPC and print the reply it sends back. */
static int converse(taskh_t peer, const char *text)
{
    uint8_t event[64];
    char line[72];
    size_t n = length_of(text);
    copy_to_kernel((const uint8_t *)text, n);
    if (__sys_send_ipc(peer, (uint8_t)n) != STATUS_OK) {
        say("ping: send failed\n");
        return -1;
    }
    if (__sys_wait_for_event(EVENT_TYPE_IPC, WFE_WAIT_FOREVER) != STATUS_OK) {
        say("ping: no reply\n");
        return -1;
    }
    copy_from_kernel(event, sizeof(event));
    const exchange_event_t *e = (const exchange_event_t *)event;
    size_t at = 0;
    const char *got = "ping: got '";
    while (*got != '\0') {
        line[at++] = *got++;
    }
    for (size_t i = 0; i < e->length && at < sizeof(line) - 3; i++) {
        line[at++] = (char)e->data[i];
    }
    line[at++] = '\'';
    line[at++] = '\n';
    copy_to_kernel((const uint8_t *)line, at);
    __sys_log(at);
    return 0;
}

static taskh_t handle_of(uint32_t label)
{
    taskh_t h = 0;
    if (__sys_get_process_handle(label) == STATUS_OK) {
        copy_from_kernel((uint8_t *)&h, sizeof(h));
    }
    return h;
}

int main(void)
{
    char line[16];

    say("ping: starting pong\n");
    if (__sys_start(PONG_LABEL) != STATUS_OK) {
        say("ping: cannot start pong\n");
        return 1;
    }
    taskh_t pong = handle_of(PONG_LABEL);
    taskh_t rusty = handle_of(RUSTY_LABEL);
    taskh_t scripty = handle_of(SCRIPTY_LABEL);

    for (uint32_t round = 1; round <= ROUNDS; round++) {
        size_t at = 0;
        const char *prefix = "ping ";
        while (*prefix != '\0') {
            line[at++] = *prefix++;
        }
        put_number(line, &at, round);
        line[at] = '\0';
        if (converse(pong, line) != 0) {
            return 3;
        }
        __sys_sleep((SleepDuration){ .tag = SLEEP_DURATION_D10MS }, SLEEP_MODE_SHALLOW);
    }
    /* The Rust and AssemblyScript tasks are greeted when the project has them. */
    if ((rusty != 0 && converse(rusty, "hello from C") != 0) || (scripty != 0 && converse(scripty, "hello from C") != 0)) {
        return 4;
    }
    if (__sys_send_signal(pong, SIGNAL_TERM) != STATUS_OK || (rusty != 0 && __sys_send_signal(rusty, SIGNAL_TERM) != STATUS_OK)
        || (scripty != 0 && __sys_send_signal(scripty, SIGNAL_TERM) != STATUS_OK)) {
        return 5;
    }
    say("ping: done\n");
    return 0;
}
