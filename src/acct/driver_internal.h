/*
 * src/acct/driver_internal.h: what the files of the flatline-acct driver share (prefix drv_):
 * driver.c (options, the program's environment, running it), spawn.c (running helper tools
 * without a shell), findings.c (symbolized reports, the verdict of a program killed before it
 * reported), plot.c (gnuplot). The driver is single-threaded; errors are 0 / -errno.
 */
#ifndef FLATLINE_ACCT_DRIVER_INTERNAL_H
#define FLATLINE_ACCT_DRIVER_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

/* ---- Running programs (spawn.c) ----------------------------------------------------------- */

/* Finds prog like execvp would (a name with '/' is taken as is), writes its path into out.
 * Returns 0 or a positive errno (ENOENT, EACCES, EISDIR). */
int drv_find_program(const char *prog, char *out, size_t cap);

/* Runs argv[0] (searched in PATH) with argv, no shell, in directory cwd (NULL: ours), stdin
 * from /dev/null, stderr to /dev/null; its stdout goes to a pipe whose read end (close-on-exec)
 * is stored in *out_fd, or to /dev/null when out_fd is NULL. Returns the child's pid, or
 * -errno when it could not be started (including exec failing: -ENOENT for a missing tool). */
pid_t drv_spawn(char *const argv[], const char *cwd, int *out_fd);

/* Waits for pid (retrying on EINTR). Returns its exit status, 128 + signal when killed, or -errno.
 */
int drv_wait(pid_t pid);

/* ---- Findings (findings.c) ---------------------------------------------------------------- */

/* For every process with files in dir: its final report symbolized (from its rolling
 * latest.txt, with a note, when it left none; program_status > 128 says the program was killed
 * by a signal), report.txt printed on stderr unless quiet, then a summary line per process when
 * there were several; each process's plot (plot.c) unless plot is DRV_PLOT_NONE, drawn by a
 * child of ours that outlives the call with DRV_PLOT_BACKGROUND. healthy: --healthy, for a verdict
 * from the time series when a process left no report at all. Returns 0, or -ENOENT when the program
 * has no report. */
#include <stdint.h>
enum { DRV_PLOT_NONE, DRV_PLOT_WAIT, DRV_PLOT_BACKGROUND };
int drv_finish_reports(const char *dir, int quiet, int plot, int program_status, uint64_t healthy);

/* Removes the files a previous run left in dir (ours only: reports, time series, events, plots,
 * per-pid files), so a reused directory holds this run's findings alone. */
void drv_clean_dir(const char *dir);

/* ---- Symbols (dwarf.c) ------------------------------------------------------------------ */

typedef struct drv_dwarf drv_dwarf_t;

/* Opens a module (executable or shared object, by path) with its symbols and debug information
 * (separate debug files by build-id or debuglink under /usr/lib/debug). NULL when it cannot. */
drv_dwarf_t *drv_dwarf_open(const char *module);
void drv_dwarf_close(drv_dwarf_t *d);

/* Names the code at offset `off` from the module's load base into out: one line per frame,
 * innermost inlined call first, "function (file:line)" with "(inlined)" on inlined ones, or
 * "module+0xOFF" when no symbol contains it (a stripped binary). Returns 1 when named, 0 for
 * module+offset. */
int drv_dwarf_frame(drv_dwarf_t *d, unsigned long off, char *out, size_t cap);

/* ---- Exports (export.c) ----------------------------------------------------------------- */

/* From dir/<prefix>stacks.txt (symbolized): dir/<prefix>stacks.collapsed (flamegraph.pl's
 * input) and dir/<prefix>profile.pb (pprof's profile.proto, uncompressed). Returns 0 or -errno
 * (-ENOENT without stacks.txt). */
int drv_export_stacks(const char *dir, const char *prefix);

/* ---- Diff (diff.c) ------------------------------------------------------------------------ */

/* `flatline-acct diff A B`: prints on stdout how the totals and the call sites changed from
 * report A to report B (files or output directories). Returns 0, or 2 when one cannot be read. */
int drv_diff(const char *a, const char *b);

/* ---- Plot (plot.c) ------------------------------------------------------------------------ */

/* Draws dir/<prefix>plot.svg and .png from the process's time series, top call sites and
 * leak-watch events with gnuplot, when installed. Returns 0, -ENOENT without gnuplot, or another
 * -errno / -EIO when gnuplot failed. */
int drv_plot(const char *dir, const char *prefix);

#endif
