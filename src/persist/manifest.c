/*
 * src/persist/manifest.c: the log directory's manifest, in Redis 7.0's multi-part AOF format
 * (one line per file: `file <name> seq <n> type b|i`, the base first, then the incremental
 * files oldest first), so redis-check-aof and redis-server 7.0 read flatline's log directory.
 * The manifest is always replaced durably: a crash leaves the old or the new one.
 */
#include "persist_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int flpi_manifest_read(const char *dir, const char *aofname, flpi_manifest_t *m, char *err,
                       size_t errlen)
{
    char path[FLP_PATH_MAX * 3];
    snprintf(path, sizeof(path), "%s/%s.manifest", dir, aofname);
    memset(m, 0, sizeof(*m));
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -errno;
    }
    char line[FLP_PATH_MAX * 2];
    int lineno = 0, rc = 1;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        char name[FLP_PATH_MAX], type = 0;
        long long seq = 0;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "file %255s seq %lld type %c", name, &seq, &type) != 3 ||
            (type != 'b' && type != 'i' && type != 'h')) {
            snprintf(err, errlen, "%s:%d: bad manifest line (run redis-check-aof %s)", path, lineno,
                     path);
            rc = -EINVAL;
            break;
        }
        if (type == 'h') /* history: files a rewrite replaced, not to load */
            continue;
        if (type == 'b') {
            snprintf(m->base, sizeof(m->base), "%s", name);
            m->base_seq = seq;
        } else if (m->n_incr == FLPI_INCR_MAX) {
            snprintf(err, errlen, "%s: more than %d incremental files", path, FLPI_INCR_MAX);
            rc = -EINVAL;
            break;
        } else {
            snprintf(m->incr[m->n_incr], sizeof(m->incr[0]), "%s", name);
            m->incr_seq[m->n_incr++] = seq;
        }
    }
    fclose(f);
    return rc;
}

int flpi_manifest_write(const char *dir, const char *aofname, const flpi_manifest_t *m)
{
    char text[(FLP_PATH_MAX + 48) * (FLPI_INCR_MAX + 1)];
    size_t n = 0;
    if (m->base[0])
        n += (size_t)snprintf(text + n, sizeof(text) - n, "file %s seq %lld type b\n", m->base,
                              m->base_seq);
    for (int i = 0; i < m->n_incr; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "file %s seq %lld type i\n", m->incr[i],
                              m->incr_seq[i]);
    char name[FLP_PATH_MAX + 16];
    snprintf(name, sizeof(name), "%s.manifest", aofname);
    return flpi_replace_file(dir, name, text, n);
}
