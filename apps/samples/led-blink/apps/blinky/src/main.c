/*
 * blinky: blinks led0 BLINKS times through the GPIO syscalls, then exits 0.
 *
 * A GPIO-only driver needs no mapping and no register access: the kernel drives the pin
 * for the task that owns the device. The device id comes from the generated devices-dt.h
 * (never hard-code it: enabling another node shifts the ids), and the pin is I/O 0 of the
 * device, the first entry of its pinctrl-0. Run with `--vcd-out blink.vcd` to see the
 * pin `led0_PA5` toggle every HALF_PERIOD_MS milliseconds of virtual time.
 */
#include <uapi/uapi.h>
#include <devices-dt.h>

#define BLINKS 5u
#define HALF_PERIOD_MS 50u
#define LED_IO 0u

static void say(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    copy_to_kernel((const uint8_t *)s, n);
    __sys_log(n);
}

/* Print `prefix`, a number, `suffix`. */
static void say_number(const char *prefix, uint32_t v, const char *suffix)
{
    char line[64];
    char digits[10];
    size_t at = 0;
    int n = 0;

    while (*prefix != '\0') {
        line[at++] = *prefix++;
    }
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n > 0) {
        line[at++] = digits[--n];
    }
    while (*suffix != '\0' && at < sizeof(line)) {
        line[at++] = *suffix++;
    }
    copy_to_kernel((const uint8_t *)line, at);
    __sys_log(at);
}

static void wait_half_period(void)
{
    /* A deep sleep: no event shortens it, so the blink period is exact. */
    __sys_sleep((SleepDuration){ .tag = SLEEP_DURATION_ARBITRARY_MS, .arbitrary_ms = HALF_PERIOD_MS }, SLEEP_MODE_DEEP);
}

/* The level the pin reads back (gpio_get leaves it in the exchange area). */
static int led_level(devh_t led)
{
    uint8_t level = 0;

    if (__sys_gpio_get(led, LED_IO) != STATUS_OK) {
        return -1;
    }
    copy_from_kernel(&level, sizeof(level));
    return level;
}

int main(void)
{
    devh_t led = 0;

    if (__sys_get_device_handle(DEV_ID_LED0) != STATUS_OK) {
        say("blinky: led0 is not mine (check board.dts)\n");
        return 1;
    }
    copy_from_kernel((uint8_t *)&led, sizeof(led));
    /* Apply the pin configuration of the devicetree: PA5 becomes a push-pull output. */
    if (__sys_gpio_configure(led, LED_IO) != STATUS_OK) {
        say("blinky: cannot configure PA5\n");
        return 2;
    }
    say("blinky: led0 on PA5, configured as output\n");

    for (uint32_t blink = 1; blink <= BLINKS; blink++) {
        __sys_gpio_toggle(led, LED_IO);
        if (led_level(led) != 1) {
            say("blinky: the LED pin did not go high\n");
            return 3;
        }
        say_number("blinky: blink ", blink, ": on\n");
        wait_half_period();
        __sys_gpio_toggle(led, LED_IO);
        if (led_level(led) != 0) {
            say("blinky: the LED pin did not go low\n");
            return 4;
        }
        wait_half_period();
    }
    say_number("blinky: done after ", BLINKS, " blinks\n");
    return 0;
}
