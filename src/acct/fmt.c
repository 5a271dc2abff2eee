/*
 * src/acct/fmt.c: the preload library's text and file output, none of which allocates: bounded
 * formatting into a caller's buffer, whole writes, and the three ways our files are written.
 *
 * Invariants: no function here calls malloc (vsnprintf with a fixed buffer does not) or keeps a
 * descriptor open between calls: a daemon that closes every descriptor and reuses the numbers
 * never finds ours. A file replaced by acct_replace_file is never seen half written: readers
 * (the driver, `flatline-acct report DIR`, a person) see the old or the new text, whatever kills
 * the process in between.
 */
#include "acct_lib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

size_t acct_fmt(char *buf, size_t cap, const char *fmt, ...)
{
    if (cap == 0)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

int acct_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

void acct_log(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        acct_write_all(2, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void acct_append_file(const char *path, const char *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return;
    acct_write_all(fd, buf, len);
    close(fd);
}

int acct_write_file(const char *path, const char *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    int rc = acct_write_all(fd, buf, len);
    close(fd);
    return rc;
}

int acct_replace_file(const char *path, const char *buf, size_t len)
{
    char tmp[1024];
    size_t n = acct_fmt(tmp, sizeof tmp, "%s.tmp", path);
    if (n + 1 >= sizeof tmp)
        return -ENAMETOOLONG;
    int rc = acct_write_file(tmp, buf, len);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}
