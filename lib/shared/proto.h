/*
 * proto.h - moving unm_msg messages and descriptors over the SOCK_SEQPACKET
 * connection between a netmap descriptor and the daemon.
 */
#ifndef UNETMAP_PROTO_H
#define UNETMAP_PROTO_H

#include <stddef.h>
#include "shared/unetmap_kern.h"

/*
 * Sends one message (header, payload) and its descriptors; descriptors
 * beyond UNM_FDS_PER_MSG follow in UNM_OP_FDS messages.  @flags go to
 * sendmsg (MSG_DONTWAIT in the daemon).  Returns 0 or -errno.
 */
int unm_msg_send(int sock, struct unm_msg *m, const void *payload, size_t len,
    const int *fds, unsigned nfds, int flags);

/*
 * Receives one message and all its descriptors (collecting UNM_OP_FDS
 * follow-ups, each waited for up to @follow_ms: a peer promising
 * descriptors it does not send gets -EPROTO).  *len gets the payload size.
 * Returns 0, -errno, or -ECONNRESET when the peer has gone.  Descriptors
 * are close-on-exec.
 */
int unm_msg_recv(int sock, struct unm_msg *m, void *payload, size_t cap,
    size_t *len, int *fds, unsigned maxfds, unsigned *nfds, int flags, int follow_ms);

void unm_msg_init(struct unm_msg *m, enum unm_op op);
void unm_close_fds(int *fds, unsigned n);

#endif
