/*
 * src/mem/version.c: the library's run-time version (flatline/version.h), so a program can check
 * that the libflatline it runs with matches the header it was compiled against.
 */
#include "flatline/version.h"

unsigned fl_abi_version(void)
{
    return FLATLINE_ABI_VERSION;
}

unsigned fl_version_number(void)
{
    return FLATLINE_VERSION_NUMBER;
}
