/*
 * producer: owns the shared memory "records", writes a page of records into it, and lets
 * the consumer read them, read-only.
 *
 * The owner of a shared memory sets the credentials of two parties: itself, and one user.
 * Here: MAP|WRITE for the producer, MAP alone for the consumer, so a consumer that writes
 * to the page is faulted by the kernel. The address comes from the generated shms-dt.h
 * (shms[i].baseaddr): the window is at the same address in every task that maps it.
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

static taskh_t task_handle(uint32_t label)
{
    taskh_t h = 0;
    if (__sys_get_process_handle(label) == STATUS_OK) {
        copy_from_kernel((uint8_t *)&h, sizeof(h));
    }
    return h;
}

static void put(record_t *r, uint32_t seq, const char *name, int32_t value)
{
    size_t i = 0;
    r->seq = seq;
    r->value = value;
    for (; name[i] != '\0' && i < sizeof(r->name) - 1; i++) {
        r->name[i] = name[i];
    }
    r->name[i] = '\0';
}

int main(void)
{
    shmh_t shm = 0;
    taskh_t self = task_handle(PRODUCER_LABEL);
    taskh_t consumer = task_handle(CONSUMER_LABEL);
    record_page_t *page = 0;
    uint8_t event[16];
    const exchange_event_t *e = (const exchange_event_t *)event;
    uint32_t signal = 0;

    /* shms[] lists the shared memories this task owns (shms-dt.h). */
    for (size_t i = 0; i < SHM_LIST_SIZE; i++) {
        if (shms[i].id == SHM_LABEL_RECORDS) {
            page = (record_page_t *)shms[i].baseaddr;
        }
    }
    if (page == 0 || __sys_get_shm_handle(SHM_LABEL_RECORDS) != STATUS_OK) {
        say("producer: the records SHM is not mine (check board.dts)\n");
        return 1;
    }
    copy_from_kernel((uint8_t *)&shm, sizeof(shm));

    /* The owner too needs credentials before it can map. */
    if (__sys_shm_set_credential(shm, self, SHM_PERMISSION_MAP | SHM_PERMISSION_WRITE) != STATUS_OK ||
        __sys_shm_set_credential(shm, consumer, SHM_PERMISSION_MAP) != STATUS_OK) {
        say("producer: cannot set the credentials\n");
        return 2;
    }
    if (__sys_map_shm(shm) != STATUS_OK) {
        say("producer: cannot map the records SHM\n");
        return 3;
    }

    put(&page->records[0], 1, "temperature", 21);
    put(&page->records[1], 2, "pressure", 1013);
    put(&page->records[2], 3, "humidity", -40);
    page->count = 3;
    say("producer: wrote 3 records, consumer may map read-only\n");

    __sys_send_signal(consumer, SIGNAL_USR1);
    /* The consumer answers USR2 when done; SIGNAL_PIPE if the kernel ended it. */
    if (__sys_wait_for_event(EVENT_TYPE_SIGNAL, WFE_WAIT_FOREVER) == STATUS_OK) {
        copy_from_kernel(event, sizeof(event));
        signal = (uint32_t)e->data[0] | (uint32_t)e->data[1] << 8;
    }
    if (signal == SIGNAL_USR2) {
        say("producer: the consumer has read the records\n");
        return 0;
    }
    say("producer: the consumer is gone without reading\n");
    return 4;
}
