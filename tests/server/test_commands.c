/*
 * tests/server/test_commands.c: white-box tests of the command table and dispatch
 * (src/server/commands.c): the table is strictly sorted in lower case and every entry is found
 * by its name in any case, and nothing by a prefix, an extension or a name with a NUL; the
 * unknown-command reply quotes at most 128 bytes of each argument even when an argument's
 * length does not fit in an int (2-4 GiB), without reading past those 128 bytes.
 */
#include "../testhelper.h"
#include "srv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

TEST(table_sorted_and_found)
{
    size_t n = srv_cmd_count();
    CHECK(n > 0);
    CHECK(srv_cmd_at(n) == NULL);
    for (size_t i = 0; i < n; i++) {
        const srv_cmd_t *c = srv_cmd_at(i);
        CHECK(c != NULL && c->name != NULL && c->fn != NULL && c->arity != 0);
        if (!c || !c->name)
            continue;
        char up[32];
        size_t len = strlen(c->name);
        CHECK(len > 0 && len < sizeof(up));
        for (size_t k = 0; k < len && k < sizeof(up) - 1; k++) {
            CHECK(!isupper((unsigned char)c->name[k]));
            up[k] = (char)toupper((unsigned char)c->name[k]);
        }
        up[len < sizeof(up) ? len : sizeof(up) - 1] = '\0';
        if (i > 0) {
            const srv_cmd_t *prev = srv_cmd_at(i - 1);
            if (strcmp(prev->name, c->name) >= 0) {
                fprintf(stderr, "  table out of order at %zu: '%s' then '%s'\n", i, prev->name,
                        c->name);
                CHECK(0);
            }
        }
        CHECK(srv_cmd_lookup(c->name, len) == c);
        CHECK(srv_cmd_lookup(up, len) == c);
        char longer[40];
        snprintf(longer, sizeof(longer), "%s%c", c->name, '\0');
        CHECK(srv_cmd_lookup(longer, len + 1) == NULL); /* "get\0" is not GET */
        const srv_cmd_t *prefix = srv_cmd_lookup(c->name, len - 1);
        CHECK(prefix == NULL || strlen(prefix->name) == len - 1);
    }
    CHECK(srv_cmd_lookup("nosuchcommand", 13) == NULL);
    CHECK(srv_cmd_lookup("", 0) == NULL);
    CHECK(srv_cmd_lookup("get\0x", 5) == NULL);
    CHECK(srv_cmd_lookup("gets", 4) == NULL);
    CHECK(srv_cmd_lookup("ge", 2) == NULL);
}

TEST(unknown_command_huge_argument)
{
    static srv_server_t srv; /* no store: the unknown-command path never reaches it */
    srv_client_t c;
    srv_client_init(&c, &srv, NULL, -1);
    /* 256 bytes of 'x' and no terminator: only the first 128 may be quoted; an unbounded
     * "%.*s" (negative precision) would quote more of them, then read past the end. */
    char *arg = malloc(256);
    CHECK(arg != NULL);
    if (!arg)
        return;
    memset(arg, 'x', 256);
    fl_slice_t argv[3] = {{.p = "nosuch", .n = 6},
                          {.p = arg, .n = (size_t)3 << 30}, /* 3 GiB: negative as an int */
                          {.p = "y", .n = 1}};
    srv_cmd_dispatch(&c, 3, argv);
    char want[160] = "'";
    memset(want + 1, 'x', 128);
    strcpy(want + 129, "' ");
    CHECK(c.out.len > 0);
    if (c.out.len > 0) {
        char *got = strndup(c.out.p, c.out.len);
        CHECK(got &&
              strncmp(got, "-ERR unknown command 'nosuch', with args beginning with: ", 57) == 0);
        CHECK(got && strstr(got, want) != NULL);  /* exactly 128 'x' between the quotes */
        CHECK(got && strstr(got, "'y'") == NULL); /* the 128-byte budget is spent */
        free(got);
    }
    srv_client_free_buffers(&c);
    free(arg);
}

int main(void)
{
    RUN(table_sorted_and_found);
    RUN(unknown_command_huge_argument);
    return TEST_REPORT();
}
