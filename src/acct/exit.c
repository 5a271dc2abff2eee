/*
 * src/acct/exit.c: the final report is taken in the state the program ran in, before its
 * teardown. Two ways out of a C program run the teardown (atexit handlers, C++ static
 * destructors, Python's finalisation): returning from main, and calling exit(). We wrap both:
 * __libc_start_main (the C library's start-up, which the loader resolves through the preload
 * like any other symbol) is given a main of ours that calls the program's, takes the report and
 * returns; exit() takes the report and goes on into the real one. The library's destructor
 * then shows what the teardown changed (monitor.c). _exit() and death by a signal run no
 * teardown and no report: the rolling latest.txt stands for them.
 */
#include "acct_lib.h"

#include <dlfcn.h>
#include <stdlib.h>

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_main_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void),
                             void *);

/* glibc's start-up entry point (declared by no header). */
int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end);

static main_fn program_main; /* written once, before the program's main runs */

static int main_then_report(int argc, char **argv, char **envp)
{
    int status = program_main(argc, argv, envp);
    acct_final_report("at exit (main returned, before atexit handlers and destructors)");
    return status;
}

ACCT_EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                                  void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    start_main_fn real = (start_main_fn)dlsym(RTLD_NEXT, "__libc_start_main");
    program_main = main;
    return real(main_then_report, argc, argv, init, fini, rtld_fini, stack_end);
}

ACCT_EXPORT void exit(int status)
{
    acct_final_report("at exit (exit() called, before atexit handlers and destructors)");
    void (*real)(int) = (void (*)(int))dlsym(RTLD_NEXT, "exit");
    real(status);
    __builtin_unreachable();
}
