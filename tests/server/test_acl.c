/*
 * tests/server/test_acl.c: white-box tests of the users and rules (src/server/acl.c): the
 * password hash is SHA-256 as Redis stores it; rules build what the check enforces (command
 * bits, categories, first args, read/write key patterns); a refused SETUSER changes nothing;
 * ACL LIST's line rebuilds the same user through ACL LOAD (describe and parse agree); a
 * session sees a user's new rules at its next check and learns that its user was deleted;
 * every command row's categories include those its flags imply.
 */
#include "../testhelper.h"
#include "srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static fl_slice_t sl(const char *s)
{
    return (fl_slice_t){s, strlen(s)};
}

/* SETUSER name with the rules in one space-separated string; returns srv_acl_setuser's. */
static int setuser(srv_acl_t *acl, const char *name, const char *rules, char *err, size_t len)
{
    fl_slice_t v[32];
    char buf[512];
    int n = 0;
    snprintf(buf, sizeof(buf), "%s", rules);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && n < 32;
         t = strtok_r(NULL, " ", &save))
        v[n++] = sl(t);
    return srv_acl_setuser(acl, sl(name), n, v, err, len);
}

/* The check for "cmd args..." (space-separated) in session s. */
static srv_acl_result_t check(srv_acl_t *acl, srv_acl_session_t *s, const char *line)
{
    fl_slice_t v[16];
    char buf[256];
    int n = 0;
    snprintf(buf, sizeof(buf), "%s", line);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && n < 16;
         t = strtok_r(NULL, " ", &save))
        v[n++] = sl(t);
    const srv_cmd_t *cmd = srv_cmd_lookup(v[0].p, v[0].n);
    if (!cmd)
        return (srv_acl_result_t)-1;
    int keypos = 0;
    return srv_acl_check(acl, s, cmd, srv_cmd_id(cmd), n, v, &keypos);
}

/* ACL LIST as text lines (the bulk strings' contents joined by '\n'). */
static char *list_text(srv_acl_t *acl)
{
    srv_buf_t b = {0};
    srv_acl_list(acl, &b);
    char *out = calloc(1, b.len + 1), *w = out;
    for (const char *p = b.p, *end = b.p + b.len; p < end;) { /* skip "*N\r\n" and "$N\r\n" */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (*p == '$') {
            long n = strtol(p + 1, NULL, 10);
            memcpy(w, nl + 1, (size_t)n);
            w += n;
            *w++ = '\n';
            p = nl + 1 + n + 2;
        } else {
            p = nl + 1;
        }
    }
    srv_buf_free(&b);
    return out;
}

TEST(password_hash_is_sha256)
{
    srv_acl_t *acl;
    char err[256];
    CHECK(srv_acl_create(&acl, "pw") == 0);
    char *text = list_text(acl);
    /* sha256("pw"), as Redis shows it for requirepass pw */
    CHECK(strstr(text, "#30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4") !=
          NULL);
    free(text);
    srv_acl_session_t s;
    srv_acl_session_init(acl, &s);
    CHECK(!s.authenticated && !srv_acl_default_is_open(acl));
    CHECK(check(acl, &s, "get k") == SRV_ACL_NOAUTH);
    CHECK(check(acl, &s, "auth pw") == SRV_ACL_OK); /* NO_AUTH commands pass */
    CHECK(srv_acl_authenticate(acl, &s, sl("default"), sl("wrong")) == -1);
    CHECK(!s.authenticated);
    CHECK(srv_acl_authenticate(acl, &s, sl("default"), sl("pw")) == 0);
    CHECK(check(acl, &s, "get k") == SRV_ACL_OK);
    CHECK(setuser(acl, "default", "nopass", err, sizeof(err)) == 0);
    CHECK(srv_acl_default_is_open(acl));
    srv_acl_session_release(&s);
    srv_acl_destroy(acl);
}

