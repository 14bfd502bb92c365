/*
 * records.h: the layout the producer writes into the shared memory and the consumer reads.
 * Both apps carry the same copy (apps are built separately); change both together.
 */
#ifndef RECORDS_H
#define RECORDS_H

#include <stdint.h>

#define PRODUCER_LABEL 0x1000u
#define CONSUMER_LABEL 0x2000u
#define RECORDS_MAX 8u

typedef struct record {
    uint32_t seq;
    int32_t value;
    char name[24];
} record_t;

typedef struct record_page {
    uint32_t count;     /* records in use; written last, once the records are in place */
    record_t records[RECORDS_MAX];
} record_page_t;

#endif /* RECORDS_H */
