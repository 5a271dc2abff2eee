/*
 * records_heap.c: db-churn's records as blocks of the strategy's allocator (bw_persist_alloc:
 * malloc in flatline-bench-runner, the shared arena with lifecycle arenas in
 * flatline-bench-runner-fl). An update allocates the new block, copies what fits and frees the
 * old one, as a program resizing a record does. No state of its own.
 */
#include "runner.h"

#include <string.h>

int bw_records_open(const bw_params_t *p)
{
    if (p->store_defrag >= 0 || p->nstore_options) {
        bw_report("error --store-defrag and --store-option need flatline-bench-runner-store");
        return -1;
    }
    return 0;
}

void bw_records_close(void) {}

int bw_record_set(bw_rec_t *r, uint64_t slot, size_t size)
{
    void *np = bw_persist_alloc(size);
    if (!np)
        return -1;
    bw_touch(np, size, slot);
    if (r->p) {
        memcpy(np, r->p, r->size < size ? r->size : size);
        bw_persist_free(r->p, r->size);
    }
    r->p = np;
    r->size = (uint32_t)size;
    return 0;
}

void bw_record_clear(bw_rec_t *r, uint64_t slot)
{
    (void)slot;
    bw_persist_free(r->p, r->size);
    r->p = NULL;
    r->size = 0;
}

void bw_record_read(const bw_rec_t *r, uint64_t slot, void *buf, size_t n)
{
    (void)slot;
    memcpy(buf, r->p, r->size < n ? r->size : n);
}

const char *bw_records_kind(void)
{
    return "heap";
}

int bw_records_stats(char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    return 0;
}
