/*
 * src/server/pubsub.h: publish/subscribe (pubsub.c), used by the PUBSUB family
 * (cmd_pubsub.c), dispatch (commands.c) and PING. Private to src/server/.
 */
#ifndef FLATLINE_SERVER_PUBSUB_H
#define FLATLINE_SERVER_PUBSUB_H

#include "srv.h"

/* SUBSCRIBE / PSUBSCRIBE: one confirmation per name; c is then in the pubsub class
 * (SRV_PUBSUB) until an unsubscribe leaves it without subscriptions. */
void srv_pubsub_subscribe(srv_client_t *c, const fl_slice_t *names, int n, bool pattern);

/* UNSUBSCRIBE / PUNSUBSCRIBE: the names given, or every one of c's when n == 0. */
void srv_pubsub_unsubscribe(srv_client_t *c, const fl_slice_t *names, int n, bool pattern);

/* PUBLISH: delivers msg to every subscriber of channel and every client with a matching
 * pattern, on their own workers, in the order publishes take the registry lock (so every
 * subscriber sees one channel's messages in the same order). Returns the receivers. */
long long srv_pubsub_publish(fl_slice_t channel, fl_slice_t msg);

/* Channels plus patterns c is subscribed to (0: not in subscribed mode). */
size_t srv_pubsub_count(const srv_client_t *c);

/* PUBSUB CHANNELS [pattern] / NUMSUB channel... / NUMPAT. */
void srv_pubsub_channels(srv_client_t *c, const fl_slice_t *pattern);
void srv_pubsub_numsub(srv_client_t *c, const fl_slice_t *channels, int n);
void srv_pubsub_numpat(srv_client_t *c);

/* c's subscriptions of one kind: channels, or patterns (CLIENT LIST's sub= and psub=). */
size_t srv_pubsub_count_of(const srv_client_t *c, bool pattern);

/* Whether c's user still allows every channel and pattern c is subscribed to
 * (srv_acl_may_subscribe); true without ACL. c's worker thread. */
bool srv_pubsub_permitted(srv_client_t *c);

/* Drops every subscription of c without confirming any (client close, RESET). */
void srv_pubsub_free(srv_client_t *c);

#endif /* FLATLINE_SERVER_PUBSUB_H */
