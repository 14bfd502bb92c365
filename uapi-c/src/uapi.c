/*
 * The C UAPI: the __sys_* wrappers and the exchange area of a Rampart task.
 *
 * Owns `__svcexchange`, the task's exchange area (exported by the build as an immutable
 * global holding its address, see docs/task-abi.md), and one wrapper per syscall, each a
 * call to the raw `rampart.<name>` import declared in the generated
 * <rampart/syscall-imports.h>.
 *
 * Invariants:
 * - Every wrapper is its own function and nothing here references a wrapper, so the
 *   linker drops the ones an app does not call *and their imports*. This matters: the
 *   integrator refuses a module importing a syscall its task has no capability for, so
 *   an unused `__sys_start` must not drag `rampart.start` into every app. Keep it that way:
 *   no table of function pointers, no wrapper calling another wrapper.
 * - Only the pre-checks of spec §0.3 item 7 (as amended by Part 1 §1.2) refuse input
 *   before trapping; every other wrapper is a plain trap. The kernel re-checks everything.
 * - Sizes come from SENTRY_SVCEXCHANGE_LEN (the configured CONFIG_SVC_EXCHANGE_AREA_LEN),
 *   never a hard-coded 128 (spec Part 1 §1.2, "exchange size in the UAPI").
 */

#define RAMPART_UAPI_RUNTIME 1
#include <uapi/uapi.h>
#include <rampart/syscall-imports.h>

/*
 * The exchange area. 8-byte aligned so an event header or a u64 (get_cycle) at offset 0
 * is naturally aligned. It has external linkage on purpose: the kernel writes it during
 * import calls, and an external symbol is one the compiler must assume an opaque call can
 * modify, so values are re-read after every syscall. It is plain bss, so it lies inside
 * the initial memory as the task ABI requires.
 */
uint8_t __svcexchange[SENTRY_SVCEXCHANGE_LEN] __attribute__((aligned(8)));

/* -- exchange-area helpers (spec §3.2) ------------------------------------------------ */

static inline size_t clamp_to_exchange(size_t length)
{
    return length < SENTRY_SVCEXCHANGE_LEN ? length : SENTRY_SVCEXCHANGE_LEN;
}

Status copy_to_kernel(const uint8_t *from, size_t length)
{
    /* Silent truncation, as the reference does: the kernel bounds every read anyway. */
    __builtin_memcpy(__svcexchange, from, clamp_to_exchange(length));
    return STATUS_OK;
}

Status copy_from_kernel(uint8_t *to, size_t length)
{
    __builtin_memcpy(to, __svcexchange, clamp_to_exchange(length));
    return STATUS_OK;
}

size_t svcexchange_get_maxlen(void)
{
    return SENTRY_SVCEXCHANGE_LEN - EVENT_HEADER_SIZE;
}

Status clean_svcexchange(void)
{
    __builtin_memset(__svcexchange, 0, SENTRY_SVCEXCHANGE_LEN);
    return STATUS_OK;
}

/* -- task lifecycle --------------------------------------------------------------------- */

Status __sys_exit(int32_t status)
{
    /* The kernel never resumes an exited job; trap rather than run on if it ever did. */
    __rampart_sys_exit((uint32_t)status);
    __builtin_trap();
}

Status __sys_get_process_handle(uint32_t label)
{
    return (Status)__rampart_sys_get_process_handle(label);
}

Status __sys_sched_yield(void)
{
    return (Status)__rampart_sys_sched_yield();
}

Status __sys_sleep(SleepDuration duration_ms, SleepMode mode)
{
    uint32_t ms;

    /* The kernel only sees milliseconds (spec §1.2.4). */
    switch (duration_ms.tag) {
    case SLEEP_DURATION_D1MS: ms = 1; break;
    case SLEEP_DURATION_D2MS: ms = 2; break;
    case SLEEP_DURATION_D5MS: ms = 5; break;
    case SLEEP_DURATION_D10MS: ms = 10; break;
    case SLEEP_DURATION_D20MS: ms = 20; break;
    case SLEEP_DURATION_D50MS: ms = 50; break;
    case SLEEP_DURATION_ARBITRARY_MS: ms = duration_ms.arbitrary_ms; break;
    default:
        /*
         * Rust's SleepDuration cannot hold another tag, so the reference never sees one;
         * from C a garbage tag is possible, and guessing a duration would be worse than
         * refusing it.
         */
        return STATUS_INVALID;
    }
    return (Status)__rampart_sys_sleep(ms, (uint32_t)mode);
}

Status __sys_start(uint32_t label)
{
    return (Status)__rampart_sys_start(label);
}

/* -- IPC, signals, events ------------------------------------------------------------ */

Status __sys_send_ipc(uint32_t target, uint8_t len)
{
    return (Status)__rampart_sys_send_ipc(target, len);
}

Status __sys_send_signal(uint32_t target, Signal signal)
{
    return (Status)__rampart_sys_send_signal(target, (uint32_t)signal);
}

Status __sys_wait_for_event(uint8_t mask, int32_t timeout)
{
    uint32_t status;

    /*
     * Rampart's rule (spec Part 1 §1.2, "WFE_WAIT_NO"): -1 is passed through and the kernel
     * answers STATUS_AGAIN when nothing is pending; anything below -1 is refused here,
     * without trapping, as the reference UAPI refuses every negative timeout.
     */
    if (timeout < WFE_WAIT_NO) {
        return STATUS_INVALID;
    }
    status = __rampart_sys_wait_for_event(mask, (uint32_t)timeout);
    if (status == STATUS_INTR) {
        /*
         * Woken by an event outside the mask (or before one was fetched): the event stays
         * queued, so ask once more. Exactly once, as the reference does; the second call
         * starts a fresh full timeout and its result is final, INTR included.
         */
        status = __rampart_sys_wait_for_event(mask, (uint32_t)timeout);
    }
    return (Status)status;
}

