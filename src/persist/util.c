/*
 * src/persist/util.c: the layer's small tools: a growable byte buffer (transient memory from
 * the calling thread's malloc, never a namespace arena), RDB's CRC-64, and durable file
 * replacement (temp file, fsync, rename, fsync of the directory), so a crash at any moment
 * leaves either the old file or the new one, never a mix.
 */
#include "persist_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void flpi_buf_put(flpi_buf_t *b, const void *p, size_t n)
{
    if (b->failed || n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->failed = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void flpi_buf_byte(flpi_buf_t *b, uint8_t c)
{
    flpi_buf_put(b, &c, 1);
}

void flpi_buf_i64(flpi_buf_t *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
    flpi_buf_put(b, tmp, (size_t)n);
}

bool flpi_parse_score(fl_slice_t t, double *score)
{
    char buf[64];
    if (t.n == 0 || t.n >= sizeof(buf))
        return false;
    memcpy(buf, t.p, t.n);
    buf[t.n] = '\0';
    char *end;
    *score = strtod(buf, &end);
    return end == buf + t.n && *score == *score; /* not NaN */
}

void flpi_buf_must_hold(const flpi_buf_t *b, const char *what)
{
    if (__builtin_expect(!b->failed, 1))
        return;
    fprintf(stderr,
            "flatline: out of memory buffering %s: stopping, so that no write the log "
            "could not keep is acknowledged\n",
            what);
    abort();
}

void flpi_buf_free(flpi_buf_t *b)
{
    free(b->p);
    *b = (flpi_buf_t){0};
}

/* Tables for the reflected Jones polynomial, built once: crc_table[0] is the byte-at-a-time
 * table, crc_table[k] advances a byte through k more zero bytes, so eight bytes are folded
 * per step ("slicing by 8"; Redis's crcspeed does the same). */
static uint64_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    const uint64_t poly = 0x95ac9329ac4bc9b5ULL; /* 0xad93d23594c935a9 bit-reversed */
    for (unsigned i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
        crc_table[0][i] = c;
    }
    for (unsigned i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^ crc_table[0][crc_table[k - 1][i] & 0xff];
}

uint64_t flpi_crc64(uint64_t crc, const void *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *s = p;
    for (; n >= 8; n -= 8, s += 8) {
        uint64_t w = 0;
        for (int i = 0; i < 8; i++) /* little-endian load, whatever the host */
            w |= (uint64_t)s[i] << (8 * i);
        crc ^= w;
        crc = crc_table[7][crc & 0xff] ^ crc_table[6][(crc >> 8) & 0xff] ^
              crc_table[5][(crc >> 16) & 0xff] ^ crc_table[4][(crc >> 24) & 0xff] ^
              crc_table[3][(crc >> 32) & 0xff] ^ crc_table[2][(crc >> 40) & 0xff] ^
              crc_table[1][(crc >> 48) & 0xff] ^ crc_table[0][crc >> 56];
    }
    for (; n; n--, s++)
        crc = crc_table[0][(crc ^ *s) & 0xff] ^ (crc >> 8);
    return crc;
}

int flpi_write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int flpi_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

void flpi_path(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

int flpi_replace_file(const char *dir, const char *name, const void *p, size_t n)
{
    char path[FLP_PATH_MAX * 2], tmp[FLP_PATH_MAX * 2 + 32];
    flpi_path(path, sizeof(path), dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    int rc = flpi_write_all(fd, p, n);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    return flpi_fsync_dir(dir);
}
