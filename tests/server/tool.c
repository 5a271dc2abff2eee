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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
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

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "port") == 0)
        return free_port();
    if (argc >= 3 && strcmp(argv[1], "raw") == 0)
        return raw(atoi(argv[2]), argc >= 4 ? atoi(argv[3]) : 2000, argc >= 5 ? atol(argv[4]) : 0);
    fprintf(stderr, "usage: server_test_tool port | raw PORT [MS [LINES]]\n");
    return 2;
}
