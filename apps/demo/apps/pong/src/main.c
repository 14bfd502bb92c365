/*
 * pong: answers every IPC with "pong <n>" (n taken from the request), and ends when it
 * receives SIGNAL_TERM.
 */
#include <uapi/uapi.h>

static void say(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    copy_to_kernel((const uint8_t *)s, n);
    __sys_log(n);
}

int main(void)
{
    uint8_t event[64];

    say("pong: ready\n");
    for (;;) {
        Status status = __sys_wait_for_event(EVENT_TYPE_IPC | EVENT_TYPE_SIGNAL, WFE_WAIT_FOREVER);
        if (status != STATUS_OK) {
            continue;
        }
        copy_from_kernel(event, sizeof(event));
        const exchange_event_t *e = (const exchange_event_t *)event;
        if (e->type == EVENT_TYPE_SIGNAL) {
            uint32_t signal;
            __builtin_memcpy(&signal, e->data, sizeof(signal));
            if (signal == SIGNAL_TERM) {
                say("pong: terminated by ping, bye\n");
                return 0;
            }
            continue;
        }
        /* Reply with the same number: "ping 3" -> "pong 3". */
        char reply[32] = { 'p', 'o', 'n', 'g' };
        size_t n = 4;
        for (size_t i = 4; i < e->length && n < sizeof(reply); i++) {
            reply[n++] = (char)e->data[i];
        }
        taskh_t peer = e->source;
        copy_to_kernel((const uint8_t *)reply, n);
        if (__sys_send_ipc(peer, (uint8_t)n) != STATUS_OK) {
            say("pong: reply failed\n");
        }
    }
}
