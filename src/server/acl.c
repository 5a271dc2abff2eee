/*
 * src/server/acl.c: the user registry, ACL rules (Redis 7.0's grammar) and permission checks.
 *
 * Model: a user (srv_acl_user_t, reference counted: the registry holds one, every session
 * using it one) points to its current rules, an immutable srv_acl_perms_t (also reference
 * counted). Changing a user builds a new snapshot from a copy, then publishes it under the
 * user's mutex and bumps the user's version. A session compares the version with the one it
 * cached (one atomic load of a line written only by ACL changes) and takes the new snapshot
 * only when it moved.
 *
 * Invariants: `users` is sorted by name, strictly; "default" is always in it (acl->deflt);
 * a published snapshot is never modified; acl->default_open mirrors the default user's
 * current snapshot (on and nopass). Locks: acl->mu (writers; readers of `users`) is taken
 * before a user's mu, never the other way.
 *
 * Memory: the registry, users and snapshots live as long as the server and are released by
 * whichever worker drops the last reference, so they are in the "server" server-lifetime arena
 * (lifetime.h), through its unsized calls (rule lists shrink in place without their sizes).
 * What ACL LOAD parses before it publishes is the calling worker's transient memory.
 */
#include "acl.h"
#include "fl_assert.h"
#include "lifetime.h"
#include "script_lua.h"
#include "srv.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define CMD_WORDS (SRV_CMDS_MAX / 64)
#define HASH_HEX 64

enum {
    U_ON = 0x1,
    U_NOPASS = 0x2,
    U_ALLKEYS = 0x4,
    U_ALLCHANNELS = 0x8,
    U_FUTURE_CMDS = 0x10, /* +@all: commands the table may gain (describes as "+@all ...") */
    U_SANITIZE = 0x20,
    U_SKIP_SANITIZE = 0x40,
};
enum { PERM_R = 1, PERM_W = 2, PERM_RW = 3 };

typedef struct pattern {
    char *p;
    size_t n;
    unsigned perm; /* PERM_*: keys; channels use PERM_RW */
} pattern_t;

typedef struct firstarg {
    size_t id; /* command */
    char *arg; /* allowed first argument, lower case */
} firstarg_t;

struct srv_acl_perms {
    _Atomic long refs;
    unsigned flags;
    uint64_t cmds[CMD_WORDS];
    bool every_cmd; /* every command bit set (computed at publish): the check is skipped */
    char (*pass)[HASH_HEX + 1];
    size_t npass;
    pattern_t *keys, *chans;
    size_t nkeys, nchans;
    firstarg_t *first;
    size_t nfirst;
};

struct srv_acl_user {
    char *name;
    size_t nlen;
    _Atomic long refs;
    _Atomic uint64_t version; /* bumped after perms changes */
    _Atomic bool deleted;
    pthread_mutex_t mu;     /* protects perms (the pointer; the snapshot is immutable) */
    srv_acl_perms_t *perms; /* the registry's reference to the current snapshot */
};

struct srv_acl {
    srv_acl_log_t *log; /* ACL LOG (acl_log.c) */
    pthread_mutex_t mu; /* writers, and readers of users[] */
    srv_acl_user_t **users;
    size_t n, cap;
    srv_acl_user_t *deflt;
    _Atomic bool default_open; /* default user on + nopass: no AUTH needed */
};

/* Redis's ACLSetUserStringError() reasons. */
static const char *const why_enoent = "Unknown command or category name in ACL";
static const char *const why_einval = "Syntax error";
static const char *const why_eexist =
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns";
static const char *const why_eisdir =
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not "
    "have any effect. Try 'resetchannels' to start with an empty list of channels";
static const char *const why_enodev =
    "The password you are trying to remove from the user does not exist";
static const char *const why_ebadmsg = "The password hash must be exactly 64 characters and "
                                       "contain only lowercase hexadecimal characters";
static const char *const why_nomem = "Out of memory";

static const char *const category_names[] = {
#define CAT_NAME(id, name) name,
    SRV_ACL_CATEGORIES(CAT_NAME)
#undef CAT_NAME
};

const char *srv_acl_category_name(int i)
{
    return i >= 0 && i < SRV_ACL_NCATEGORIES ? category_names[i] : NULL;
}

int srv_acl_category_bit(const char *name, size_t len)
{
    for (int i = 0; i < SRV_ACL_NCATEGORIES; i++)
        if (strlen(category_names[i]) == len && strncasecmp(category_names[i], name, len) == 0)
            return i;
    if (len == 3 && strncasecmp(name, "all", 3) == 0)
        return SRV_ACL_NCATEGORIES; /* "@all": every command */
    return -1;
}

static bool slice_is(const char *p, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/* ---- Snapshots ---------------------------------------------------------------------------- */

static void patterns_free(pattern_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        srv_keep_free_unsized(SRV_ARENA_SERVER, v[i].p);
    srv_keep_free_unsized(SRV_ARENA_SERVER, v);
}

static void perms_unref(srv_acl_perms_t *p)
{
    if (!p)
        return;
    long before = atomic_fetch_sub(&p->refs, 1);
    FL_ASSERT(before > 0);
    if (before != 1)
        return;
    srv_keep_free_unsized(SRV_ARENA_SERVER, p->pass);
    patterns_free(p->keys, p->nkeys);
    patterns_free(p->chans, p->nchans);
    for (size_t i = 0; i < p->nfirst; i++)
        srv_keep_free_unsized(SRV_ARENA_SERVER, p->first[i].arg);
    srv_keep_free_unsized(SRV_ARENA_SERVER, p->first);
    srv_keep_free_unsized(SRV_ARENA_SERVER, p);
}

static void perms_ref(srv_acl_perms_t *p)
{
    atomic_fetch_add(&p->refs, 1);
}

static pattern_t *patterns_dup(const pattern_t *v, size_t n)
{
    if (n == 0)
        return NULL;
    pattern_t *d = srv_keep_zalloc(SRV_ARENA_SERVER, n, sizeof(*d));
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        d[i] = v[i];
        d[i].p = srv_keep_malloc(SRV_ARENA_SERVER, v[i].n + 1);
        if (!d[i].p) {
            patterns_free(d, i);
            return NULL;
        }
        memcpy(d[i].p, v[i].p, v[i].n + 1);
    }
    return d;
}

