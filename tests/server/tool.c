/*
 * tests/server/tool.c: small helper for the integration scripts.
 *
 *   server_test_tool port             prints a free 127.0.0.1 TCP port (the kernel picks it)
 *   server_test_tool raw PORT [MS [LINES]]
 *                                     sends stdin as is, then prints every byte received until
 *                                     the server closes ("[closed]"), MS ms of silence
 *                                     ("[open]", default 2000) or, when LINES > 0 is given,
 *                                     LINES CRLF-ended lines arrived ("[done]"; nothing after
 *                                     them is read): a count, not a wall-clock window, ends it
 *   server_test_tool resp PORT        runs a transcript on connections to PORT: each stdin line is
 *                                     a command (words split at spaces; "double quotes" group
 *                                     and take \r \n \" \\ \xNN), sent as a multibulk; then
 *                                     one whole reply is read (RESP2 or RESP3, parsed so no
 *                                     timing decides where it ends) and printed on one line,
 *                                     bytes escaped (CR LF as \r\n). A line "!N command" reads
 *                                     N replies (pushes count), "!N" alone reads N without
 *                                     sending; "@K ..." uses connection K (0-3, opened at its
 *                                     first use; 0 without "@"); "#" lines are comments
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <ctype.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof(sa);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        perror("port");
        return 1;
    }
    printf("%d\n", ntohs(sa.sin_port));
    close(fd);
    return 0;
}

static int raw(int port, int ms, long lines)
{
    signal(SIGPIPE, SIG_IGN);
    size_t cap = 1 << 16, len = 0;
    char *in = malloc(cap);
    ssize_t n;
    while (in && (n = read(0, in + len, cap - len)) > 0) {
        len += (size_t)n;
        if (len == cap)
            in = realloc(in, cap *= 2);
    }
    if (!in)
        return 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("connect");
        return 1;
    }
    size_t sent = 0;
    while (sent < len) { /* the server may close early: stop sending then */
        n = write(fd, in + sent, len - sent);
        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    char buf[65536];
    long seen = 0;
    char last = 0;
    for (;;) {
        if (lines > 0 && seen >= lines) {
            printf("[done]\n");
            break;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, ms);
        if (r == 0) {
            printf("[open]\n");
            break;
        }
        /* With a line count, read byte by byte so nothing past the last line is consumed. */
        n = read(fd, buf, lines > 0 ? 1 : sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            printf("[closed]\n");
            break;
        }
        fwrite(buf, 1, (size_t)n, stdout);
        for (ssize_t i = 0; i < n; i++) {
            if (last == '\r' && buf[i] == '\n')
                seen++;
            last = buf[i];
        }
    }
    free(in);
    close(fd);
    return 0;
}

/* ---- resp: a RESP2/RESP3 transcript --------------------------------------------------- */

typedef struct reader {
    int fd;
    char buf[65536];
    size_t pos, len;
} reader_t;

/* Next byte from the connection, or -1 at its end (or after 10 s of silence: a hang). */
static int next_byte(reader_t *r)
{
    if (r->pos == r->len) {
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        if (poll(&p, 1, 10000) <= 0)
            return -1;
        ssize_t n = read(r->fd, r->buf, sizeof(r->buf));
        if (n <= 0)
            return -1;
        r->pos = 0;
        r->len = (size_t)n;
    }
    return (unsigned char)r->buf[r->pos++];
}

static void put_escaped(int ch)
{
    if (ch == '\r')
        fputs("\\r", stdout);
    else if (ch == '\n')
        fputs("\\n", stdout);
    else if (ch == '\\')
        fputs("\\\\", stdout);
    else if (isprint(ch))
        putchar(ch);
    else
        printf("\\x%02x", ch);
}

/* Copies one CRLF-ended line to stdout (escaped) and returns its text after the type byte as a
 * number (for headers). Returns false at the connection's end. */
static bool echo_line(reader_t *r, char *text, size_t cap)
{
    size_t n = 0;
    int ch, prev = 0;
    while ((ch = next_byte(r)) >= 0) {
        put_escaped(ch);
        if (prev == '\r' && ch == '\n') {
            text[n > 0 ? n - 1 : 0] = '\0';
            return true;
        }
        if (n + 1 < cap)
            text[n++] = (char)ch;
        prev = ch;
    }
    return false;
}

/* Echoes one whole reply. Returns false at the connection's end or on a byte that starts no
 * RESP type. */
