/*
 * src/mem/front.c: size-class tables and the slow paths (creation, spill, flush) of the
 * per-(thread, shared arena) front caches; the fast pop/push are inline in front.h.
 *
 * Class tables are built once from jemalloc's own size classes (nallocx), so a block cached for
 * class c fits every request size mapped to c, and sdallocx(p, size) with any such size names
 * the block's true class. Capacities shrink with size (64 blocks up to 256 B, 32 up to 1 KiB,
 * 16 above), bounding a front cache to about 10 KiB.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

#include "front.h"

uint8_t flm_front_cls[FLM_FRONT_MAX + 1];
uint16_t flm_front_cap[FLM_FRONT_CLASSES];
uint16_t flm_front_base[FLM_FRONT_CLASSES];
static size_t g_class_size[FLM_FRONT_CLASSES]; /* usable size of each class */
static unsigned g_nclasses;
static size_t g_total; /* sum of capacities */
static int g_err;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void build(void)
{
    unsigned n = 0;
    size_t last = 0;
    for (size_t s = 1; s <= FLM_FRONT_MAX; s++) {
        size_t cls = nallocx(s, 0);
        if (cls == 0) {
            g_err = -ENOSYS;
            return;
        }
        if (cls != last) {
            if (n == FLM_FRONT_CLASSES) {
                g_err = -ENOMEM;
                return;
            }
            g_class_size[n] = cls;
            flm_front_cap[n] = cls <= 256 ? 64 : cls <= 1024 ? 32 : 16;
            flm_front_base[n] = (uint16_t)g_total;
            g_total += flm_front_cap[n];
            last = cls;
            n++;
        }
        flm_front_cls[s] = (uint8_t)(n - 1);
    }
    /* Size 0 is never looked up (rejected before); map it to class 0 all the same. */
    flm_front_cls[0] = 0;
    g_nclasses = n;
}

int flm_front_init(void)
{
    pthread_once(&g_once, build);
    return g_err;
}

struct flm_front *flm_front_new(void)
{
    if (flm_front_init() != 0)
        return NULL;
    return calloc(1, sizeof(struct flm_front) + g_total * sizeof(void *));
}

void flm_front_spill(struct flm_front *f, unsigned c, int tcache_flags)
{
    FL_ASSERT(c < g_nclasses && f->n[c] == flm_front_cap[c]); /* called only when full */
    unsigned half = f->n[c] / 2;
    void **b = &f->blk[flm_front_base[c]];
    for (unsigned i = 0; i < half; i++)
        sdallocx(b[i], g_class_size[c], tcache_flags);
    memmove(b, b + half, (f->n[c] - half) * sizeof(void *));
    f->n[c] = (uint16_t)(f->n[c] - half);
}

void flm_front_flush_free(struct flm_front *f, int tcache_flags)
{
    if (f == NULL)
        return;
    for (unsigned c = 0; c < g_nclasses; c++) {
        void **b = &f->blk[flm_front_base[c]];
        for (unsigned i = 0; i < f->n[c]; i++)
            sdallocx(b[i], g_class_size[c], tcache_flags);
        f->n[c] = 0;
    }
    free(f);
}
