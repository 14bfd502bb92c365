/*
 * c-hosted: standard C on Rampart (CONFIG_TASK_LIBC=y).
 *
 * printf, snprintf, string.h, malloc/free and clock_gettime from wasi-libc; the kernel
 * serves their WASI imports (console, virtual clock). Shows that the heap works, that it
 * is fixed (malloc returns NULL once it is used up, memory never grows) and that it is
 * reusable after free. Exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A singly linked list of 1 KiB blocks, so every allocation stays reachable. */
struct block {
    struct block *next;
    unsigned char payload[1024 - sizeof(struct block *)];
};

static long long nanoseconds(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return -1;
    }
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Allocate 1 KiB blocks until malloc says no; returns the list, stores the count. */
static struct block *fill_heap(int *count)
{
    struct block *head = NULL;

    *count = 0;
    for (;;) {
        struct block *b = malloc(sizeof *b);
        if (b == NULL) {
            return head;
        }
        memset(b->payload, (unsigned char)*count, sizeof b->payload);
        b->next = head;
        head = b;
        (*count)++;
    }
}

/* True when every block still holds the byte it was filled with (count - 1 down to 0). */
static int blocks_intact(const struct block *b, int count)
{
    for (int i = count - 1; b != NULL; b = b->next, i--) {
        for (size_t j = 0; j < sizeof b->payload; j++) {
            if (b->payload[j] != (unsigned char)i) {
                return 0;
            }
        }
    }
    return 1;
}

static void free_all(struct block *b)
{
    while (b != NULL) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
}

int main(void)
{
    char line[64];
    long long t0 = nanoseconds();

    printf("hello from hosted C\n");

    /* snprintf and string.h */
    int n = snprintf(line, sizeof line, "%s-%04d-%x-%.2f", "rampart", 42, 0xbeef, 3.25);
    printf("snprintf: %s (%d chars, strlen %zu)\n", line, n, strlen(line));
    char *copy = strdup(line);
    printf("strdup: %s, strcmp %d, strchr '%s'\n", copy != NULL ? copy : "(null)",
           copy != NULL ? strcmp(copy, line) : -1, strchr(line, '-'));
    free(copy);

    /* a loop of allocations that are all freed: the heap is reused */
    size_t total = 0;
    for (int i = 1; i <= 100; i++) {
        char *p = malloc((size_t)i * 16);
        if (p == NULL) {
            printf("malloc failed at round %d\n", i);
            return 1;
        }
        memset(p, i, (size_t)i * 16);
        total += (size_t)i * 16;
        free(p);
    }
    printf("malloc/free: 100 rounds, %zu bytes in total\n", total);

    /* the heap is fixed: fill it, check it, free it, fill it again */
    unsigned long pages = (unsigned long)__builtin_wasm_memory_size(0);
    int first;
    struct block *list = fill_heap(&first);
    printf("heap full after %d blocks of 1 KiB: malloc returned NULL\n", first);
    printf("blocks intact: %s\n", blocks_intact(list, first) ? "yes" : "no");
    /* volatile: the compiler may otherwise assume an unused malloc succeeds */
    void *volatile huge = malloc((size_t)1 << 30);
    printf("huge malloc: %s\n", huge == NULL ? "NULL" : "non-NULL");
    printf("memory grew: %s\n", (unsigned long)__builtin_wasm_memory_size(0) == pages ? "no" : "yes");
    free_all(list);
    int second;
    list = fill_heap(&second);
    printf("after free: %s\n", second == first ? "same number of blocks again" : "heap lost blocks");
    free_all(list);

    long long t1 = nanoseconds();
    printf("clock: monotonic %s\n", t0 >= 0 && t1 > t0 ? "yes" : "no");
    printf("bye\n");
    return 0;
}
