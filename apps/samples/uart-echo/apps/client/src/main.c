/*
 * client: asks the uart driver for LINES lines over IPC, prints each, then asks it to
 * stop. It owns no device and holds no capability: everything it knows of the UART comes
 * through the driver.
 */
#include <uapi/uapi.h>

#define UART_DRIVER_LABEL 0x1000u
#define REQUEST_READ_LINE 'R'
#define REQUEST_QUIT 'Q'
#define LINES 3u

static void say(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    copy_to_kernel((const uint8_t *)s, n);
    __sys_log(n);
}

static Status request(taskh_t driver, uint8_t what)
{
    copy_to_kernel(&what, 1);
    return __sys_send_ipc(driver, 1);
}

int main(void)
{
    taskh_t driver = 0;
    uint8_t event[SENTRY_SVCEXCHANGE_LEN];
    const exchange_event_t *e = (const exchange_event_t *)event;
    char text[SENTRY_SVCEXCHANGE_LEN + 16];

    if (__sys_get_process_handle(UART_DRIVER_LABEL) != STATUS_OK) {
        say("client: no uart driver\n");
        return 1;
    }
    copy_from_kernel((uint8_t *)&driver, sizeof(driver));

    for (uint32_t n = 0; n < LINES; n++) {
        if (request(driver, REQUEST_READ_LINE) != STATUS_OK) {
            say("client: the driver refused the request\n");
            return 2;
        }
        /* Only the driver's reply can come: wait for it. */
        if (__sys_wait_for_event(EVENT_TYPE_IPC, WFE_WAIT_FOREVER) != STATUS_OK) {
            return 3;
        }
        copy_from_kernel(event, sizeof(event));
        size_t at = 0;
        const char *prefix = "client: got '";
        while (*prefix != '\0') {
            text[at++] = *prefix++;
        }
        for (size_t i = 0; i < e->length; i++) {
            text[at++] = (char)e->data[i];
        }
        text[at++] = '\'';
        text[at++] = '\n';
        copy_to_kernel((const uint8_t *)text, at);
        __sys_log(at);
    }
    request(driver, REQUEST_QUIT);
    say("client: done\n");
    return 0;
}
