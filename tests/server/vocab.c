/*
 * tests/server/vocab.c: prints every vocabulary the server reports, one "<kind> <name>" a line
 * in definition order, so tests/server/vocabulary.sh checks INFO, MEMORY STATS, CONFIG GET and
 * --help against the one definition of each (not against a list of its own):
 *
 *   mem_bytes / mem_ratio   FL_MEM_BYTES / FL_MEM_RATIOS (flatline/mem.h)
 *   ns_stat                 FL_NS_STATS (flatline/store.h)
 *   ns_option               FL_NS_OPTIONS (flatline/store.h)
 *   srv_stat                SRV_STATS (src/server/srv.h), INFO stats's names
 *   server_arena            SRV_LIFETIME_ARENAS (src/server/lifetime.h)
 */
#include <stdio.h>

#include "srv.h"

int main(void)
{
#define PRINT_BYTES_(f, name, doc) printf("mem_bytes %s\n", name);
    FL_MEM_BYTES(PRINT_BYTES_)
#undef PRINT_BYTES_
#define PRINT_RATIO_(f, name, formula, doc) printf("mem_ratio %s\n", name);
    FL_MEM_RATIOS(PRINT_RATIO_)
#undef PRINT_RATIO_
#define PRINT_NS_STAT_(f, ctype, name, unit, doc) printf("ns_stat %s\n", name);
    FL_NS_STATS(PRINT_NS_STAT_)
#undef PRINT_NS_STAT_
#define PRINT_NS_OPTION_(f, ctype, kind, name, def, min, max, runtime, doc)                        \
    printf("ns_option %s\n", name);
    FL_NS_OPTIONS(PRINT_NS_OPTION_)
#undef PRINT_NS_OPTION_
#define PRINT_SRV_STAT_(f, info_name, doc) printf("srv_stat %s\n", info_name);
    SRV_STATS(PRINT_SRV_STAT_)
#undef PRINT_SRV_STAT_
#define PRINT_ARENA_(kind, name, doc) printf("server_arena %s\n", name);
    SRV_LIFETIME_ARENAS(PRINT_ARENA_)
#undef PRINT_ARENA_
    return 0;
}
