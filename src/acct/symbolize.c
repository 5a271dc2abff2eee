/*
 * src/acct/symbolize.c: turns the library's raw frames into function and file:line, after the
 * program exited (outside its hot path, in the driver's own process): frames are grouped by
 * module, each module is opened once with libdw (dwarf.c: its symbols, DWARF lines and inline
 * frames, separate debug files by build-id), and each frame line is rewritten in place.
 * Frame line form in:  "      at 0xADDR (MODULE+0xOFF)" (anything after it is ignored)
 *                 out: "      at function (file:line) [module]"  (file:line with debug info),
 *                      one such line per inlined call above it ("... (inlined) [module]"),
 *                      or "      at module+0xOFF [module]" when no symbol contains the address.
 * Lines of modules that cannot be opened are left as they were.
 */
#include "acct_internal.h"
#include "driver_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct frame {
    size_t line; /* index into lines */
    char module[512];
    unsigned long addr, off;
    char *text; /* the resolved frames, one per line (NULL: unresolved) */
} frame_t;

/* The modules opened so far, kept open until acct_symbolize_release(): a run's report, events,
 * stacks and on-demand reports name the same modules, and opening one (libdw reads its debug
 * sections, decompressing them whole: about 0.1 s for glibc's) costs far more than resolving
 * its frames. A module that could not be opened is remembered too (d NULL). */
#define MODULES_KEPT 64
static struct module {
    char path[512];
    drv_dwarf_t *d;
} modules[MODULES_KEPT];
static int nmodules;

/* The module at path, opened once; *kept is 0 when the table is full (the caller closes it). */
static drv_dwarf_t *module_open(const char *path, int *kept)
{
    *kept = 1;
    for (int i = 0; i < nmodules; i++)
        if (!strcmp(modules[i].path, path))
            return modules[i].d;
    drv_dwarf_t *d = drv_dwarf_open(path);
    if (nmodules == MODULES_KEPT) {
        *kept = 0;
        return d;
    }
    snprintf(modules[nmodules].path, sizeof modules[nmodules].path, "%s", path);
    modules[nmodules++].d = d;
    return d;
}

void acct_symbolize_release(void)
{
    for (int i = 0; i < nmodules; i++)
        drv_dwarf_close(modules[i].d);
    nmodules = 0;
}

/* Resolves every frame of frames[from..to) (same module). */
static void resolve_module(frame_t *frames, size_t from, size_t to)
{
    int kept;
    drv_dwarf_t *d = module_open(frames[from].module, &kept);
    if (!d)
        return;
    char buf[8192];
    for (size_t i = from; i < to; i++) {
        drv_dwarf_frame(d, frames[i].off, buf, sizeof buf);
        frames[i].text = strdup(buf);
    }
    if (!kept)
        drv_dwarf_close(d);
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
    for (size_t k = 0; k < t->nframes; k++)
        free(t->frames[k].text);
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

/* Resolves all frames, one module at a time; frames end up in line order again. */
static void resolve_all(text_t *t)
{
    if (t->nframes == 0)
        return; /* (an empty file has no frames array: qsort wants one) */
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

/* Writes t to out, each resolved frame as its lines "at ... [module]". Returns how many. */
static int write_text(FILE *out, const text_t *t)
{
    int resolved = 0;
    size_t k = 0;
    for (size_t i = 0; i < t->nlines; i++) {
        const frame_t *fr = k < t->nframes && t->frames[k].line == i ? &t->frames[k++] : NULL;
        if (!fr || !fr->text) {
            fputs(t->lines[i], out);
            continue;
        }
        const char *base = strrchr(fr->module, '/');
        base = base ? base + 1 : fr->module;
        int indent = (int)(strstr(t->lines[i], "at 0x") - t->lines[i]);
        for (const char *p = fr->text; *p;) {
            size_t len = strcspn(p, "\n");
            fprintf(out, "%.*sat %.*s [%s]\n", indent, t->lines[i], (int)len, p, base);
            p += len + (p[len] == '\n');
        }
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
