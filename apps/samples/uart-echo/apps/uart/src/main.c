/*
 * uart: a UART driver task. It owns usart2, echoes every byte it receives, collects the
 * bytes into lines and hands each line to the task that asked for it over IPC.
 *
 * The driver steps, in order:
 *  1. get the device handle from its id in devices-dt.h, and map the device: from then on
 *     its registers answer to the bus helpers of <uapi/bus.h> (any other address faults);
 *  2. program the USART (baud rate, then CR1 with UE, RE, TE and RXNEIE) and unmask its
 *     IRQ with __sys_irq_enable (every line starts masked);
 *  3. wait for events: an IPC is a request from a client, an IRQ event says the USART
 *     raised its line. The kernel masks the line when it delivers the event, so the driver
 *     is never interrupted again before it is ready;
 *  4. service the device (read RDR until RXNE is clear), then __sys_irq_acknowledge: it
 *     clears the pending request and unmasks the line. New bytes raise it again.
 *
 * Requests (one byte): 'R' asks for the next line, answered with the line's bytes (no
 * newline); 'Q' asks the driver to stop. While a complete line waits for a reader, the
 * driver leaves the rest of the input in the USART (its line stays masked) instead of
 * buffering without bound.
 */
#include <uapi/uapi.h>
#include <uapi/bus.h>
#include <devices-dt.h>

/* STM32 USART registers (docs/peripherals.md, USART). */
#define USART_CR1 0x00u
#define USART_BRR 0x0Cu
#define USART_ISR 0x1Cu
#define USART_ICR 0x20u
#define USART_RDR 0x24u
#define USART_TDR 0x28u

#define CR1_UE (1u << 0)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_RXNEIE (1u << 5)
#define ISR_ORE (1u << 3)
#define ISR_RXNE (1u << 5)
#define ISR_TC (1u << 6)
#define ISR_TXE (1u << 7)
#define ICR_ORECF (1u << 3)

/* 115200 baud at the 64 MHz nominal clock: BRR is the bit time in clock cycles. */
#define BAUD_DIVIDER (64000000u / 115200u)

#define REQUEST_READ_LINE 'R'
#define REQUEST_QUIT 'Q'
#define LINE_MAX 64u

static uint32_t base;      /* usart2's registers, from the devicetree */
static uint16_t irq;       /* its interrupt line */
static bool rx_pending;    /* an IRQ came and the USART may still hold bytes */

static uint8_t line[LINE_MAX];
static size_t line_len;
static bool line_ready;    /* line holds a complete line nobody has taken yet */
static taskh_t reader;
static bool reader_waiting;

static void say(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    copy_to_kernel((const uint8_t *)s, n);
    __sys_log(n);
}

/* Send one byte: wait until TDR is free (TXE), then write it. */
static void echo(uint8_t c)
{
    while ((ioread32(base + USART_ISR) & ISR_TXE) == 0u) {
        /* The transmitter moves on in virtual time while we poll. */
    }
    iowrite32(base + USART_TDR, c);
}

/* Read received bytes until the USART is empty or a line is complete. */
static void drain(void)
{
    while (!line_ready) {
        uint32_t isr = ioread32(base + USART_ISR);
        if ((isr & ISR_ORE) != 0u) {
            iowrite32(base + USART_ICR, ICR_ORECF);
        }
        if ((isr & ISR_RXNE) == 0u) {
            return;
        }
        /* Reading RDR takes the byte and clears RXNE once the USART holds no more. */
        uint8_t c = (uint8_t)ioread32(base + USART_RDR);
        echo(c);
        if (c == '\n') {
            line_ready = true;
        } else if (c != '\r' && line_len < LINE_MAX) {
            line[line_len++] = c;
        }
    }
}

/* Make every step that can be made now: answer a waiting reader, service the USART. */
static void pump(void)
{
    for (;;) {
        if (line_ready && reader_waiting) {
            copy_to_kernel(line, line_len);
            reader_waiting = false;
            line_ready = false;
            /* Blocks until the reader takes the message. */
            __sys_send_ipc(reader, (uint8_t)line_len);
            line_len = 0;
            continue;
        }
        if (rx_pending && !line_ready) {
            drain();
            if (!line_ready) {
                /* Serviced: clear the request and unmask the line for the next bytes. */
                rx_pending = false;
                __sys_irq_acknowledge(irq);
            }
            continue;
        }
        return;
    }
}

int main(void)
{
    devh_t dev = 0;
    uint8_t event[SENTRY_SVCEXCHANGE_LEN];
    const exchange_event_t *e = (const exchange_event_t *)event;

    /* The board gives this task exactly one device: usart2 (devices-dt.h). */
    for (size_t i = 0; i < DEVICE_LIST_SIZE; i++) {
        if (devices[i].id == DEV_ID_USART2) {
            base = (uint32_t)devices[i].baseaddr;
            irq = devices[i].its[0].it_num;
        }
    }
    if (__sys_get_device_handle(DEV_ID_USART2) != STATUS_OK) {
        say("uart: usart2 is not mine (check board.dts)\n");
        return 1;
    }
    copy_from_kernel((uint8_t *)&dev, sizeof(dev));
    if (__sys_map_dev(dev) != STATUS_OK) {
        say("uart: cannot map usart2\n");
        return 2;
    }
    iowrite32(base + USART_BRR, BAUD_DIVIDER);
    iowrite32(base + USART_CR1, CR1_UE | CR1_RE | CR1_TE | CR1_RXNEIE);
    if (__sys_irq_enable(irq) != STATUS_OK) {
        say("uart: cannot enable the usart2 IRQ\n");
        return 3;
    }
    say("uart: usart2 mapped, receiving with RXNEIE, IRQ enabled\n");

    for (;;) {
        if (__sys_wait_for_event(EVENT_TYPE_IPC | EVENT_TYPE_IRQ, WFE_WAIT_FOREVER) != STATUS_OK) {
            continue;
        }
        copy_from_kernel(event, sizeof(event));
        if (e->type == EVENT_TYPE_IRQ) {
            rx_pending = true;
        } else if (e->type == EVENT_TYPE_IPC && e->length == 1 && e->data[0] == REQUEST_READ_LINE) {
            reader = e->source;
            reader_waiting = true;
        } else if (e->type == EVENT_TYPE_IPC && e->length == 1 && e->data[0] == REQUEST_QUIT) {
            break;
        }
        pump();
    }

    /*
     * Stop cleanly: no more interrupts; let the last echoed byte leave (TC) before turning
     * the USART off, which would discard it; then give the device back.
     */
    ioclear32(base + USART_CR1, CR1_RXNEIE);
    __sys_irq_disable(irq);
    while ((ioread32(base + USART_ISR) & ISR_TC) == 0u) {
    }
    iowrite32(base + USART_CR1, 0u);
    __sys_unmap_dev(dev);
    say("uart: stopped\n");
    return 0;
}
