/*
 * src/acct/spawn.c: runs the driver's helper tool (gnuplot) without a shell: an argv
 * array through fork and execvp, so paths from /proc/<pid>/maps or --out reach the tool as they
 * are, whatever characters they hold (quotes, spaces), and can never become commands.
 * Invariant: a child never returns into the driver (it execs or _exits), and an exec failure is
 * reported to the parent through a close-on-exec pipe, so drv_spawn's result says whether the
 * tool really started.
 */
#include "driver_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int drv_find_program(const char *prog, char *out, size_t cap)
{
    struct stat st;
    if (strchr(prog, '/')) {
        if (access(prog, X_OK) != 0)
            return errno;
        if (stat(prog, &st) == 0 && S_ISDIR(st.st_mode))
            return EISDIR;
        snprintf(out, cap, "%s", prog);
        return 0;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    int err = ENOENT;
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(out, cap, "%.*s/%s", (int)n, n ? path : ".", prog);
        if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
            if (access(out, X_OK) == 0)
                return 0;
            err = EACCES;
        }
        path += n + (colon ? 1 : 0);
    }
    return err;
}

/* In the child: stdin and stderr from/to /dev/null, stdout to out (or /dev/null), cwd, exec.
 * Reports errno through err_fd when anything fails. Never returns. */
static void exec_child(char *const argv[], const char *cwd, int out, int err_fd)
{
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0 ||
        dup2(out >= 0 ? out : null, STDOUT_FILENO) < 0 || (cwd && chdir(cwd) != 0)) {
        int e = errno;
        (void)!write(err_fd, &e, sizeof e);
        _exit(127);
    }
    execvp(argv[0], argv);
    int e = errno;
    (void)!write(err_fd, &e, sizeof e);
    _exit(127);
}

pid_t drv_spawn(char *const argv[], const char *cwd, int *out_fd)
{
    int errp[2], outp[2] = {-1, -1};
    if (pipe2(errp, O_CLOEXEC) != 0)
        return -errno;
    if (out_fd && pipe2(outp, O_CLOEXEC) != 0) {
        int e = errno;
        close(errp[0]);
        close(errp[1]);
        return -e;
    }
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid == 0)
        exec_child(argv, cwd, outp[1], errp[1]);
    int fork_err = pid < 0 ? errno : 0;
    close(errp[1]);
    if (outp[1] >= 0)
        close(outp[1]);
    int exec_err = 0;
    if (pid > 0 && read(errp[0], &exec_err, sizeof exec_err) == (ssize_t)sizeof exec_err) {
        drv_wait(pid);
        fork_err = exec_err;
    }
    close(errp[0]);
    if (fork_err) {
        if (outp[0] >= 0)
            close(outp[0]);
        return -fork_err;
    }
    if (out_fd)
        *out_fd = outp[0];
    return pid;
}

int drv_wait(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
