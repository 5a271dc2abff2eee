/*
 * bench_util.c: the driver's small system helpers (monotonic time, mkdir -p, a process's RSS,
 * an allocator's options into a child's environment), shared by the matrix, the child runs and
 * the plots. Stateless.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

double bd_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bd_mkdir_p(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

uint64_t bd_read_rss(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t r = read(fd, line, sizeof line - 1);
    close(fd);
    if (r <= 0)
        return 0;
    line[r] = '\0';
    unsigned long long size = 0, res = 0;
    if (sscanf(line, "%llu %llu", &size, &res) != 2)
        return 0;
    return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

int bd_apply_env(const char *env)
{
    while (env && *env) {
        env += strspn(env, " ");
        size_t len = strcspn(env, " ");
        if (len == 0)
            break;
        char kv[512];
        if (len >= sizeof kv)
            return -1;
        memcpy(kv, env, len);
        kv[len] = '\0';
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv)
            return -1;
        *eq = '\0';
        if (setenv(kv, eq + 1, 1) != 0)
            return -1;
        env += len;
    }
    return 0;
}
