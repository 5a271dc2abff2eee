/*
 * src/mem/init.c: process-wide setup of the memory layer, its error texts, and the check that
 * plain malloc is jemalloc's (mallctl access is ctl.c's).
 *
 * Invariants: nothing here allocates on a failure path. The "is malloc jemalloc" answer is computed
 * once (pthread_once) and is immutable afterwards.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

#include "mem_internal.h"

int fl_mem_init(const fl_mem_opts_t *opts)
{
    const char *version = NULL;
    if (flm_ctl_read("version", &version, sizeof(version)) != 0 || version == NULL ||
        version[0] != '5')
        return -ENOSYS;
    if (opts != NULL && opts->background_thread)
        return fl_mem_set_background_thread(true);
    return 0;
}

const char *fl_mem_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case -EINVAL:
        return "invalid argument";
    case -ENOMEM:
        return "out of memory (jemalloc could not create an arena or tcache, or a table is full)";
    case -ENOSYS:
        return "the running malloc is not jemalloc (e.g. under a sanitizer or another preloaded "
               "allocator)";
    case -EFAULT:
        return "jemalloc rejected the request (bad arena or tcache state)";
    case -ENOENT:
        return "no such jemalloc control (wrong jemalloc version?)";
    case -EPERM:
        return "operation not permitted by jemalloc";
    case -ENOTSUP:
        return "not supported in this build (e.g. jemalloc background threads under TSan)";
    case -EAGAIN:
        return "try again";
    case -EBUSY:
        return "busy";
    default:
        return "unknown memory-layer error";
    }
}

/*
 * Plain malloc is jemalloc's when the process-wide definition of the symbol `malloc` (what
 * dlsym(RTLD_DEFAULT) resolves, i.e. what every malloc() call binds to) is the `malloc` exported
 * by the object that defines mallocx. Under ASan/TSan the sanitizer's interceptor comes first;
 * with LD_PRELOAD=libtcmalloc.so, tcmalloc's does: both give false.
 */
static bool g_malloc_is_je;
static pthread_once_t g_malloc_once = PTHREAD_ONCE_INIT;

static void detect_malloc(void)
{
    Dl_info info;
    void *global = dlsym(RTLD_DEFAULT, "malloc");
    if (global == NULL || dladdr((void *)&mallocx, &info) == 0 || info.dli_fname == NULL)
        return;
    void *handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    void *je_malloc = NULL;
    if (handle != NULL) {
        je_malloc = dlsym(handle, "malloc");
        dlclose(handle);
    } else {
        /* jemalloc linked statically into the executable: its malloc is the global one iff
         * the global one lives in the same object as mallocx. */
        Dl_info ginfo;
        if (dladdr(global, &ginfo) != 0 && ginfo.dli_fbase == info.dli_fbase)
            je_malloc = global;
    }
    g_malloc_is_je = je_malloc != NULL && je_malloc == global;
}

bool fl_mem_malloc_is_jemalloc(void)
{
    pthread_once(&g_malloc_once, detect_malloc);
    return g_malloc_is_je;
}
