/*
 * src/acct/symbolize.c: turns the library's raw frames into function and file:line, after the
 * program exited (outside its hot path, in the driver's own process): frames are grouped by
 * module and each module is asked with `addr2line -f -C -e MODULE addresses...`, run without a
 * shell (spawn.c), so module paths with quotes or spaces are passed as they are.
 * Frame line form in:  "      at 0xADDR (MODULE+0xOFF) symbol+0xN"
 *                 out: "      at function (file:line) [module]"  (file:line only with debug info)
 * Lines it cannot resolve are left as they were.
 */
#include "acct_internal.h"
#include "driver_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct frame {
    size_t line; /* index into lines */
    char module[512];
    unsigned long addr, off;
    char *func, *where; /* addr2line's answer */
} frame_t;

/* True for a non-PIE executable: addr2line wants absolute addresses there. */
static int is_exec_type(const char *module)
{
    unsigned char h[18];
    int fd = open(module, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    return n == (ssize_t)sizeof h && !memcmp(h, "\177ELF", 4) && h[16] == 2 && h[17] == 0;
}

static char *chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

enum { BATCH = 256 }; /* addresses per addr2line run (its argv stays far below ARG_MAX) */

/* Asks addr2line about frames[from..to) (same module, at most BATCH): the module and the
 * addresses go in argv (no shell, so any path works), the answers come back through a pipe. */
static void resolve_batch(frame_t *frames, size_t from, size_t to, int absolute)
{
    char addrs[BATCH][24];
    char *argv[6 + BATCH] = {"addr2line", "-f", "-C", "-e", frames[from].module};
    size_t argc = 5;
    for (size_t i = from; i < to; i++, argc++) {
        snprintf(addrs[i - from], sizeof addrs[0], "%#lx",
                 absolute ? frames[i].addr : frames[i].off);
        argv[argc] = addrs[i - from];
    }
    argv[argc] = NULL;
    int fd;
    pid_t pid = drv_spawn(argv, NULL, &fd);
    if (pid < 0)
        return;
    FILE *p = fdopen(fd, "r");
    if (!p) {
        close(fd);
        drv_wait(pid);
        return;
    }
    char fn[1024], where[2048];
    for (size_t i = from; i < to; i++) {
        if (!fgets(fn, sizeof fn, p) || !fgets(where, sizeof where, p))
            break;
        char *disc = strstr(where, " (discriminator"); /* which basic block: not for people */
        if (disc)
            *disc = 0;
        frames[i].func = strdup(chomp(fn));
        frames[i].where = strdup(chomp(where));
    }
    fclose(p); /* addr2line may get SIGPIPE if it said more than expected: its answers are in */
    drv_wait(pid);
}

/* Asks addr2line about every frame of frames[from..to) (same module). */
static void resolve_module(frame_t *frames, size_t from, size_t to)
{
    int absolute = is_exec_type(frames[from].module);
    for (size_t i = from; i < to; i += BATCH)
        resolve_batch(frames, i, to - i > BATCH ? i + BATCH : to, absolute);
}

static int by_module(const void *a, const void *b)
{
    return strcmp(((const frame_t *)a)->module, ((const frame_t *)b)->module);
}

static int by_line(const void *a, const void *b)
{
    size_t x = ((const frame_t *)a)->line, y = ((const frame_t *)b)->line;
    return x < y ? -1 : x > y;
}

/* The file's lines and the frames found in them (frames[k].line indexes lines). */
typedef struct text {
    char **lines;
    size_t nlines, cap;
    frame_t *frames;
    size_t nframes;
} text_t;

static void text_free(text_t *t)
{
    for (size_t i = 0; i < t->nlines; i++)
        free(t->lines[i]);
    for (size_t k = 0; k < t->nframes; k++) {
        free(t->frames[k].func);
        free(t->frames[k].where);
    }
    free(t->lines);
    free(t->frames);
}

/* Parses "at 0xADDR (/MODULE+0xOFF)..." in line into fr. Returns 1 for a frame line, else 0. */
static int parse_frame(const char *line, frame_t *fr)
{
    memset(fr, 0, sizeof *fr);
    const char *at = strstr(line, "at 0x");
    const char *open_paren = at ? strstr(at, " (") : NULL;
    const char *plus = open_paren ? strstr(open_paren, "+0x") : NULL;
    if (!plus || plus - open_paren - 2 >= (long)sizeof fr->module || open_paren[2] != '/')
        return 0;
    fr->addr = strtoul(at + 3, NULL, 16);
    memcpy(fr->module, open_paren + 2, (size_t)(plus - open_paren - 2));
    fr->off = strtoul(plus + 1, NULL, 16);
    return 1;
}

/* Reads f's lines into t, noting the frame lines. Returns 0 or -ENOMEM. */
static int read_text(FILE *f, text_t *t)
{
    char *line = NULL;
    size_t lcap = 0;
    int rc = 0;
    while (getline(&line, &lcap, f) >= 0) {
        if (t->nlines == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 256;
            char **nl = realloc(t->lines, cap * sizeof *nl);
            if (nl)
                t->lines = nl;
            frame_t *nf = nl ? realloc(t->frames, cap * sizeof *nf) : NULL;
            if (nf)
                t->frames = nf;
            if (!nl || !nf) {
                rc = -ENOMEM;
                break;
            }
            t->cap = cap;
        }
        if (!(t->lines[t->nlines] = strdup(line))) {
            rc = -ENOMEM;
            break;
        }
        frame_t *fr = &t->frames[t->nframes];
        if (parse_frame(line, fr)) {
            fr->line = t->nlines;
            t->nframes++;
        }
        t->nlines++;
    }
    free(line);
    return rc;
}

/* Asks addr2line about all frames, one module at a time; frames end up in line order again. */
static void resolve_all(text_t *t)
{
    qsort(t->frames, t->nframes, sizeof *t->frames, by_module);
    for (size_t i = 0; i < t->nframes;) {
        size_t j = i;
        while (j < t->nframes && !strcmp(t->frames[j].module, t->frames[i].module))
            j++;
        resolve_module(t->frames, i, j);
        i = j;
    }
    qsort(t->frames, t->nframes, sizeof *t->frames, by_line);
}

/* Writes t to out, resolved frames as "at function (file:line) [module]". Returns how many. */
static int write_text(FILE *out, const text_t *t)
{
    int resolved = 0;
    size_t k = 0;
    for (size_t i = 0; i < t->nlines; i++) {
        const frame_t *fr = k < t->nframes && t->frames[k].line == i ? &t->frames[k++] : NULL;
        if (!fr || !fr->func || !strcmp(fr->func, "??")) {
            fputs(t->lines[i], out);
            continue;
        }
        const char *base = strrchr(fr->module, '/');
        base = base ? base + 1 : fr->module;
        const char *indent_end = strstr(t->lines[i], "at 0x");
        fprintf(out, "%.*sat %s", (int)(indent_end - t->lines[i]), t->lines[i], fr->func);
        if (fr->where && strncmp(fr->where, "??", 2) != 0)
            fprintf(out, " (%s)", fr->where);
        fprintf(out, " [%s]\n", base);
        resolved++;
    }
    return resolved;
}

int acct_symbolize_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    text_t t = {0};
    int rc = read_text(f, &t);
    fclose(f);
    if (rc == 0) {
        resolve_all(&t);
        FILE *out = fopen(path, "w");
        if (!out) {
            rc = -errno;
        } else {
            rc = write_text(out, &t);
            if (fclose(out) != 0)
                rc = -EIO;
        }
    }
    text_free(&t);
    return rc;
}