TEST(rules_enforced)
{
    srv_acl_t *acl;
    char err[256];
    CHECK(srv_acl_create(&acl, NULL) == 0);
    CHECK(setuser(acl, "u", "on nopass -@all +@string -set +config|get %R~r* ~rw* %W~w*", err,
                  sizeof(err)) == 0);
    srv_acl_session_t s;
    srv_acl_session_init(acl, &s);
    CHECK(srv_acl_authenticate(acl, &s, sl("u"), sl("anything")) == 0);
    CHECK(check(acl, &s, "get r1") == SRV_ACL_OK);
    CHECK(check(acl, &s, "get w1") == SRV_ACL_DENIED_KEY); /* write-only pattern */
    CHECK(check(acl, &s, "append w1 x") == SRV_ACL_OK);
    CHECK(check(acl, &s, "append r1 x") == SRV_ACL_DENIED_KEY); /* read-only pattern */
    CHECK(check(acl, &s, "mget r1 rw2 w3") == SRV_ACL_DENIED_KEY);
    CHECK(check(acl, &s, "mget r1 rw2") == SRV_ACL_OK);
    CHECK(check(acl, &s, "set rw1 v") == SRV_ACL_DENIED_CMD);
    CHECK(check(acl, &s, "hget rw1 f") == SRV_ACL_DENIED_CMD);
    CHECK(check(acl, &s, "config get x") == SRV_ACL_OK);
    CHECK(check(acl, &s, "CONFIG GET x") == SRV_ACL_OK);
    CHECK(check(acl, &s, "config set x y") == SRV_ACL_DENIED_CMD);
    CHECK(check(acl, &s, "config") == SRV_ACL_DENIED_CMD);
    /* a container's subcommands have bits of their own (ACL WHOAMI @slow, ACL LIST @admin) */
    CHECK(check(acl, &s, "acl whoami") == SRV_ACL_DENIED_CMD);
    CHECK(setuser(acl, "u", "+acl|whoami", err, sizeof(err)) == 0);
    CHECK(check(acl, &s, "acl whoami") == SRV_ACL_OK);
    CHECK(check(acl, &s, "ACL WHOAMI") == SRV_ACL_OK);
    CHECK(check(acl, &s, "acl list") == SRV_ACL_DENIED_CMD);
    CHECK(setuser(acl, "u", "+@all -@dangerous", err, sizeof(err)) == 0);
    CHECK(check(acl, &s, "acl whoami") == SRV_ACL_OK);
    CHECK(check(acl, &s, "acl setuser x") == SRV_ACL_DENIED_CMD);
    CHECK(setuser(acl, "u", "-@all +@string -set +config|get", err, sizeof(err)) == 0);
    /* the session sees new rules at its next check */
    CHECK(setuser(acl, "u", "+hget allkeys", err, sizeof(err)) == 0);
    CHECK(check(acl, &s, "hget any f") == SRV_ACL_OK);
    CHECK(check(acl, &s, "get w1") == SRV_ACL_OK);
    /* a refused SETUSER changes nothing, and names the rule */
    CHECK(setuser(acl, "u", "-hget +nosuch", err, sizeof(err)) == -1);
    CHECK(strcmp(err, "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category "
                      "name in ACL") == 0);
    CHECK(check(acl, &s, "hget any f") == SRV_ACL_OK);
    CHECK(setuser(acl, "v", "on +nosuch", err, sizeof(err)) == -1);
    CHECK(srv_acl_session_as(acl, &s, sl("v")) == -1); /* not created */
    /* deleting the user: its sessions learn it */
    CHECK(srv_acl_deluser(acl, sl("u")) == 1);
    CHECK(check(acl, &s, "get r1") == SRV_ACL_USER_GONE);
    CHECK(srv_acl_deluser(acl, sl("default")) == -1);
    srv_acl_session_release(&s);
    srv_acl_destroy(acl);
}

TEST(list_line_rebuilds_the_user)
{
    srv_acl_t *acl;
    char err[512];
    CHECK(srv_acl_create(&acl, NULL) == 0);
    CHECK(setuser(acl, "a", "on >x >y <x ~k* %R~r* &c* +@all -@dangerous -get +config|get", err,
                  sizeof(err)) == 0);
    CHECK(setuser(acl, "b", "reset on nopass -@all +@hash +@keyspace -del +select|0", err,
                  sizeof(err)) == 0);
    CHECK(setuser(acl, "c", "", err, sizeof(err)) == 0);
    char *before = list_text(acl);
    char path[] = "/tmp/flatline-test-acl.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(before, f);
    fclose(f);
    srv_acl_t *acl2;
    CHECK(srv_acl_create(&acl2, "other") == 0);
    CHECK(srv_acl_load_file(acl2, path, err, sizeof(err)) == 0);
    char *after = list_text(acl2);
    CHECK(strcmp(before, after) == 0);
    if (strcmp(before, after) != 0)
        fprintf(stderr, "  before:\n%s  after:\n%s", before, after);
    /* a bad line: nothing changes, the reason names the line */
    f = fopen(path, "w");
    fputs("user default on nopass ~* &* +@all\nuser z on +@nosuch\n", f);
    fclose(f);
    CHECK(srv_acl_load_file(acl2, path, err, sizeof(err)) == -1);
    CHECK(strstr(err, ":2: Error in ACL SETUSER modifier '+@nosuch'") != NULL);
    char *again = list_text(acl2);
    CHECK(strcmp(after, again) == 0);
    unlink(path);
    free(before);
    free(after);
    free(again);
    srv_acl_destroy(acl);
    srv_acl_destroy(acl2);
}

TEST(categories_follow_flags)
{
    size_t n = srv_cmd_count();
    for (size_t i = 0; i < n; i++) {
        const srv_cmd_t *c = srv_cmd_at(i);
        unsigned cats = srv_cmd_categories(c);
        CHECK(!(c->flags & SRV_CMD_WRITE) || (cats & SRV_ACL_CAT(WRITE)));
        CHECK(!(c->flags & SRV_CMD_READONLY) || (cats & SRV_ACL_CAT(READ)));
        CHECK(!(c->flags & SRV_CMD_ADMIN) || (cats & SRV_ACL_CAT(DANGEROUS)));
        CHECK(((cats & SRV_ACL_CAT(FAST)) != 0) != ((cats & SRV_ACL_CAT(SLOW)) != 0));
        CHECK(srv_cmd_id(c) == i);
    }
    CHECK(srv_acl_category_bit("string", 6) == SRV_ACL_BIT_STRING);
    CHECK(strcmp(srv_acl_category_name(SRV_ACL_BIT_SCRIPTING), "scripting") == 0);
}

int main(void)
{
    RUN(password_hash_is_sha256);
    RUN(rules_enforced);
    RUN(list_line_rebuilds_the_user);
    RUN(categories_follow_flags);
    return TEST_REPORT();
}