/* A private, unpublished copy of p (refs 1), or NULL. */
static srv_acl_perms_t *perms_copy(const srv_acl_perms_t *p)
{
    srv_acl_perms_t *d = srv_keep_zalloc(SRV_ARENA_SERVER, 1, sizeof(*d));
    if (!d)
        return NULL;
    atomic_init(&d->refs, 1);
    d->flags = p->flags;
    memcpy(d->cmds, p->cmds, sizeof(d->cmds));
    d->npass = p->npass;
    d->nkeys = p->nkeys;
    d->nchans = p->nchans;
    d->nfirst = p->nfirst;
    if (p->npass && !(d->pass = srv_keep_malloc(SRV_ARENA_SERVER, p->npass * sizeof(*d->pass))))
        goto fail;
    if (p->npass)
        memcpy(d->pass, p->pass, p->npass * sizeof(*d->pass));
    if ((p->nkeys && !(d->keys = patterns_dup(p->keys, p->nkeys))) ||
        (p->nchans && !(d->chans = patterns_dup(p->chans, p->nchans))))
        goto fail;
    if (p->nfirst && !(d->first = srv_keep_zalloc(SRV_ARENA_SERVER, p->nfirst, sizeof(*d->first))))
        goto fail;
    for (size_t i = 0; i < p->nfirst; i++) {
        d->first[i].id = p->first[i].id;
        if (!(d->first[i].arg = srv_keep_strdup(SRV_ARENA_SERVER, p->first[i].arg)))
            goto fail;
    }
    return d;
fail:
    if (!d->keys)
        d->nkeys = 0;
    if (!d->chans)
        d->nchans = 0;
    perms_unref(d);
    return NULL;
}

static srv_acl_perms_t *perms_new(void)
{
    srv_acl_perms_t *p = srv_keep_zalloc(SRV_ARENA_SERVER, 1, sizeof(*p));
    if (p)
        atomic_init(&p->refs, 1);
    return p;
}

static bool cmd_bit(const srv_acl_perms_t *p, size_t id)
{
    return (p->cmds[id / 64] >> (id % 64)) & 1u;
}

static void firstargs_drop(srv_acl_perms_t *p, size_t id)
{
    size_t w = 0;
    for (size_t i = 0; i < p->nfirst; i++) {
        if (p->first[i].id == id)
            srv_keep_free_unsized(SRV_ARENA_SERVER, p->first[i].arg);
        else
            p->first[w++] = p->first[i];
    }
    p->nfirst = w;
}

static void set_bit(srv_acl_perms_t *p, size_t id, bool on)
{
    if (on)
        p->cmds[id / 64] |= (uint64_t)1 << (id % 64);
    else
        p->cmds[id / 64] &= ~((uint64_t)1 << (id % 64));
}

/* +cmd / -cmd: the entry's bit; a container's subcommands follow it, and the command's allowed
 * first args are forgotten (as Redis's ACLChangeSelectorPerm). */
static void set_cmd(srv_acl_perms_t *p, size_t id, bool on)
{
    set_bit(p, id, on);
    if (id >= srv_cmd_count())
        return; /* a subcommand */
    firstargs_drop(p, id);
    size_t first, n = srv_cmd_sub_range(id, &first);
    for (size_t k = 0; k < n; k++)
        set_bit(p, first + k, on);
}

static void set_all_cmds(srv_acl_perms_t *p, bool on)
{
    memset(p->cmds, on ? 0xff : 0, sizeof(p->cmds));
    for (size_t i = 0; i < p->nfirst; i++)
        srv_keep_free_unsized(SRV_ARENA_SERVER, p->first[i].arg);
    p->nfirst = 0;
    if (on)
        p->flags |= U_FUTURE_CMDS;
    else
        p->flags &= ~(unsigned)U_FUTURE_CMDS;
}

/* Every entry of the category, commands first (a container's own categories reach its
 * subcommands, then each subcommand's own apply), as Redis walks its table. */
static void set_category(srv_acl_perms_t *p, int bit, bool on)
{
    size_t n = srv_acl_entry_count();
    for (size_t i = 0; i < n; i++)
        if (srv_acl_entry_categories(i) & (1u << bit))
            set_cmd(p, i, on);
}

/* SHA-256 of the password as 64 lower-case hex digits. */
static void hash_password(const char *pw, size_t n, char out[HASH_HEX + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(pw, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        memset(out, 'x', HASH_HEX); /* matches no valid hash: authentication fails */
        out[HASH_HEX] = '\0';
        return;
    }
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static bool valid_hash(const char *h, size_t n)
{
    if (n != HASH_HEX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return false;
    return true;
}

static ssize_t find_hash(const srv_acl_perms_t *p, const char *h)
{
    for (size_t i = 0; i < p->npass; i++)
        if (memcmp(p->pass[i], h, HASH_HEX) == 0)
            return (ssize_t)i;
    return -1;
}

static const char *add_hash(srv_acl_perms_t *p, const char *h)
{
    if (find_hash(p, h) < 0) {
        char(*v)[HASH_HEX + 1] =
            srv_keep_realloc_unsized(SRV_ARENA_SERVER, p->pass, (p->npass + 1) * sizeof(*v));
        if (!v)
            return why_nomem;
        p->pass = v;
        memcpy(p->pass[p->npass], h, HASH_HEX + 1);
        p->npass++;
    }
    p->flags &= ~(unsigned)U_NOPASS;
    return NULL;
}

static const char *del_hash(srv_acl_perms_t *p, const char *h)
{
    ssize_t i = find_hash(p, h);
    if (i < 0)
        return why_enodev;
    memmove(p->pass[i], p->pass[i + 1], (p->npass - (size_t)i - 1) * sizeof(*p->pass));
    p->npass--;
    return NULL;
}

static bool has_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
            return true;
    return false;
}

/* Adds a pattern (keys or channels); an existing one gains the permission. */
static const char *add_pattern(pattern_t **v, size_t *n, const char *s, size_t len, unsigned perm)
{
    if (has_space(s, len))
        return why_einval;
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i].n == len && memcmp((*v)[i].p, s, len) == 0) {
            (*v)[i].perm |= perm;
            return NULL;
        }
    pattern_t *nv = srv_keep_realloc_unsized(SRV_ARENA_SERVER, *v, (*n + 1) * sizeof(*nv));
    if (!nv)
        return why_nomem;
    *v = nv;
    char *copy = srv_keep_malloc(SRV_ARENA_SERVER, len + 1);
    if (!copy)
        return why_nomem;
    memcpy(copy, s, len);
    copy[len] = '\0';
    nv[*n] = (pattern_t){copy, len, perm};
    (*n)++;
    return NULL;
}

/* "~pat", "%R~pat", "%W~pat", "%RW~pat". */
static const char *key_rule(srv_acl_perms_t *p, const char *op, size_t n)
{
    if (p->flags & U_ALLKEYS)
        return why_eexist;
    unsigned perm = PERM_RW;
    size_t off = 1;
    if (op[0] == '%') {
        perm = 0;
        for (; off < n; off++) {
            char ch = op[off];
            if ((ch == 'R' || ch == 'r') && !(perm & PERM_R))
                perm |= PERM_R;
            else if ((ch == 'W' || ch == 'w') && !(perm & PERM_W))
                perm |= PERM_W;
            else if (ch == '~')
                break;
            else
                return why_einval;
        }
        if (off == n || perm == 0)
            return why_einval;
        off++;
    }
    return add_pattern(&p->keys, &p->nkeys, op + off, n - off, perm);
}

