/*
 * src/acct/export.c: the sampled call sites (stacks.txt, written by the library and symbolized
 * by the driver) in the formats existing viewers open:
 *   stacks.collapsed  Brendan Gregg's collapsed stacks (flamegraph.pl, speedscope, inferno):
 *                     "outermost;...;innermost LIVE_BYTES", one line per call site;
 *   profile.pb        pprof's profile.proto (go tool pprof, pprof.me, Grafana Pyroscope),
 *                     uncompressed (pprof reads it as is): sample types inuse_space/bytes and
 *                     inuse_objects/count, one sample per call site, one location and function
 *                     per distinct frame. The protobuf wire format is written here directly
 *                     (varints and length-delimited fields): no library needed.
 * A frame that could not be symbolized (a stripped binary) is named "module+0xOFFSET".
 * Errors: 0 / -errno; the exports are best effort, a failure leaves no partial file named as
 * the result (written to NAME.tmp, then renamed).
 */
#include "driver_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 32

typedef struct site {
    double live_bytes, live_blocks;
    int nframes;
    int frame[MAX_FRAMES]; /* indexes into the frame names, innermost first */
} site_t;

typedef struct stacks {
    site_t *sites;
    size_t nsites, cap;
    char **names; /* distinct frame names: the functions (and locations) */
    size_t nnames, names_cap;
} stacks_t;

static void stacks_free(stacks_t *st)
{
    for (size_t i = 0; i < st->nnames; i++)
        free(st->names[i]);
    free(st->names);
    free(st->sites);
}

/* The index of name among the distinct frame names, added when new; -1 without memory. */
static int name_index(stacks_t *st, const char *name)
{
    for (size_t i = 0; i < st->nnames; i++)
        if (!strcmp(st->names[i], name))
            return (int)i;
    if (st->nnames == st->names_cap) {
        size_t cap = st->names_cap ? 2 * st->names_cap : 256;
        char **n = realloc(st->names, cap * sizeof *n);
        if (!n)
            return -1;
        st->names = n;
        st->names_cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    st->names[st->nnames] = copy;
    return (int)st->nnames++;
}

/* A frame line's name: "function (file:line)" when symbolized, "module+0xOFF" otherwise. */
static void frame_name(const char *line, char *out, size_t cap)
{
    const char *at = strstr(line, "at ");
    at = at ? at + 3 : line;
    if (!strncmp(at, "0x", 2)) { /* "0xADDR (MODULE+0xOFF) ..." */
        const char *open = strstr(at, " (");
        const char *close = open ? strchr(open, ')') : NULL;
        const char *base = open ? open + 2 : at;
        for (const char *p = base; close && p < close; p++)
            if (*p == '/')
                base = p + 1;
        if (close)
            snprintf(out, cap, "%.*s", (int)(close - base), base);
        else
            snprintf(out, cap, "%s", at);
    } else { /* "function (file:line) [module]" */
        const char *mod = strstr(at, " [");
        snprintf(out, cap, "%.*s", mod ? (int)(mod - at) : (int)strcspn(at, "\n"), at);
    }
    for (char *p = out; *p; p++)
        if (*p == ';' || *p == '\n')
            *p = ':'; /* ';' separates frames in collapsed stacks */
}

static int read_stacks(const char *path, stacks_t *st)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    char line[4096], name[4096];
    int rc = 0;
    site_t *cur = NULL;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        unsigned id;
        double lb, lk;
        if (sscanf(line, "site %u live_bytes %lf live_blocks %lf", &id, &lb, &lk) == 3) {
            if (st->nsites == st->cap) {
                size_t cap = st->cap ? 2 * st->cap : 64;
                site_t *n = realloc(st->sites, cap * sizeof *n);
                if (!n) {
                    rc = -ENOMEM;
                    break;
                }
                st->sites = n;
                st->cap = cap;
            }
            cur = &st->sites[st->nsites++];
            memset(cur, 0, sizeof *cur);
            cur->live_bytes = lb;
            cur->live_blocks = lk;
        } else if (cur && strstr(line, "      at ") == line && cur->nframes < MAX_FRAMES) {
            frame_name(line, name, sizeof name);
            int k = name_index(st, name);
            if (k < 0)
                rc = -ENOMEM;
            else
                cur->frame[cur->nframes++] = k;
        }
    }
    fclose(f);
    return rc;
}

