/*
 * tests/server/test_config.c: white-box tests of the option table and parsers
 * (src/server/config.c) and of CONFIG GET's use of the store's glob matcher (fl_glob_match): units,
 * bounds, namespace blocks and the dotted form, quotes and comments, errors naming file:line,
 * CONFIG GET patterns.
 */
#include "../testhelper.h"
#include "srv.h"

static srv_config_t cfg;
static char err[512];

static int load(const char *text)
{
    srv_config_init(&cfg);
    err[0] = '\0';
    return srv_config_load_text(&cfg, text, "t.conf", err, sizeof(err));
}

TEST(defaults)
{
    srv_config_init(&cfg);
    CHECK_EQ_I(cfg.port, 7379);
    CHECK_STR(cfg.bind, "127.0.0.1");
    CHECK_EQ_U(cfg.proto_max_bulk_len, 512u << 20);
    CHECK_EQ_U(cfg.client_query_buffer_limit, 1u << 30);
    CHECK_EQ_U(cfg.n_ns, 1);
    CHECK_STR(cfg.ns[0].name, "default");
    CHECK_EQ_I(srv_config_load_text(&cfg, srv_config_embedded, "embedded", err, sizeof(err)), 0);
    CHECK_EQ_I(cfg.port, 7379); /* the embedded file agrees with the table's default */
    CHECK_EQ_U(cfg.n_ns, 2);
    CHECK_STR(cfg.ns[1].name, "cache");
    CHECK_EQ_U(cfg.ns[1].memory_limit, 256u << 20);
}

TEST(sizes)
{
    CHECK_EQ_I(load("proto-max-bulk-len 10kb\nclient-query-buffer-limit 2k\n"), 0);
    CHECK_EQ_U(cfg.proto_max_bulk_len, 10240);
    CHECK_EQ_U(cfg.client_query_buffer_limit, 2000);
    CHECK_EQ_I(load("proto-max-bulk-len 3MB\nclient-query-buffer-limit 1G\n"), 0);
    CHECK_EQ_U(cfg.proto_max_bulk_len, 3u << 20);
    CHECK_EQ_U(cfg.client_query_buffer_limit, 1000000000u);
    CHECK(load("proto-max-bulk-len 12xb\n") < 0);
    CHECK(strstr(err, "t.conf:1: bad value '12xb' for 'proto-max-bulk-len'"));
    CHECK(load("proto-max-bulk-len -1\n") < 0);
    CHECK(load("client-query-buffer-limit 99999999999999999999\n") < 0);
}

TEST(namespaces)
{
    CHECK_EQ_I(load("# top\nnamespace users {   # comment\n  memory-limit 64mb\n"
                    "  high-water-pct 80\n}\nnamespace.sess.default-ttl-ms 5000\n"
                    "namespace.users.partitions 16\n"),
               0);
    CHECK_EQ_U(cfg.n_ns, 3);
    CHECK_STR(cfg.ns[1].name, "users");
    CHECK_EQ_U(cfg.ns[1].memory_limit, 64u << 20);
    CHECK_EQ_U(cfg.ns[1].high_water_pct, 80);
    CHECK_EQ_U(cfg.ns[1].partitions, 16);
    CHECK_STR(cfg.ns[2].name, "sess");
    CHECK_EQ_I(cfg.ns[2].default_ttl_ms, 5000);
    CHECK_EQ_I(cfg.ns[2].dirty_decay_ms, FL_DECAY_DEFAULT);
    CHECK_EQ_I(srv_config_finish(&cfg, err, sizeof(err)), 0);
    CHECK(cfg.threads >= 1);
    CHECK(load("namespace a {\nnamespace b {\n") < 0);
    CHECK(strstr(err, "t.conf:2: namespace blocks do not nest"));
    CHECK(load("namespace a {\nport 1\n") < 0);
    CHECK(strstr(err, "t.conf:2: unknown namespace option 'port'"));
    CHECK(load("namespace a {\n") < 0);
    CHECK(strstr(err, "not closed"));
    CHECK(load("namespace.x.partitions 3\n") == 0); /* the store's rules apply at finish */
    CHECK(srv_config_finish(&cfg, err, sizeof(err)) < 0);
    CHECK(strstr(err, "namespace 'x'"));
}

TEST(quotes_and_errors)
{
    CHECK_EQ_I(load("bind \"127.0.0.1\"  # quoted\nloglevel 'warning'\n"), 0);
    CHECK_STR(cfg.bind, "127.0.0.1");
    CHECK_EQ_I(cfg.loglevel, SRV_LOG_WARNING);
    CHECK(load("\n\nnosuch 1\n") < 0);
    CHECK_STR(err, "t.conf:3: unknown option 'nosuch'");
    CHECK(load("port 1 2\n") < 0);
    CHECK(strstr(err, "t.conf:1: expected '<option> <value>', got 3 words"));
    CHECK(load("port 0\n") < 0);
    CHECK(strstr(err, "must be an integer between 1 and 65535"));
    CHECK(load("mem-background-thread maybe\n") < 0);
    CHECK(strstr(err, "must be yes or no"));
}