/* "+cmd", "-cmd", "+container|sub", "-container|sub", "+cmd|firstarg". */
static const char *command_rule(srv_acl_perms_t *p, const char *op, size_t n)
{
    bool on = op[0] == '+';
    const char *bar = memchr(op, '|', n);
    size_t namelen = bar ? (size_t)(bar - op) - 1 : n - 1;
    const srv_cmd_t *cmd = srv_cmd_lookup(op + 1, namelen);
    if (!cmd)
        return why_enoent;
    size_t id = srv_cmd_id(cmd);
    if (!bar) {
        set_cmd(p, id, on);
        return NULL;
    }
    size_t alen = n - (size_t)(bar - op) - 1, first;
    if (srv_cmd_sub_range(id, &first) > 0) { /* a subcommand with its own bit */
        ssize_t sid = srv_cmd_sub_id(id, bar + 1, alen);
        if (sid < 0)
            return why_enoent;
        set_bit(p, (size_t)sid, on);
        return NULL;
    }
    if (!on)
        return why_enoent; /* Redis: "-select|0" names no command */
    if (alen == 0 || memchr(bar + 1, '|', alen))
        return why_einval;
    if (cmd_bit(p, id))
        return NULL; /* the whole command is allowed already */
    char *arg = srv_keep_malloc(SRV_ARENA_SERVER, alen + 1);
    if (!arg)
        return why_nomem;
    for (size_t i = 0; i < alen; i++) {
        char ch = bar[1 + i];
        arg[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    arg[alen] = '\0';
    for (size_t i = 0; i < p->nfirst; i++)
        if (p->first[i].id == id && strcmp(p->first[i].arg, arg) == 0) {
            srv_keep_free_unsized(SRV_ARENA_SERVER, arg);
            return NULL;
        }
    firstarg_t *v =
        srv_keep_realloc_unsized(SRV_ARENA_SERVER, p->first, (p->nfirst + 1) * sizeof(*v));
    if (!v) {
        srv_keep_free_unsized(SRV_ARENA_SERVER, arg);
        return why_nomem;
    }
    p->first = v;
    v[p->nfirst++] = (firstarg_t){id, arg};
    return NULL;
}

static void reset_keys(srv_acl_perms_t *p)
{
    patterns_free(p->keys, p->nkeys);
    p->keys = NULL;
    p->nkeys = 0;
    p->flags &= ~(unsigned)U_ALLKEYS;
}

static void reset_channels(srv_acl_perms_t *p)
{
    patterns_free(p->chans, p->nchans);
    p->chans = NULL;
    p->nchans = 0;
    p->flags &= ~(unsigned)U_ALLCHANNELS;
}

static void reset_pass(srv_acl_perms_t *p)
{
    srv_keep_free_unsized(SRV_ARENA_SERVER, p->pass);
    p->pass = NULL;
    p->npass = 0;
    p->flags &= ~(unsigned)U_NOPASS;
}

/* Applies one rule to an unpublished snapshot: NULL, or Redis's reason. */
static const char *apply_rule(srv_acl_perms_t *p, const char *op, size_t n)
{
    char hash[HASH_HEX + 1];
    if (n == 0)
        return NULL; /* Redis: an empty rule does nothing */
    if (slice_is(op, n, "on")) {
        p->flags |= U_ON;
    } else if (slice_is(op, n, "off")) {
        p->flags &= ~(unsigned)U_ON;
    } else if (slice_is(op, n, "skip-sanitize-payload")) {
        p->flags = (p->flags | U_SKIP_SANITIZE) & ~(unsigned)U_SANITIZE;
    } else if (slice_is(op, n, "sanitize-payload")) {
        p->flags = (p->flags | U_SANITIZE) & ~(unsigned)U_SKIP_SANITIZE;
    } else if (slice_is(op, n, "nopass")) {
        reset_pass(p);
        p->flags |= U_NOPASS;
    } else if (slice_is(op, n, "resetpass")) {
        reset_pass(p);
    } else if (op[0] == '>' || op[0] == '<') {
        hash_password(op + 1, n - 1, hash);
        return op[0] == '>' ? add_hash(p, hash) : del_hash(p, hash);
    } else if (op[0] == '#' || op[0] == '!') {
        if (!valid_hash(op + 1, n - 1))
            return why_ebadmsg;
        memcpy(hash, op + 1, HASH_HEX);
        hash[HASH_HEX] = '\0';
        return op[0] == '#' ? add_hash(p, hash) : del_hash(p, hash);
    } else if (slice_is(op, n, "clearselectors")) {
        /* no selectors here: nothing to clear */
    } else if (slice_is(op, n, "reset")) {
        reset_pass(p);
        reset_keys(p);
        reset_channels(p);
        p->flags &= ~(unsigned)(U_ON | U_SKIP_SANITIZE);
        p->flags |= U_SANITIZE;
        set_all_cmds(p, false);
    } else if (slice_is(op, n, "allkeys") || slice_is(op, n, "~*")) {
        reset_keys(p);
        p->flags |= U_ALLKEYS;
    } else if (slice_is(op, n, "resetkeys")) {
        reset_keys(p);
    } else if (slice_is(op, n, "allchannels") || slice_is(op, n, "&*")) {
        reset_channels(p);
        p->flags |= U_ALLCHANNELS;
    } else if (slice_is(op, n, "resetchannels")) {
        reset_channels(p);
    } else if (slice_is(op, n, "allcommands") || slice_is(op, n, "+@all")) {
        set_all_cmds(p, true);
    } else if (slice_is(op, n, "nocommands") || slice_is(op, n, "-@all")) {
        set_all_cmds(p, false);
    } else if (op[0] == '~' || op[0] == '%') {
        return key_rule(p, op, n);
    } else if (op[0] == '&') {
        if (p->flags & U_ALLCHANNELS)
            return why_eisdir;
        return add_pattern(&p->chans, &p->nchans, op + 1, n - 1, PERM_RW);
    } else if ((op[0] == '+' || op[0] == '-') && n > 1 && op[1] == '@') {
        int bit = srv_acl_category_bit(op + 2, n - 2);
        if (bit < 0 || bit == SRV_ACL_NCATEGORIES)
            return why_enoent;
        set_category(p, bit, op[0] == '+');
    } else if ((op[0] == '+' || op[0] == '-') && n > 1) {
        return command_rule(p, op, n);
    } else {
        return why_einval;
    }
    return NULL;
}

/* ---- Users and the registry --------------------------------------------------------------- */

static void user_unref(srv_acl_user_t *u)
{
    if (!u)
        return;
    long before = atomic_fetch_sub(&u->refs, 1);
    FL_ASSERT(before > 0);
    if (before != 1)
        return;
    perms_unref(u->perms);
    pthread_mutex_destroy(&u->mu);
    srv_keep_free_unsized(SRV_ARENA_SERVER, u->name);
    srv_keep_free_unsized(SRV_ARENA_SERVER, u);
}

static srv_acl_user_t *user_new(const char *name, size_t n, srv_acl_perms_t *perms)
{
    srv_acl_user_t *u = srv_keep_zalloc(SRV_ARENA_SERVER, 1, sizeof(*u));
    if (!u || !(u->name = srv_keep_malloc(SRV_ARENA_SERVER, n + 1))) {
        srv_keep_free_unsized(SRV_ARENA_SERVER, u);
        return NULL;
    }
    memcpy(u->name, name, n);
    u->name[n] = '\0';
    u->nlen = n;
    atomic_init(&u->refs, 1);
    atomic_init(&u->version, 1);
    atomic_init(&u->deleted, false);
    pthread_mutex_init(&u->mu, NULL);
    u->perms = perms;
    return u;
}

/* Whether every command in the table is allowed (the check's fast path). */
static bool covers_every_cmd(const srv_acl_perms_t *p)
{
    size_t n = srv_acl_entry_count();
    for (size_t i = 0; i < n; i++)
        if (!cmd_bit(p, i))
            return false;
    return true;
}

/* Replaces u's snapshot by p (taking the caller's reference). Caller holds acl->mu. */
static void publish(srv_acl_t *acl, srv_acl_user_t *u, srv_acl_perms_t *p)
{
    FL_ASSERT(atomic_load(&p->refs) == 1); /* unpublished: only the builder holds it */
    p->every_cmd = covers_every_cmd(p);
    pthread_mutex_lock(&u->mu);
    srv_acl_perms_t *old = u->perms;
    u->perms = p;
    atomic_fetch_add_explicit(&u->version, 1, memory_order_release);
    pthread_mutex_unlock(&u->mu);
    perms_unref(old);
    if (u == acl->deflt)
        atomic_store(&acl->default_open, (p->flags & (U_ON | U_NOPASS)) == (U_ON | U_NOPASS));
}

static int name_cmp(const srv_acl_user_t *u, const char *name, size_t n)
{
    size_t m = u->nlen < n ? u->nlen : n;
    int c = memcmp(u->name, name, m);
    return c ? c : (u->nlen > n) - (u->nlen < n);
}

/* Index of name in users[], or -(insertion point) - 1. Caller holds acl->mu. */
static ssize_t find_user(const srv_acl_t *acl, const char *name, size_t n)
{
    size_t lo = 0, hi = acl->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = name_cmp(acl->users[mid], name, n);
        if (c == 0)
            return (ssize_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(ssize_t)lo - 1;
}

/* The invariant find_user relies on: users[] strictly sorted by name (debug builds check it). */
static bool users_sorted(const srv_acl_t *acl)
{
    for (size_t i = 1; i < acl->n; i++)
        if (name_cmp(acl->users[i - 1], acl->users[i]->name, acl->users[i]->nlen) >= 0)
            return false;
    return true;
}

static int insert_user(srv_acl_t *acl, size_t at, srv_acl_user_t *u)
{
    if (acl->n == acl->cap) {
        size_t cap = acl->cap ? acl->cap * 2 : 8;
        srv_acl_user_t **v =
            srv_keep_realloc_unsized(SRV_ARENA_SERVER, acl->users, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        acl->users = v;
        acl->cap = cap;
    }
    memmove(acl->users + at + 1, acl->users + at, (acl->n - at) * sizeof(*acl->users));
    acl->users[at] = u;
    acl->n++;
    FL_DEBUG_ASSERT(users_sorted(acl));
    return 0;
}

static void remove_user(srv_acl_t *acl, size_t at)
{
    srv_acl_user_t *u = acl->users[at];
    FL_ASSERT(u != acl->deflt); /* "default" is never removed */
    memmove(acl->users + at, acl->users + at + 1, (acl->n - at - 1) * sizeof(*acl->users));
    acl->n--;
    atomic_store(&u->deleted, true);
    user_unref(u);
}

/* "on nopass ~* &* +@all", plus >requirepass when given. */
static srv_acl_perms_t *default_perms(const char *requirepass)
{
    static const char *const rules[] = {"+@all", "~*", "&*", "on", "nopass"};
    srv_acl_perms_t *p = perms_new();
    for (size_t i = 0; p && i < sizeof(rules) / sizeof(rules[0]); i++)
        apply_rule(p, rules[i], strlen(rules[i]));
    if (p && requirepass && requirepass[0]) {
        char hash[HASH_HEX + 1];
        hash_password(requirepass, strlen(requirepass), hash);
        if (add_hash(p, hash) != NULL) {
            perms_unref(p);
            return NULL;
        }
    }
    return p;
}

/* OpenSSL 3 builds its library context and digest tables (about 150 KB, kept for the
 * process's life) on the first digest: made here, at start on the main thread, rather than by
 * the first AUTH, ACL SETUSER or EVAL in some worker's private arena. SHA-256 hashes passwords,
 * SHA-1 names scripts (srv_sha1_hex). */
static void warm_digests(void)
{
    char hash[HASH_HEX + 1], sha1[41];
    hash_password("", 0, hash);
    srv_sha1_hex("", 0, sha1);
}

int srv_acl_create(srv_acl_t **out, const char *requirepass)
{
    warm_digests();
    srv_acl_t *acl = srv_keep_zalloc(SRV_ARENA_SERVER, 1, sizeof(*acl));
    srv_acl_perms_t *p = default_perms(requirepass);
    srv_acl_user_t *u = p ? user_new("default", 7, NULL) : NULL;
    if (acl)
        acl->log = srv_acl_log_create();
    if (!acl || !acl->log || !u || insert_user(acl, 0, u) != 0) {
        if (acl) {
            srv_acl_log_destroy(acl->log);
            srv_keep_free_unsized(SRV_ARENA_SERVER, acl->users);
        }
        srv_keep_free_unsized(SRV_ARENA_SERVER, acl);
        user_unref(u);
        perms_unref(p);
        return -ENOMEM;
    }
    pthread_mutex_init(&acl->mu, NULL);
    acl->deflt = u;
    publish(acl, u, p);
    *out = acl;
    return 0;
}

void srv_acl_destroy(srv_acl_t *acl)
{
    if (!acl)
        return;
    for (size_t i = 0; i < acl->n; i++)
        user_unref(acl->users[i]);
    srv_keep_free_unsized(SRV_ARENA_SERVER, acl->users);
    srv_acl_log_destroy(acl->log);
    pthread_mutex_destroy(&acl->mu);
    srv_keep_free_unsized(SRV_ARENA_SERVER, acl);
}

srv_acl_log_t *srv_acl_get_log(srv_acl_t *acl)
{
    return acl->log;
}

bool srv_acl_default_is_open(srv_acl_t *acl)
{
    return atomic_load_explicit(&acl->default_open, memory_order_relaxed);
}

/* ---- Sessions ----------------------------------------------------------------------------- */

/* The user's current snapshot, with a reference for the caller, and its version. */
static srv_acl_perms_t *user_snapshot(srv_acl_user_t *u, uint64_t *version)
{
    pthread_mutex_lock(&u->mu);
    srv_acl_perms_t *p = u->perms;
    perms_ref(p);
    *version = atomic_load_explicit(&u->version, memory_order_relaxed);
    pthread_mutex_unlock(&u->mu);
    return p;
}

/* Takes the user's new snapshot when its version moved since the session's. */
static srv_acl_perms_t *session_perms(srv_acl_session_t *s)
{
    uint64_t v = atomic_load_explicit(&s->user->version, memory_order_acquire);
    if (v != s->version) {
        srv_acl_perms_t *old = s->perms;
        s->perms = user_snapshot(s->user, &s->version);
        perms_unref(old);
    }
    return s->perms;
}

static void session_switch(srv_acl_session_t *s, srv_acl_user_t *u)
{
    srv_acl_session_t old = *s;
    atomic_fetch_add(&u->refs, 1);
    s->user = u;
    s->perms = user_snapshot(u, &s->version);
    perms_unref(old.perms);
    user_unref(old.user);
}

void srv_acl_session_init(srv_acl_t *acl, srv_acl_session_t *s)
{
    memset(s, 0, sizeof(*s));
    session_switch(s, acl->deflt); /* under no lock: default is never removed */
    s->authenticated = srv_acl_default_is_open(acl);
}

bool srv_acl_session_orphaned(const srv_acl_session_t *s)
{
    return s->user && atomic_load_explicit(&s->user->deleted, memory_order_relaxed);
}

void srv_acl_session_release(srv_acl_session_t *s)
{
    perms_unref(s->perms);
    user_unref(s->user);
    memset(s, 0, sizeof(*s));
}

const char *srv_acl_session_user(const srv_acl_session_t *s)
{
    return s->user ? s->user->name : "default";
}

static bool password_ok(const srv_acl_perms_t *p, fl_slice_t pass)
{
    if (p->flags & U_NOPASS)
        return true;
    char hash[HASH_HEX + 1];
    hash_password(pass.p, pass.n, hash);
    bool ok = false;
    for (size_t i = 0; i < p->npass; i++) /* every hash compared: time independent of which */
        ok |= CRYPTO_memcmp(p->pass[i], hash, HASH_HEX) == 0;
    return ok;
}

/* User `name` with a reference for the caller, or NULL. */
static srv_acl_user_t *get_user(srv_acl_t *acl, fl_slice_t name)
{
    pthread_mutex_lock(&acl->mu);
    ssize_t i = find_user(acl, name.p, name.n);
    srv_acl_user_t *u = i >= 0 ? acl->users[i] : NULL;
    if (u)
        atomic_fetch_add(&u->refs, 1);
    pthread_mutex_unlock(&acl->mu);
    return u;
}

int srv_acl_session_as(srv_acl_t *acl, srv_acl_session_t *s, fl_slice_t user)
{
    srv_acl_user_t *u = get_user(acl, user);
    if (!u)
        return -1;
    session_switch(s, u);
    s->authenticated = true;
    user_unref(u);
    return 0;
}

int srv_acl_authenticate(srv_acl_t *acl, srv_acl_session_t *s, fl_slice_t user, fl_slice_t pass)
{
    srv_acl_user_t *u = get_user(acl, user);
    if (!u)
        return -1;
    uint64_t v;
    srv_acl_perms_t *p = user_snapshot(u, &v);
    bool ok = (p->flags & U_ON) && password_ok(p, pass);
    perms_unref(p);
    if (ok) {
        session_switch(s, u);
        s->authenticated = true;
    }
    user_unref(u);
    return ok ? 0 : -1;
}

/* The permission a command needs on its keys (Redis's key specifications: reading the value
 * needs read, changing it write; a look at metadata needs neither, only a matching pattern). */
static unsigned key_permission(unsigned flags)
{
    if (flags & SRV_CMD_KEY_META_ONLY)
        return 0;
    if (flags & SRV_CMD_KEY_READ_ONLY)
        return PERM_R;
    if (flags & SRV_CMD_KEY_READS_TOO)
        return PERM_RW;
    if (flags & SRV_CMD_READONLY)
        return PERM_R;
    return flags & SRV_CMD_WRITE ? PERM_W : PERM_RW;
}

static bool key_allowed(const srv_acl_perms_t *p, fl_slice_t key, unsigned need)
{
    for (size_t i = 0; i < p->nkeys; i++)
        if ((p->keys[i].perm & need) == need &&
            fl_glob_match(p->keys[i].p, p->keys[i].n, key.p, key.n, false))
            return true;
    return false;
}

typedef struct key_check {
    const srv_acl_perms_t *p;
    const fl_slice_t *argv;
    unsigned need; /* for the command's own keys; a write's sources need read */
    int refused;
} key_check_t;

static bool key_check(void *ctx, int pos, bool source)
{
    key_check_t *kc = ctx;
    if (key_allowed(kc->p, kc->argv[pos], source ? PERM_R : kc->need))
        return true;
    kc->refused = pos;
    return false;
}

/* The pub/sub commands' channel arguments (Redis 7.0's getChannelsFromCommand; flatline has no
 * sharded pub/sub): from argument `first` to the last (or only `first` when `one`); `pattern`
 * arguments are patterns. */
static const struct {
    const char *name;
    int first;
    bool one, pattern;
} channel_cmds[] = {
    {"publish", 1, true, false},
    {"subscribe", 1, false, false},
    {"psubscribe", 1, false, true},
};

/* A channel is allowed when a pattern glob-matches it; a subscribed pattern only when it
 * equals one of the patterns (a narrower pattern is not checked for inclusion, as in Redis). */
static bool channel_allowed(const srv_acl_perms_t *p, fl_slice_t ch, bool pattern)
{
    for (size_t i = 0; i < p->nchans; i++) {
        const pattern_t *c = &p->chans[i];
        if (pattern ? (c->n == ch.n && memcmp(c->p, ch.p, ch.n) == 0)
                    : fl_glob_match(c->p, c->n, ch.p, ch.n, false))
            return true;
    }
    return false;
}

/* The index of the first channel argument of cmd the user may not use, or 0. */
static int channels_refused(const srv_acl_perms_t *p, const srv_cmd_t *cmd, int argc,
                            const fl_slice_t *argv)
{
    if (!(srv_cmd_categories(cmd) & SRV_ACL_CAT(PUBSUB)))
        return 0;
    for (size_t i = 0; i < sizeof(channel_cmds) / sizeof(channel_cmds[0]); i++) {
        if (strcmp(cmd->name, channel_cmds[i].name) != 0)
            continue;
        int last = channel_cmds[i].one ? channel_cmds[i].first : argc - 1;
        for (int a = channel_cmds[i].first; a <= last && a < argc; a++)
            if (!channel_allowed(p, argv[a], channel_cmds[i].pattern))
                return a;
        return 0;
    }
    return 0;
}

bool srv_acl_may_subscribe(srv_acl_session_t *s, fl_slice_t name, bool pattern)
{
    if (atomic_load_explicit(&s->user->deleted, memory_order_relaxed))
        return false;
    const srv_acl_perms_t *p = session_perms(s);
    return (p->flags & U_ALLCHANNELS) || channel_allowed(p, name, pattern);
}

bool srv_acl_reads_every_key(srv_acl_session_t *s)
{
    const srv_acl_perms_t *p = session_perms(s);
    if (p->flags & U_ALLKEYS)
        return true;
    for (size_t i = 0; i < p->nkeys; i++)
        if ((p->keys[i].perm & PERM_R) && p->keys[i].n == 1 && p->keys[i].p[0] == '*')
            return true;
    return false;
}

static bool firstarg_allowed(const srv_acl_perms_t *p, size_t id, int argc, const fl_slice_t *argv)
{
    if (argc < 2)
        return false;
    for (size_t i = 0; i < p->nfirst; i++)
        if (p->first[i].id == id && slice_is(argv[1].p, argv[1].n, p->first[i].arg))
            return true;
    return false;
}

srv_acl_result_t srv_acl_check(srv_acl_t *acl, srv_acl_session_t *s, const srv_cmd_t *cmd,
                               size_t id, int argc, const fl_slice_t *argv, int *keypos)
{
    FL_DEBUG_ASSERT(id < srv_cmd_count() && srv_cmd_at(id) == cmd);
    FL_DEBUG_ASSERT(srv_acl_entry_count() <= SRV_CMDS_MAX);
    if (atomic_load_explicit(&s->user->deleted, memory_order_relaxed))
        return SRV_ACL_USER_GONE;
    if (cmd->flags & SRV_CMD_NO_AUTH)
        return SRV_ACL_OK;
    if (!s->authenticated && !srv_acl_default_is_open(acl))
        return SRV_ACL_NOAUTH;
    const srv_acl_perms_t *p = session_perms(s);
    size_t entry = id; /* a known subcommand of a container is checked by its own bit */
    if ((cmd->flags & SRV_CMD_SUBCOMMANDS) && argc > 1) {
        ssize_t sid = srv_cmd_sub_id(id, argv[1].p, argv[1].n);
        entry = sid >= 0 ? (size_t)sid : id;
    }
    if (!p->every_cmd && !cmd_bit(p, entry) && !firstarg_allowed(p, id, argc, argv))
        return SRV_ACL_DENIED_CMD;
    if (!(p->flags & U_ALLKEYS) && srv_cmd_has_keys(cmd)) {
        key_check_t kc = {p, argv, key_permission(cmd->flags), -1};
        if (srv_cmd_each_key(cmd, argc, argv, key_check, &kc) == SRV_KEYS_STOPPED) {
            *keypos = kc.refused;
            return SRV_ACL_DENIED_KEY;
        }
    }
    if (!(p->flags & U_ALLCHANNELS)) {
        int refused = channels_refused(p, cmd, argc, argv);
        if (refused > 0) {
            *keypos = refused;
            return SRV_ACL_DENIED_CHANNEL;
        }
    }
    return SRV_ACL_OK;
}

/* ---- Changing users ----------------------------------------------------------------------- */

/* Applies rules to a copy of base (or to a new "off -@all" user when base is NULL): the new
 * snapshot, or NULL with Redis's message in err. */
static srv_acl_perms_t *build(const srv_acl_perms_t *base, int nrules, const fl_slice_t *rules,
                              char *err, size_t errlen)
{
    srv_acl_perms_t *p = base ? perms_copy(base) : perms_new();
    if (!p) {
        snprintf(err, errlen, "ERR %s", why_nomem);
        return NULL;
    }
    for (int i = 0; i < nrules; i++) {
        const char *why = apply_rule(p, rules[i].p, rules[i].n);
        if (why) {
            int n = rules[i].n < 128 ? (int)rules[i].n : 128;
            snprintf(err, errlen, "ERR Error in ACL SETUSER modifier '%.*s': %s", n, rules[i].p,
                     why);
            perms_unref(p);
            return NULL;
        }
    }
    return p;
}

/* Sets (creating when needed) user `name` to snapshot p. Caller holds acl->mu. */
static int put_user(srv_acl_t *acl, const char *name, size_t n, srv_acl_perms_t *p)
{
    ssize_t i = find_user(acl, name, n);
    if (i >= 0) {
        publish(acl, acl->users[i], p);
        return 0;
    }
    srv_acl_user_t *u = user_new(name, n, NULL);
    if (!u || insert_user(acl, (size_t)(-i - 1), u) != 0) {
        user_unref(u);
        perms_unref(p);
        return -ENOMEM;
    }
    publish(acl, u, p);
    return 0;
}

static bool valid_user_name(fl_slice_t name)
{
    return name.n > 0 && !has_space(name.p, name.n);
}

int srv_acl_setuser(srv_acl_t *acl, fl_slice_t name, int nrules, const fl_slice_t *rules, char *err,
                    size_t errlen)
{
    if (!valid_user_name(name)) {
        snprintf(err, errlen, "ERR Usernames can't contain spaces or null characters");
        return -1;
    }
    pthread_mutex_lock(&acl->mu);
    ssize_t i = find_user(acl, name.p, name.n);
    srv_acl_perms_t *p = build(i >= 0 ? acl->users[i]->perms : NULL, nrules, rules, err, errlen);
    int rc = p ? put_user(acl, name.p, name.n, p) : -1;
    pthread_mutex_unlock(&acl->mu);
    if (rc == -ENOMEM)
        snprintf(err, errlen, "ERR %s", why_nomem);
    return rc < 0 ? -1 : 0;
}

int srv_acl_deluser(srv_acl_t *acl, fl_slice_t name)
{
    if (name.n == 7 && memcmp(name.p, "default", 7) == 0)
        return -1;
    pthread_mutex_lock(&acl->mu);
    ssize_t i = find_user(acl, name.p, name.n);
    if (i >= 0)
        remove_user(acl, (size_t)i);
    pthread_mutex_unlock(&acl->mu);
    return i >= 0;
}

/* ---- Describing users --------------------------------------------------------------------- */

/* Commands of category `bit` allowed (*on) and not (*off) in p. */
static void count_category(const srv_acl_perms_t *p, int bit, size_t *on, size_t *off)
{
    size_t n = srv_acl_entry_count();
    *on = *off = 0;
    for (size_t i = 0; i < n; i++)
        if (srv_acl_entry_categories(i) & (1u << bit))
            (cmd_bit(p, i) ? (*on)++ : (*off)++);
}

/* Emits "+name" / "-name" where p and fake differ on entry id, and makes fake agree. */
static void describe_entry(const srv_acl_perms_t *p, srv_acl_perms_t *fake, size_t id, srv_buf_t *b)
{
    bool bit = cmd_bit(p, id);
    if (bit == cmd_bit(fake, id))
        return;
    srv_buf_printf(b, " %c%s", bit ? '+' : '-', srv_acl_entry_name(id));
    set_cmd(fake, id, bit);
}

/* The command rules that rebuild p's bits, as Redis describes them: "+@all" or "-@all", the
 * categories that fit best (greedily), then single commands and allowed first arguments. */
static void describe_commands(const srv_acl_perms_t *p, srv_buf_t *b)
{
    bool additive = !(p->flags & U_FUTURE_CMDS);
    srv_acl_perms_t fake = {0}, temp = {0};
    set_all_cmds(&fake, !additive);
    memcpy(temp.cmds, p->cmds, sizeof(temp.cmds));
    srv_buf_printf(b, "%s", additive ? "-@all" : "+@all");
    bool applied[SRV_ACL_NCATEGORIES] = {false};
    for (;;) {
        int best = -1;
        size_t mindiff = SIZE_MAX, maxsame = 0;
        for (int c = 0; c < SRV_ACL_NCATEGORIES; c++) {
            if (applied[c])
                continue;
            size_t on, off;
            count_category(&temp, c, &on, &off);
            size_t diff = additive ? off : on, same = additive ? on : off;
            if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
                best = c;
                mindiff = diff;
                maxsame = same;
            }
        }
        if (best < 0)
            break;
        set_category(&fake, best, additive);
        set_category(&temp, best, !additive);
        srv_buf_printf(b, " %c@%s", additive ? '+' : '-', category_names[best]);
        applied[best] = true;
    }
    size_t n = srv_cmd_count();
    for (size_t i = 0; i < n; i++) { /* each command, then its subcommands */
        describe_entry(p, &fake, i, b);
        size_t first, nsub = srv_cmd_sub_range(i, &first);
        for (size_t k = 0; k < nsub; k++)
            describe_entry(p, &fake, first + k, b);
    }
    for (size_t f = 0; f < p->nfirst; f++) /* only on commands whose bit is off */
        srv_buf_printf(b, " +%s|%s", srv_cmd_at(p->first[f].id)->name, p->first[f].arg);
}

static void describe_patterns(const pattern_t *v, size_t n, char sigil, srv_buf_t *b)
{
    for (size_t i = 0; i < n; i++) {
        const char *prefix = sigil == '&'           ? "&"
                             : v[i].perm == PERM_RW ? "~"
                             : v[i].perm == PERM_R  ? "%R~"
                                                    : "%W~";
        srv_buf_printf(b, "%s%s%s", i ? " " : "", prefix, v[i].p);
    }
}

static const struct {
    unsigned flag;
    const char *name;
} user_flags[] = {{U_NOPASS, "nopass"},
                  {U_SKIP_SANITIZE, "skip-sanitize-payload"},
                  {U_SANITIZE, "sanitize-payload"}};

/* ACL LIST's line for u ("user <name> <flags> <#hashes> <keys> <channels> <commands>"). */
static void describe_user(const srv_acl_user_t *u, const srv_acl_perms_t *p, srv_buf_t *b)
{
    srv_buf_printf(b, "user %s %s", u->name, p->flags & U_ON ? "on" : "off");
    for (size_t i = 0; i < sizeof(user_flags) / sizeof(user_flags[0]); i++)
        if (p->flags & user_flags[i].flag)
            srv_buf_printf(b, " %s", user_flags[i].name);
    for (size_t i = 0; i < p->npass; i++)
        srv_buf_printf(b, " #%s", p->pass[i]);
    if (p->flags & U_ALLKEYS)
        srv_buf_printf(b, " ~*");
    else if (p->nkeys) {
        srv_buf_printf(b, " ");
        describe_patterns(p->keys, p->nkeys, '~', b);
    }
    if (p->flags & U_ALLCHANNELS) {
        srv_buf_printf(b, " &*");
    } else {
        srv_buf_printf(b, " resetchannels");
        if (p->nchans) {
            srv_buf_printf(b, " ");
            describe_patterns(p->chans, p->nchans, '&', b);
        }
    }
    srv_buf_printf(b, " ");
    describe_commands(p, b);
}

/* Appends b's text to out as one bulk string, then frees b. */
static void bulk_from(srv_buf_t *out, srv_buf_t *b)
{
    if (b->failed)
        out->failed = true;
    srv_reply_bulk(out, b->p ? b->p : "", b->len);
    srv_buf_free(b);
}

size_t srv_acl_list(srv_acl_t *acl, srv_buf_t *out)
{
    pthread_mutex_lock(&acl->mu);
    size_t n = acl->n;
    srv_reply_array(out, n);
    for (size_t i = 0; i < n; i++) {
        srv_buf_t line = {0};
        describe_user(acl->users[i], acl->users[i]->perms, &line);
        bulk_from(out, &line);
    }
    pthread_mutex_unlock(&acl->mu);
    return n;
}

size_t srv_acl_users(srv_acl_t *acl, srv_buf_t *out)
{
    pthread_mutex_lock(&acl->mu);
    size_t n = acl->n;
    srv_reply_array(out, n);
    for (size_t i = 0; i < n; i++)
        srv_reply_bulk(out, acl->users[i]->name, acl->users[i]->nlen);
    pthread_mutex_unlock(&acl->mu);
    return n;
}

bool srv_acl_getuser(srv_acl_t *acl, fl_slice_t name, srv_buf_t *out)
{
    pthread_mutex_lock(&acl->mu);
    ssize_t i = find_user(acl, name.p, name.n);
    if (i < 0) {
        pthread_mutex_unlock(&acl->mu);
        return false;
    }
    const srv_acl_perms_t *p = acl->users[i]->perms;
    size_t nflags = 1;
    for (size_t f = 0; f < sizeof(user_flags) / sizeof(user_flags[0]); f++)
        nflags += (p->flags & user_flags[f].flag) != 0;
    srv_reply_map(out, 6);
    srv_reply_bulk_str(out, "flags");
    srv_reply_set(out, nflags);
    srv_reply_bulk_str(out, p->flags & U_ON ? "on" : "off");
    for (size_t f = 0; f < sizeof(user_flags) / sizeof(user_flags[0]); f++)
        if (p->flags & user_flags[f].flag)
            srv_reply_bulk_str(out, user_flags[f].name);
    srv_reply_bulk_str(out, "passwords");
    srv_reply_array(out, p->npass);
    for (size_t k = 0; k < p->npass; k++)
        srv_reply_bulk(out, p->pass[k], HASH_HEX);
    srv_buf_t b = {0};
    srv_reply_bulk_str(out, "commands");
    describe_commands(p, &b);
    bulk_from(out, &b);
    srv_reply_bulk_str(out, "keys");
    if (p->flags & U_ALLKEYS)
        srv_buf_printf(&b, "~*");
    else
        describe_patterns(p->keys, p->nkeys, '~', &b);
    bulk_from(out, &b);
    srv_reply_bulk_str(out, "channels");
    if (p->flags & U_ALLCHANNELS)
        srv_buf_printf(&b, "&*");
    else
        describe_patterns(p->chans, p->nchans, '&', &b);
    bulk_from(out, &b);
    srv_reply_bulk_str(out, "selectors");
    srv_reply_array(out, 0);
    pthread_mutex_unlock(&acl->mu);
    return true;
}

/* ---- ACL files ---------------------------------------------------------------------------- */

typedef struct loaded {
    char *name;
    srv_acl_perms_t *perms;
} loaded_t;

static void loaded_free(loaded_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        perms_unref(v[i].perms);
    }
    free(v);
}

/* Splits line into words in place (spaces and tabs). Returns the count (at most max). */
static int split_words(char *line, fl_slice_t *w, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \t\r", &save); t && n < max; t = strtok_r(NULL, " \t\r", &save))
        w[n++] = (fl_slice_t){t, strlen(t)};
    return n;
}

/* Parses one "user <name> <rules...>" line into v[*n] (blank lines: nothing). 0, or -1 with
 * the reason in why. */
static int parse_line(char *line, loaded_t **v, size_t *n, char *why, size_t whylen)
{
    fl_slice_t w[256];
    int nw = split_words(line, w, 256);
    if (nw == 0)
        return 0;
    if (nw == 256) {
        snprintf(why, whylen, "too many rules on one line");
        return -1;
    }
    if (!slice_is(w[0].p, w[0].n, "user") || nw < 2) {
        snprintf(why, whylen, "should start with user keyword");
        return -1;
    }
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i].name, w[1].p) == 0) {
            snprintf(why, whylen, "Duplicate user '%s' found", w[1].p);
            return -1;
        }
    srv_acl_perms_t *p = build(NULL, nw - 2, w + 2, why, whylen);
    if (!p) {
        memmove(why, why + 4, strlen(why + 4) + 1); /* without the reply's "ERR " */
        return -1;
    }
    loaded_t *nv = realloc(*v, (*n + 1) * sizeof(*nv));
    char *name = strdup(w[1].p);
    if (!nv || !name) {
        free(name);
        perms_unref(p);
        if (nv)
            *v = nv;
        snprintf(why, whylen, "%s", why_nomem);
        return -1;
    }
    *v = nv;
    nv[(*n)++] = (loaded_t){name, p};
    return 0;
}

