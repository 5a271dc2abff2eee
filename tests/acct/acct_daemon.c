/*
 * tests/acct/acct_daemon.c: behaves like a daemon that closes every descriptor it did not open
 * and then opens its own files: the accountant (output files, trace) must never write into
 * them. It allocates for a while (the monitor writes its time series meanwhile), then checks
 * that its file holds exactly what it wrote. Exit 0 when untouched.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    int own[8];
    for (int i = 0; i < 8; i++) { /* take the lowest numbers, as a daemon's files would */
        char path[512];
        snprintf(path, sizeof path, "%s.%d", argv[1], i);
        own[i] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (own[i] < 0 || write(own[i], "mine\n", 5) != 5)
            return 3;
    }
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int round = 0; round < 25; round++) { /* ~0.5 s, allocating */
        void *keep[1000];
        for (int i = 0; i < 1000; i++)
            keep[i] = malloc(100 + (size_t)i * 7);
        for (int i = 0; i < 1000; i++)
            free(keep[i]);
        nanosleep(&pause, NULL);
    }
    for (int i = 0; i < 8; i++) {
        char buf[64];
        ssize_t n = pread(own[i], buf, sizeof buf, 0);
        if (n != 5 || memcmp(buf, "mine\n", 5) != 0) {
            fprintf(stderr, "file %d was written by someone else (%zd bytes)\n", i, n);
            return 1;
        }
        close(own[i]);
    }
    return 0;
}