TEST(command_line)
{
    char *argv[] = {"flatline-server", "--port", "7000", "--namespace.u.memory-limit", "1mb",
                    "--threads",       "3",      NULL};
    const char *file = "x";
    srv_config_init(&cfg);
    CHECK_EQ_I(srv_config_from_args(&cfg, 7, argv, &file, err, sizeof(err)), 0);
    CHECK(file == NULL);
    CHECK_EQ_I(cfg.port, 7000);
    CHECK_EQ_I(cfg.threads, 3);
    CHECK_EQ_U(cfg.n_ns, 3); /* default, cache (embedded), u */
    CHECK_EQ_U(cfg.ns[2].memory_limit, 1u << 20);
    char *bad[] = {"flatline-server", "--nosuch", "1", NULL};
    srv_config_init(&cfg);
    CHECK(srv_config_from_args(&cfg, 3, bad, &file, err, sizeof(err)) < 0);
    CHECK_STR(err, "command line: unknown option 'nosuch'");
    char *missing[] = {"flatline-server", "--port", NULL};
    srv_config_init(&cfg);
    CHECK(srv_config_from_args(&cfg, 2, missing, &file, err, sizeof(err)) < 0);
    CHECK_STR(err, "command line: --port needs a value");
}

static void collect(void *ctx, const char *name, const char *value)
{
    char *out = ctx;
    size_t l = strlen(out);
    snprintf(out + l, 1024 - l, "%s=%s;", name, value);
}

TEST(config_get)
{
    char out[1024] = "";
    CHECK_EQ_I(load("port 7001\nnamespace.u.memory-limit 2kb\n"), 0);
    srv_config_each(&cfg, "port", 4, collect, out);
    CHECK_STR(out, "port=7001;");
    out[0] = '\0';
    srv_config_each(&cfg, "*u.memory-limit", 15, collect, out);
    CHECK_STR(out, "namespace.u.memory-limit=2048;");
    out[0] = '\0';
    srv_config_each(&cfg, "save", 4, collect, out);
    CHECK_STR(out, "save=;");
    out[0] = '\0';
    srv_config_each(&cfg, "nothing*", 8, collect, out);
    CHECK_STR(out, ""); /* maxmemory: the namespaces' limits summed; 0 when any namespace is
                         * unlimited, as the default namespace is by default */
    out[0] = '\0';
    srv_config_each(&cfg, "maxmemory*", 10, collect, out);
    CHECK_STR(out, "maxmemory=0;maxmemory-policy=noeviction;");
    CHECK_EQ_I(load("namespace.default.memory-limit 1gb\nnamespace.default.maxmemory-policy "
                    "volatile-lfu\n"),
               0);
    out[0] = '\0';
    srv_config_each(&cfg, "maxmemory*", 10, collect, out);
    CHECK_STR(out, "maxmemory=1073741824;maxmemory-policy=volatile-lfu;");
    CHECK_EQ_I(load("namespace.u.memory-limit 2kb\nnamespace.v.memory-limit 0\n"), 0);
    out[0] = '\0';
    srv_config_each(&cfg, "MAXMEMORY", 9, collect, out);
    CHECK_STR(out, "maxmemory=0;");
}

static bool gm(const char *p, const char *s)
{
    return fl_glob_match(p, strlen(p), s, strlen(s), false);
}

TEST(glob)
{
    CHECK(gm("*", ""));
    CHECK(gm("*", "abc"));
    CHECK(gm("a*c", "abbbc"));
    CHECK(!gm("a*c", "abbb"));
    CHECK(gm("h?llo", "hello"));
    CHECK(gm("h[ae]llo", "hallo"));
    CHECK(!gm("h[^e]llo", "hello"));
    CHECK(gm("h[a-c]llo", "hbllo"));
    CHECK(gm("h\\*llo", "h*llo"));
    CHECK(!gm("h\\*llo", "hello"));
    CHECK(gm("*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
    CHECK(!gm("*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    CHECK(fl_glob_match("PORT", 4, "port", 4, true));
    CHECK(!fl_glob_match("PORT", 4, "port", 4, false));
    CHECK(fl_glob_match("a[", 2, "a", 1, false) == false);
}

int main(void)
{
    RUN(defaults);
    RUN(sizes);
    RUN(namespaces);
    RUN(quotes_and_errors);
    RUN(command_line);
    RUN(config_get);
    RUN(glob);
    return TEST_REPORT();
}
