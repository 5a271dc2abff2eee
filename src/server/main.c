/*
 * src/server/main.c: flatline-server's main: configuration from the command line, then
 * srv_server_run. Start-up errors (unknown option, bad value with its line number) exit 1.
 */
#include "server.h"
#include "srv.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    static srv_server_t srv; /* static: large, and lives as long as the process */
    char err[512];
    srv_config_init(&srv.cfg);
    int rc = srv_config_from_args(&srv.cfg, argc, argv, &srv.config_file, err, sizeof(err));
    if (rc == 1)
        return 0;
    if (rc < 0 || srv_config_finish(&srv.cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "flatline-server: %s\n", err);
        return 1;
    }
    return srv_server_run(&srv);
}
