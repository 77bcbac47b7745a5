/*
 * bridge.h - netmap-bridge: forwards frames between two netmap ports
 * (OPNsense's name for netmap's "bridge" tool).
 */
#ifndef NETMAP_BRIDGE_H
#define NETMAP_BRIDGE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

struct nb_stats {
	uint64_t frames, slots, bytes;
};

/*
 * Moves what fits from the rx rings of @src to the tx rings of @dst, at
 * most @limit slots: swapping buffers when @zcopy, copying otherwise;
 * NS_MOREFRAG goes along.  Returns the slots moved.
 */
uint32_t nb_move(struct nmport_d *src, struct nmport_d *dst, uint32_t limit, bool zcopy,
    struct nb_stats *st);
/*
 * Forwards port[0]<->port[1], port[2]<->port[3], ... (@n even) until *@stop:
 * sleeping in poll(), or syncing in a loop when @busy.  0, or 1 on failure.
 */
int nb_run_pairs(struct nmport_d **port, unsigned n, uint32_t batch, bool copy, bool busy,
    volatile sig_atomic_t *stop);
/* slots waiting in the rx rings of @d */
uint32_t nb_rx_pending(struct nmport_d *d);

#endif
