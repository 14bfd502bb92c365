/*
 * consumer: waits for the producer's signal, maps the shared memory "records" (read-only:
 * the producer gave it MAP, not WRITE), checks what shm_get_infos reports, prints the
 * records and tells the producer it is done.
 *
 * A task that does not own a shared memory finds only its label in shms-dt.h
 * (SHM_LABEL_RECORDS); where it lives comes from __sys_shm_get_infos.
 */
#include <uapi/uapi.h>
#include <shms-dt.h>
#include "records.h"

static void say(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    copy_to_kernel((const uint8_t *)s, n);
    __sys_log(n);
}

/* A small line builder: text, decimal and hex numbers. */
typedef struct line {
    char text[96];
    size_t at;
} line_t;

static void add(line_t *l, const char *s)
{
    while (*s != '\0' && l->at < sizeof(l->text)) {
        l->text[l->at++] = *s++;
    }
}

static void add_number(line_t *l, uint32_t v, uint32_t radix)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % radix];
        v /= radix;
    } while (v != 0u);
    while (n > 0 && l->at < sizeof(l->text)) {
        l->text[l->at++] = digits[--n];
    }
}

static void add_signed(line_t *l, int32_t v)
{
    if (v < 0) {
        add(l, "-");
        add_number(l, (uint32_t)0 - (uint32_t)v, 10);
    } else {
        add_number(l, (uint32_t)v, 10);
    }
}

static void print(line_t *l)
{
    add(l, "\n");
    copy_to_kernel((const uint8_t *)l->text, l->at);
    __sys_log(l->at);
    l->at = 0;
}

int main(void)
{
    shmh_t shm = 0;
    shm_infos_t infos;
    taskh_t producer = 0;
    line_t l = { .at = 0 };

    /* Nothing to map before the producer has written and set our credentials. */
    if (__sys_wait_for_event(EVENT_TYPE_SIGNAL, WFE_WAIT_FOREVER) != STATUS_OK) {
        return 1;
    }
    if (__sys_get_process_handle(PRODUCER_LABEL) != STATUS_OK) {
        return 2;
    }
    copy_from_kernel((uint8_t *)&producer, sizeof(producer));
    if (__sys_get_shm_handle(SHM_LABEL_RECORDS) != STATUS_OK) {
        say("consumer: no access to the records SHM\n");
        return 3;
    }
    copy_from_kernel((uint8_t *)&shm, sizeof(shm));
    if (__sys_map_shm(shm) != STATUS_OK) {
        say("consumer: cannot map the records SHM\n");
        return 4;
    }
    if (__sys_shm_get_infos(shm) != STATUS_OK) {
        return 5;
    }
    copy_from_kernel((uint8_t *)&infos, sizeof(infos));
    if (infos.label != SHM_LABEL_RECORDS || infos.base == 0u || (infos.perms & SHM_PERMISSION_MAP) == 0u) {
        say("consumer: shm_get_infos disagrees with the board\n");
        return 6;
    }
    add(&l, "consumer: records at 0x");
    add_number(&l, (uint32_t)infos.base, 16);
    add(&l, ", ");
    add_number(&l, (uint32_t)infos.len, 10);
    add(&l, " bytes, ");
    add(&l, (infos.perms & SHM_PERMISSION_WRITE) != 0u ? "read-write" : "read-only");
    print(&l);

    const record_page_t *page = (const record_page_t *)infos.base;
    for (uint32_t i = 0; i < page->count && i < RECORDS_MAX; i++) {
        const record_t *r = &page->records[i];
        add(&l, "consumer: #");
        add_number(&l, r->seq, 10);
        add(&l, " ");
        add(&l, r->name);
        add(&l, " = ");
        add_signed(&l, r->value);
        print(&l);
    }
    __sys_send_signal(producer, SIGNAL_USR2);
    return 0;
}
