/*
 * src/server/log.c: the server's log lines on stderr, in Redis's format
 * ("<pid>:M <date> <level mark> <message>"), filtered by the configured loglevel.
 *
 * Thread-safety: any thread; one fprintf per line (stdio locks the stream), no shared state.
 */
#include "srv.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

void srv_log(const srv_server_t *srv, int level, const char *fmt, ...)
{
    if (srv && level > atomic_load_explicit(&srv->live.loglevel, memory_order_relaxed))
        return;             /* live: CONFIG SET loglevel changes it while workers log */
    char msg[1024], ts[64]; /* room for a closed client's CLIENT LIST line */
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%d %b %Y %H:%M:%S", &tm);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%d:M %s.%03d %c %s\n", (int)getpid(), ts, (int)(tv.tv_usec / 1000),
            level == SRV_LOG_WARNING ? '#' : '*', msg);
}
