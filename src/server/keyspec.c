/*
 * src/server/keyspec.c: where a command's keys are among its arguments, defined once for
 * everything that needs them (ACL key patterns, MULTI's batch of keys, COMMAND GETKEYS and
 * COMMAND INFO's key specifications). A command row gives a range (first_key..last_key by
 * step, last_key < 0 counting from the end) and, for commands that count their keys, the
 * index of the numkeys argument (flag SRV_CMD_NUMKEYS_1 or _2): its keys follow it; a write
 * flagged SRV_CMD_SOURCES_AFTER_FIRST only reads the keys of its range after the first. SORT is
 * the one command whose key is found by parsing its options (STORE dest, cmd_sort.c): its
 * sorted key is then only read. BITFIELD's key is only read when its operations are all GETs
 * (srv_bitfield_reads_only), as Redis's key flags for it say.
 */
#include "srv.h"
#include "srv_cmd.h"

#include <string.h>

/* The count at argv[at] when it is a number the arguments can hold; -1 otherwise. */
static long long key_count(int argc, const fl_slice_t *argv, int at)
{
    long long n;
    if (at >= argc || !srv_str_to_ll(argv[at].p, argv[at].n, &n))
        return -1;
    if (n < 0 || n > argc - at - 1)
        return -1;
    return n;
}

int srv_cmd_each_key(const srv_cmd_t *cmd, int argc, const fl_slice_t *argv, srv_key_fn *fn,
                     void *ctx)
{
    if (strcmp(cmd->name, "sort") == 0) {
        int store = srv_sort_store_pos(argc, argv);
        if (argc > 1 && !fn(ctx, 1, true))
            return SRV_KEYS_STOPPED;
        return store > 0 && !fn(ctx, store, false) ? SRV_KEYS_STOPPED : SRV_KEYS_ALL;
    }
    if (strcmp(cmd->name, "bitfield") == 0) /* a read-only BITFIELD only reads its key */
        return argc > 1 && !fn(ctx, 1, srv_bitfield_reads_only(argc, argv)) ? SRV_KEYS_STOPPED
                                                                            : SRV_KEYS_ALL;
    if (cmd->first_key > 0) {
        int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
        int step = cmd->step > 0 ? cmd->step : 1;
        bool sources = cmd->flags & SRV_CMD_SOURCES_AFTER_FIRST;
        for (int k = cmd->first_key; k <= last && k < argc; k += step)
            if (!fn(ctx, k, sources && k > cmd->first_key))
                return SRV_KEYS_STOPPED;
    }
    int at = srv_cmd_numkeys_at(cmd);
    if (at == 0)
        return SRV_KEYS_ALL;
    long long n = key_count(argc, argv, at);
    if (n < 0)
        return SRV_KEYS_BAD_COUNT;
    /* a write command with its own key range (the destination) only reads the counted keys */
    bool source = cmd->first_key > 0 && (cmd->flags & SRV_CMD_WRITE);
    for (long long i = 0; i < n; i++)
        if (!fn(ctx, at + 1 + (int)i, source))
            return SRV_KEYS_STOPPED;
    return SRV_KEYS_ALL;
}

int srv_cmd_numkeys_at(const srv_cmd_t *cmd)
{
    return (cmd->flags & SRV_CMD_NUMKEYS_1) ? 1 : (cmd->flags & SRV_CMD_NUMKEYS_2) ? 2 : 0;
}

bool srv_cmd_has_keys(const srv_cmd_t *cmd)
{
    return cmd->first_key > 0 || srv_cmd_numkeys_at(cmd) > 0;
}