static int write_collapsed(const char *path, const stacks_t *st)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    for (size_t i = 0; i < st->nsites; i++) {
        const site_t *s = &st->sites[i];
        if (s->nframes == 0 || s->live_bytes < 1)
            continue;
        for (int j = s->nframes - 1; j >= 0; j--)
            fprintf(f, "%s%s", st->names[s->frame[j]], j ? ";" : "");
        fprintf(f, " %.0f\n", s->live_bytes);
    }
    return fclose(f) == 0 ? 0 : -EIO;
}

/* ---- protobuf wire format ------------------------------------------------------------------ */

typedef struct pb {
    uint8_t *b;
    size_t len, cap;
    int oom;
} pb_t;

static void pb_bytes(pb_t *p, const void *data, size_t n)
{
    if (p->oom)
        return;
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap < p->len + n)
            cap *= 2;
        uint8_t *nb = realloc(p->b, cap);
        if (!nb) {
            p->oom = 1;
            return;
        }
        p->b = nb;
        p->cap = cap;
    }
    memcpy(p->b + p->len, data, n);
    p->len += n;
}

static void pb_varint(pb_t *p, uint64_t v)
{
    uint8_t buf[10];
    size_t n = 0;
    do {
        buf[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    pb_bytes(p, buf, n);
}

static void pb_uint(pb_t *p, unsigned field, uint64_t v) /* wire type 0 */
{
    pb_varint(p, (uint64_t)field << 3);
    pb_varint(p, v);
}

static void pb_len(pb_t *p, unsigned field, const void *data, size_t n) /* wire type 2 */
{
    pb_varint(p, (uint64_t)field << 3 | 2);
    pb_varint(p, n);
    pb_bytes(p, data, n);
}

static void pb_message(pb_t *p, unsigned field, pb_t *sub)
{
    pb_len(p, field, sub->b, sub->len);
    p->oom |= sub->oom;
    sub->len = 0;
}

/* profile.proto's field numbers */
enum {
    PROFILE_SAMPLE_TYPE = 1,
    PROFILE_SAMPLE = 2,
    PROFILE_LOCATION = 4,
    PROFILE_FUNCTION = 5,
    PROFILE_STRING_TABLE = 6,
    VALUE_TYPE_TYPE = 1,
    VALUE_TYPE_UNIT = 2,
    SAMPLE_LOCATION_ID = 1,
    SAMPLE_VALUE = 2,
    LOCATION_ID = 1,
    LOCATION_LINE = 4,
    LINE_FUNCTION_ID = 1,
    LINE_LINE = 2,
    FUNCTION_ID = 1,
    FUNCTION_NAME = 2,
    FUNCTION_SYSTEM_NAME = 3,
    FUNCTION_FILENAME = 4,
};

/* The string table: "" first, then the fixed words, then per frame name its function and file
 * ("function (file:line)" splits; others are their own name with no file). */
enum { STR_EMPTY, STR_INUSE_SPACE, STR_BYTES, STR_INUSE_OBJECTS, STR_COUNT, STR_FIXED };

static void split_frame(const char *name, char *fn, size_t fcap, char *file, size_t cap, long *line)
{
    const char *open = strstr(name, " (");
    const char *colon = open ? strrchr(open, ':') : NULL;
    *line = 0;
    file[0] = 0;
    if (!open || !colon) {
        snprintf(fn, fcap, "%s", name);
        return;
    }
    snprintf(fn, fcap, "%.*s", (int)(open - name), name);
    snprintf(file, cap, "%.*s", (int)(colon - open - 2), open + 2);
    *line = strtol(colon + 1, NULL, 10);
}

static int write_pprof(const char *path, const stacks_t *st)
{
    pb_t out = {0}, sub = {0}, line = {0};
    static const char *const fixed[] = {"", "inuse_space", "bytes", "inuse_objects", "count"};
    for (int t = 0; t < 2; t++) { /* sample types: (inuse_space, bytes), (inuse_objects, count) */
        pb_uint(&sub, VALUE_TYPE_TYPE, t ? STR_INUSE_OBJECTS : STR_INUSE_SPACE);
        pb_uint(&sub, VALUE_TYPE_UNIT, t ? STR_COUNT : STR_BYTES);
        pb_message(&out, PROFILE_SAMPLE_TYPE, &sub);
    }
    for (size_t i = 0; i < st->nsites; i++) {
        const site_t *s = &st->sites[i];
        for (int j = 0; j < s->nframes; j++) /* location ids: frame name index + 1 */
            pb_uint(&sub, SAMPLE_LOCATION_ID, (uint64_t)s->frame[j] + 1);
        pb_uint(&sub, SAMPLE_VALUE, (uint64_t)(s->live_bytes + 0.5));
        pb_uint(&sub, SAMPLE_VALUE, (uint64_t)(s->live_blocks + 0.5));
        pb_message(&out, PROFILE_SAMPLE, &sub);
    }
    char fn[4096], file[4096];
    long lineno;
    for (size_t k = 0; k < st->nnames; k++) { /* location k+1 -> function k+1, one line */
        split_frame(st->names[k], fn, sizeof fn, file, sizeof file, &lineno);
        pb_uint(&sub, LOCATION_ID, k + 1);
        pb_uint(&line, LINE_FUNCTION_ID, k + 1);
        pb_uint(&line, LINE_LINE, (uint64_t)lineno);
        pb_message(&sub, LOCATION_LINE, &line);
        pb_message(&out, PROFILE_LOCATION, &sub);
    }
    for (size_t k = 0; k < st->nnames; k++) { /* strings: fixed, then a name and file each */
        uint64_t name_str = STR_FIXED + 2 * k, file_str = STR_FIXED + 2 * k + 1;
        pb_uint(&sub, FUNCTION_ID, k + 1);
        pb_uint(&sub, FUNCTION_NAME, name_str);
        pb_uint(&sub, FUNCTION_SYSTEM_NAME, name_str);
        pb_uint(&sub, FUNCTION_FILENAME, file_str);
        pb_message(&out, PROFILE_FUNCTION, &sub);
    }
    for (int i = 0; i < STR_FIXED; i++)
        pb_len(&out, PROFILE_STRING_TABLE, fixed[i], strlen(fixed[i]));
    for (size_t k = 0; k < st->nnames; k++) {
        split_frame(st->names[k], fn, sizeof fn, file, sizeof file, &lineno);
        pb_len(&out, PROFILE_STRING_TABLE, fn, strlen(fn));
        pb_len(&out, PROFILE_STRING_TABLE, file, strlen(file));
    }
    int rc = out.oom || sub.oom || line.oom ? -ENOMEM : 0;
    FILE *f = rc ? NULL : fopen(path, "wb");
    if (!rc && !f)
        rc = -errno;
    if (f && (fwrite(out.b, 1, out.len, f) != out.len) + (fclose(f) != 0))
        rc = -EIO;
    free(out.b);
    free(sub.b);
    free(line.b);
    return rc;
}

/* Writes the export into dir/name through dir/name.tmp. */
static int export_one(const char *dir, const char *prefix, const char *name, const stacks_t *st,
                      int (*write)(const char *, const stacks_t *))
{
    char path[PATH_MAX + 64], tmp[PATH_MAX + 80];
    if (snprintf(path, sizeof path, "%s/%s%s", dir, prefix, name) >= (int)sizeof path)
        return -ENAMETOOLONG;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc = write(tmp, st);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc)
        remove(tmp);
    return rc;
}

int drv_export_stacks(const char *dir, const char *prefix)
{
    char path[PATH_MAX + 64];
    if (snprintf(path, sizeof path, "%s/%sstacks.txt", dir, prefix) >= (int)sizeof path)
        return -ENAMETOOLONG;
    stacks_t st = {0};
    int rc = read_stacks(path, &st);
    if (rc == 0)
        rc = export_one(dir, prefix, "stacks.collapsed", &st, write_collapsed);
    if (rc == 0)
        rc = export_one(dir, prefix, "profile.pb", &st, write_pprof);
    stacks_free(&st);
    return rc;
}
