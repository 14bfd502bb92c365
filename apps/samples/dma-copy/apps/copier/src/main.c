/*
 * copier: copies one shared memory into another with a DMA stream and checks the result.
 *
 * The task never programs the controller: the stream (source, destination, length,
 * priority) is fixed by the devicetree, and the task only assigns it (the kernel programs
 * the channel), starts it, and waits for its completion event. The bytes move in virtual
 * time, one per cycle after a short setup, while the task is blocked.
 */
#include <uapi/uapi.h>
#include <shms-dt.h>
#include <dma-dt.h>

#define COPIER_LABEL 0x1000u
#define COPY_LENGTH 0x40u

static const char message[COPY_LENGTH] = "moved by gpdma1 channel 0, not by the CPU";

static void say(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    copy_to_kernel((const uint8_t *)s, n);
    __sys_log(n);
}

/* Map one of our shared memories read-write; its address from shms-dt.h, or 0. */
static uint8_t *map_own(uint32_t label, taskh_t self)
{
    shmh_t shm = 0;

    if (__sys_get_shm_handle(label) != STATUS_OK) {
        return 0;
    }
    copy_from_kernel((uint8_t *)&shm, sizeof(shm));
    if (__sys_shm_set_credential(shm, self, SHM_PERMISSION_MAP | SHM_PERMISSION_WRITE) != STATUS_OK ||
        __sys_map_shm(shm) != STATUS_OK) {
        return 0;
    }
    for (size_t i = 0; i < SHM_LIST_SIZE; i++) {
        if (shms[i].id == label) {
            return (uint8_t *)shms[i].baseaddr;
        }
    }
    return 0;
}

int main(void)
{
    taskh_t self = 0;
    dmah_t stream = 0;
    uint8_t event[16];
    const exchange_event_t *e = (const exchange_event_t *)event;
    char line[96];
    size_t at = 0;

    if (__sys_get_process_handle(COPIER_LABEL) != STATUS_OK) {
        return 1;
    }
    copy_from_kernel((uint8_t *)&self, sizeof(self));
    uint8_t *src = map_own(SHM_LABEL_DMA_SRC, self);
    uint8_t *dst = map_own(SHM_LABEL_DMA_DST, self);
    if (src == 0 || dst == 0) {
        say("copier: cannot map the DMA buffers\n");
        return 2;
    }
    for (size_t i = 0; i < COPY_LENGTH; i++) {
        src[i] = (uint8_t)message[i];
        dst[i] = 0;
    }

    if (__sys_get_dma_stream_handle(DMA_STREAM_LABEL_COPY) != STATUS_OK) {
        say("copier: the copy stream is not mine (check board.dts)\n");
        return 3;
    }
    copy_from_kernel((uint8_t *)&stream, sizeof(stream));
    if (__sys_dma_assign_stream(stream) != STATUS_OK || __sys_dma_start_stream(stream) != STATUS_OK) {
        say("copier: cannot assign and start the stream\n");
        return 4;
    }
    say("copier: stream started, waiting for its completion\n");

    /* One DMA event per transfer: the source is the stream handle, the data its state. */
    if (__sys_wait_for_event(EVENT_TYPE_DMA, WFE_WAIT_FOREVER) != STATUS_OK) {
        return 5;
    }
    copy_from_kernel(event, sizeof(event));
    if (e->type != EVENT_TYPE_DMA || e->source != stream) {
        say("copier: unexpected event\n");
        return 6;
    }
    for (size_t i = 0; i < COPY_LENGTH; i++) {
        if (dst[i] != src[i]) {
            say("copier: the destination differs from the source\n");
            return 7;
        }
    }

    const char *prefix = "copier: destination holds '";
    while (*prefix != '\0') {
        line[at++] = *prefix++;
    }
    for (size_t i = 0; i < COPY_LENGTH && dst[i] != 0; i++) {
        line[at++] = (char)dst[i];
    }
    line[at++] = '\'';
    line[at++] = '\n';
    copy_to_kernel((const uint8_t *)line, at);
    __sys_log(at);

    /* The transfer is over: the stream is ASSIGNED again; give the channel back. */
    if (__sys_dma_unassign_stream(stream) != STATUS_OK) {
        return 8;
    }
    say("copier: 64 bytes copied and checked, stream released\n");
    return 0;
}
