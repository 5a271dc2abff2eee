/*
 * tests/death.h: death tests for the assertions (src/common/fl_assert.h).
 *
 *   th_dies(fn, ctx, needle)   runs fn(ctx) in a forked child with its stderr captured; true
 *                              when the child was killed by SIGABRT and its stderr contains
 *                              `needle` (e.g. the function and the condition that failed)
 *
 * The child inherits the parent's state (arenas, stores), so fn can misuse them without
 * harming the parent. Not for TSan builds (fork of a threaded process) or tests that must not
 * fork.
 */
#ifndef FLATLINE_TESTS_DEATH_H
#define FLATLINE_TESTS_DEATH_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static inline bool th_dies(void (*fn)(void *), void *ctx, const char *needle)
{
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn(ctx);
        _exit(0); /* no assertion fired */
    }
    close(fds[1]);
    char out[4096];
    size_t n = 0;
    ssize_t got;
    while (n < sizeof(out) - 1 && (got = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    close(fds[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return false;
    bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    if (n > 0 && (!aborted || !strstr(out, needle)))
        fprintf(stderr, "  child %s; its stderr: %s\n", aborted ? "aborted" : "did not abort", out);
    return aborted && strstr(out, needle) != NULL;
}

#endif /* FLATLINE_TESTS_DEATH_H */