Status __sys_alarm(uint32_t timeout_ms, AlarmFlag flag)
{
    return (Status)__rampart_sys_alarm(timeout_ms, (uint32_t)flag);
}

/* -- power management ----------------------------------------------------------------- */

Status __sys_pm_manage(CPUSleep mode)
{
    return (Status)__rampart_sys_pm_manage((uint32_t)mode);
}

/*
 * The name uapi.h has always declared (spec A.26). A separate function rather than an
 * alias attribute: wasm-ld's garbage collection then treats it like every other wrapper.
 */
Status __sys_manage_cpu_sleep(CPUSleep mode)
{
    return (Status)__rampart_sys_pm_manage((uint32_t)mode);
}

Status __sys_pm_set_clock(uint32_t clk_reg, uint32_t clkmsk, uint32_t val)
{
    return (Status)__rampart_sys_pm_set_clock(clk_reg, clkmsk, val);
}

/* -- log, random, time -------------------------------------------------------------- */

Status __sys_log(size_t len)
{
    /* UAPI pre-check (spec §0.3 item 7) with the configured length instead of 128. */
    if (len > SENTRY_SVCEXCHANGE_LEN) {
        return STATUS_INVALID;
    }
    return (Status)__rampart_sys_log((uint32_t)len);
}

Status __sys_get_random(void)
{
    return (Status)__rampart_sys_get_random();
}

Status __sys_get_cycle(Precision precision)
{
    return (Status)__rampart_sys_get_cycle((uint32_t)precision);
}

/* -- devices, GPIO, IRQs ------------------------------------------------------------ */

Status __sys_get_device_handle(uint8_t devlabel)
{
    return (Status)__rampart_sys_get_device_handle(devlabel);
}

Status __sys_map_dev(devh_t dev)
{
    return (Status)__rampart_sys_map_dev(dev);
}

Status __sys_unmap_dev(devh_t dev)
{
    return (Status)__rampart_sys_unmap_dev(dev);
}

Status __sys_gpio_get(uint32_t devh, uint8_t io)
{
    return (Status)__rampart_sys_gpio_get(devh, io);
}

Status __sys_gpio_set(uint32_t devh, uint8_t io, bool val)
{
    return (Status)__rampart_sys_gpio_set(devh, io, val ? 1u : 0u);
}

Status __sys_gpio_reset(uint32_t devh, uint8_t io)
{
    return (Status)__rampart_sys_gpio_reset(devh, io);
}

Status __sys_gpio_toggle(uint32_t devh, uint8_t io)
{
    return (Status)__rampart_sys_gpio_toggle(devh, io);
}

Status __sys_gpio_configure(uint32_t devh, uint8_t io)
{
    return (Status)__rampart_sys_gpio_configure(devh, io);
}

Status __sys_irq_acknowledge(uint16_t irq)
{
    return (Status)__rampart_sys_irq_acknowledge(irq);
}

Status __sys_irq_enable(uint16_t irq)
{
    return (Status)__rampart_sys_irq_enable(irq);
}

Status __sys_irq_disable(uint16_t irq)
{
    return (Status)__rampart_sys_irq_disable(irq);
}

/* -- shared memories ------------------------------------------------------------------ */

Status __sys_get_shm_handle(uint32_t label)
{
    return (Status)__rampart_sys_get_shm_handle(label);
}

Status __sys_map_shm(shmh_t shm)
{
    return (Status)__rampart_sys_map_shm(shm);
}

Status __sys_unmap_shm(shmh_t shm)
{
    return (Status)__rampart_sys_unmap_shm(shm);
}

Status __sys_shm_set_credential(shmh_t shm, taskh_t target, uint32_t perms)
{
    return (Status)__rampart_sys_shm_set_credential(shm, target, perms);
}

Status __sys_shm_get_infos(shmh_t shm)
{
    return (Status)__rampart_sys_shm_get_infos(shm);
}

/* -- DMA streams ---------------------------------------------------------------------- */

Status __sys_get_dma_stream_handle(uint32_t label)
{
    return (Status)__rampart_sys_get_dma_stream_handle(label);
}

Status __sys_dma_start_stream(dmah_t dmah)
{
    return (Status)__rampart_sys_dma_start_stream(dmah);
}

Status __sys_dma_suspend_stream(dmah_t dmah)
{
    return (Status)__rampart_sys_dma_suspend_stream(dmah);
}

Status __sys_dma_get_stream_status(dmah_t dmah)
{
    return (Status)__rampart_sys_dma_get_stream_status(dmah);
}

Status __sys_dma_assign_stream(dmah_t dmah)
{
    return (Status)__rampart_sys_dma_assign_stream(dmah);
}

Status __sys_dma_unassign_stream(dmah_t dmah)
{
    return (Status)__rampart_sys_dma_unassign_stream(dmah);
}

Status __sys_dma_get_stream_info(dmah_t dmah)
{
    return (Status)__rampart_sys_dma_get_stream_info(dmah);
}

Status __sys_dma_resume_stream(dmah_t dmah)
{
    return (Status)__rampart_sys_dma_resume_stream(dmah);
}
