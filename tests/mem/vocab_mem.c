/*
 * tests/mem/vocab_mem.c: prints the memory vocabulary (FL_MEM_BYTES, then FL_MEM_RATIOS), one
 * name a line, so shell tests can check a printer against the one definition instead of a list
 * of their own.
 */
#include <stdio.h>

#include "flatline/mem.h"

int main(void)
{
#define PRINT_BYTES_(f, name, doc) puts(name);
    FL_MEM_BYTES(PRINT_BYTES_)
#undef PRINT_BYTES_
#define PRINT_RATIO_(f, name, formula, doc) puts(name);
    FL_MEM_RATIOS(PRINT_RATIO_)
#undef PRINT_RATIO_
    return 0;
}
