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

int acct_symbolize_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    char **lines = NULL;
    size_t nlines = 0, cap = 0, nframes = 0;
    frame_t *frames = NULL;
    char *line = NULL;
    size_t lcap = 0;
    while (getline(&line, &lcap, f) >= 0) {
        if (nlines == cap) {
            cap = cap ? cap * 2 : 256;
            char **nl = realloc(lines, cap * sizeof *lines);
            frame_t *nf = realloc(frames, cap * sizeof *frames);
            if (nl)
                lines = nl;
            if (nf)
                frames = nf;
            if (!nl || !nf)
                break;
        }
        lines[nlines] = strdup(line);
        frame_t fr;
        memset(&fr, 0, sizeof fr);
        char *at = strstr(line, "at 0x");
        char *open_paren = at ? strstr(at, " (") : NULL;
        char *plus = open_paren ? strstr(open_paren, "+0x") : NULL;
        if (at && open_paren && plus && plus - open_paren - 2 < (long)sizeof fr.module &&
            open_paren[2] == '/') {
            fr.line = nlines;
            fr.addr = strtoul(at + 3, NULL, 16);
            memcpy(fr.module, open_paren + 2, (size_t)(plus - open_paren - 2));
            fr.off = strtoul(plus + 1, NULL, 16);
            frames[nframes++] = fr;
        }
        nlines++;
    }
    free(line);
    fclose(f);

    qsort(frames, nframes, sizeof *frames, by_module);
    for (size_t i = 0; i < nframes;) {
        size_t j = i;
        while (j < nframes && !strcmp(frames[j].module, frames[i].module))
            j++;
        resolve_module(frames, i, j);
        i = j;
    }
    qsort(frames, nframes, sizeof *frames, by_line);

    int resolved = 0;
    FILE *out = fopen(path, "w");
    if (!out) {
        int e = errno;
        for (size_t i = 0; i < nlines; i++)
            free(lines[i]);
        free(lines);
        free(frames);
        return -e;
    }
    size_t k = 0;
    for (size_t i = 0; i < nlines; i++) {
        frame_t *fr = k < nframes && frames[k].line == i ? &frames[k++] : NULL;
        if (fr && fr->func && strcmp(fr->func, "??") != 0) {
            const char *base = strrchr(fr->module, '/');
            base = base ? base + 1 : fr->module;
            char *indent_end = strstr(lines[i], "at 0x");
            fprintf(out, "%.*sat %s", (int)(indent_end - lines[i]), lines[i], fr->func);
            if (fr->where && strncmp(fr->where, "??", 2) != 0)
                fprintf(out, " (%s)", fr->where);
            fprintf(out, " [%s]\n", base);
            resolved++;
        } else {
            fputs(lines[i], out);
        }
        if (fr) {
            free(fr->func);
            free(fr->where);
        }
        free(lines[i]);
    }
    fclose(out);
    free(lines);
    free(frames);
    return resolved;
}