/* Reads every line of f into users (origin names f in errors); -1 with the reason in err. */
static int read_acl_lines(FILE *f, const char *path, loaded_t **users, size_t *n, char *err,
                          size_t errlen)
{
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    char why[400];
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (parse_line(line, users, n, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "ERR %s:%d: %s", path, lineno, why);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "ERR Error loading ACLs, reading '%s': %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    return rc;
}

static int read_acl_file(const char *path, loaded_t **users, size_t *n, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "ERR Error loading ACLs, opening file '%s': %s", path,
                 strerror(errno));
        return -1;
    }
    int rc = read_acl_lines(f, path, users, n, err, errlen);
    fclose(f);
    return rc;
}

int srv_acl_load_text(srv_acl_t *acl, const char *text, const char *origin, char *err,
                      size_t errlen)
{
    loaded_t *users = NULL;
    size_t n = 0;
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    int rc = f ? read_acl_lines(f, origin, &users, &n, err, errlen) : -1;
    if (f)
        fclose(f);
    else
        snprintf(err, errlen, "ERR %s", why_nomem);
    pthread_mutex_lock(&acl->mu);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (put_user(acl, users[i].name, strlen(users[i].name), users[i].perms) != 0) {
            snprintf(err, errlen, "ERR %s", why_nomem);
            rc = -1;
        }
        users[i].perms = NULL; /* taken by put_user, even when it failed */
    }
    pthread_mutex_unlock(&acl->mu);
    loaded_free(users, n);
    return rc;
}