static bool echo_reply(reader_t *r)
{
    char text[512];
    if (!echo_line(r, text, sizeof(text)))
        return false;
    long long n = strtoll(text + 1, NULL, 10);
    switch (text[0]) {
    case '+':
    case '-':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
        return true;
    case '$':
    case '=':
    case '!':
        for (long long i = 0; i < n + 2 && n >= 0; i++) {
            int ch = next_byte(r);
            if (ch < 0)
                return false;
            put_escaped(ch);
        }
        return true;
    case '%':
    case '|':
        n *= 2;
        /* fall through */
    case '*':
    case '~':
    case '>':
        for (long long i = 0; i < n; i++)
            if (!echo_reply(r))
                return false;
        if (text[0] == '|') /* an attribute precedes the reply it describes */
            return echo_reply(r);
        return true;
    default:
        return false;
    }
}

/* Splits line into words (quotes and escapes as redis-cli's), appended as one multibulk to
 * out. Returns the number of words. */
static int encode_command(const char *line, char *out, size_t cap, size_t *outlen)
{
    char words[64][1024];
    size_t lens[64];
    int argc = 0;
    const char *p = line;
    while (*p && argc < 64) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t n = 0;
        bool quoted = *p == '"';
        if (quoted)
            p++;
        while (*p && (quoted ? *p != '"' : *p != ' ') && n < sizeof(words[0])) {
            int ch = (unsigned char)*p++;
            if (quoted && ch == '\\' && *p) {
                ch = (unsigned char)*p++;
                if (ch == 'r')
                    ch = '\r';
                else if (ch == 'n')
                    ch = '\n';
                else if (ch == 'x' && isxdigit((unsigned char)p[0]) &&
                         isxdigit((unsigned char)p[1])) {
                    char hex[3] = {p[0], p[1], 0};
                    ch = (int)strtol(hex, NULL, 16);
                    p += 2;
                }
            }
            words[argc][n++] = (char)ch;
        }
        if (quoted && *p == '"')
            p++;
        lens[argc++] = n;
    }
    size_t len = (size_t)snprintf(out, cap, "*%d\r\n", argc);
    for (int i = 0; i < argc && len + lens[i] + 32 < cap; i++) {
        len += (size_t)snprintf(out + len, cap - len, "$%zu\r\n", lens[i]);
        memcpy(out + len, words[i], lens[i]);
        len += lens[i];
        memcpy(out + len, "\r\n", 2);
        len += 2;
    }
    *outlen = len;
    return argc;
}

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("connect");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

#define TRANSCRIPT_CONNS 4

static int transcript(int port)
{
    signal(SIGPIPE, SIG_IGN);
    static reader_t conns[TRANSCRIPT_CONNS];
    for (int i = 0; i < TRANSCRIPT_CONNS; i++)
        conns[i].fd = -1;
    static char line[70000], out[70000];
    int rc = 0;
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *cmd = line;
        long which = 0, replies = 1;
        if (cmd[0] == '@') {
            which = strtol(cmd + 1, &cmd, 10);
            if (which < 0 || which >= TRANSCRIPT_CONNS)
                which = 0;
        }
        while (*cmd == ' ')
            cmd++;
        if (cmd[0] == '!')
            replies = strtol(cmd + 1, &cmd, 10);
        reader_t *r = &conns[which];
        if (r->fd < 0 && (r->fd = connect_port(port)) < 0) {
            rc = 1;
            break;
        }
        size_t len = 0;
        if (encode_command(cmd, out, sizeof(out), &len) > 0 &&
            write(r->fd, out, len) != (ssize_t)len) {
            printf("[write failed]\n");
            break;
        }
        long i = 0;
        for (; i < replies && echo_reply(r); i++)
            putchar('\n');
        if (i < replies) {
            printf("[closed]\n");
            close(r->fd);
            r->fd = -1;
        }
        fflush(stdout);
    }
    for (int i = 0; i < TRANSCRIPT_CONNS; i++)
        if (conns[i].fd >= 0)
            close(conns[i].fd);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "port") == 0)
        return free_port();
    if (argc >= 3 && strcmp(argv[1], "raw") == 0)
        return raw(atoi(argv[2]), argc >= 4 ? atoi(argv[3]) : 2000, argc >= 5 ? atol(argv[4]) : 0);
    if (argc >= 3 && strcmp(argv[1], "resp") == 0)
        return transcript(atoi(argv[2]));
    fprintf(stderr, "usage: server_test_tool port | raw PORT [MS [LINES]] | resp PORT\n");
    return 2;
}
