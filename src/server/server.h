/*
 * src/server/server.h: the entry point main.c calls (server.c).
 */
#ifndef FLATLINE_SERVER_SERVER_H
#define FLATLINE_SERVER_SERVER_H

struct srv_server;

/* Runs the server with srv->cfg until SIGINT, SIGTERM or SHUTDOWN. Returns the exit code
 * (0 after a graceful shutdown, 1 when start-up failed, with the reason logged). */
int srv_server_run(struct srv_server *srv);

#endif /* FLATLINE_SERVER_SERVER_H */