int srv_acl_load_file(srv_acl_t *acl, const char *path, char *err, size_t errlen)
{
    loaded_t *users = NULL;
    size_t n = 0;
    if (read_acl_file(path, &users, &n, err, errlen) != 0) {
        loaded_free(users, n);
        return -1;
    }
    bool has_default = false;
    for (size_t i = 0; i < n; i++)
        has_default |= strcmp(users[i].name, "default") == 0;
    srv_acl_perms_t *dp = has_default ? NULL : default_perms(NULL);
    if (!has_default && !dp) {
        loaded_free(users, n);
        snprintf(err, errlen, "ERR %s", why_nomem);
        return -1;
    }
    pthread_mutex_lock(&acl->mu);
    for (size_t i = acl->n; i-- > 0;) { /* users the file does not name go */
        bool named = acl->users[i] == acl->deflt;
        for (size_t k = 0; k < n && !named; k++)
            named = name_cmp(acl->users[i], users[k].name, strlen(users[k].name)) == 0;
        if (!named)
            remove_user(acl, i);
    }
    int rc = dp ? put_user(acl, "default", 7, dp) : 0;
    for (size_t i = 0; i < n; i++) {
        if (put_user(acl, users[i].name, strlen(users[i].name), users[i].perms) != 0)
            rc = -ENOMEM;
        users[i].perms = NULL; /* taken by put_user */
    }
    pthread_mutex_unlock(&acl->mu);
    loaded_free(users, n);
    if (rc != 0)
        snprintf(err, errlen, "ERR %s", why_nomem);
    return rc ? -1 : 0;
}

int srv_acl_save_file(srv_acl_t *acl, const char *path, char *err, size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen,
                 "ERR There was an error trying to save the ACLs. Please check the "
                 "server logs for more information");
        return -1;
    }
    pthread_mutex_lock(&acl->mu);
    bool ok = true;
    for (size_t i = 0; i < acl->n && ok; i++) {
        srv_buf_t line = {0};
        describe_user(acl->users[i], acl->users[i]->perms, &line);
        ok = !line.failed && fwrite(line.p, 1, line.len, f) == line.len && fputc('\n', f) != EOF;
        srv_buf_free(&line);
    }
    pthread_mutex_unlock(&acl->mu);
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        snprintf(err, errlen,
                 "ERR There was an error trying to save the ACLs. Please check the "
                 "server logs for more information");
        return -1;
    }
    return 0;
}
