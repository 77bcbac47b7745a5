/*
 * lb.h - netmap's load balancer, as unetmap builds it: one input port
 * spread over groups of netmap pipes by a symmetric flow hash.
 */
#ifndef LB_H
#define LB_H

#include <stdbool.h>
#include <stdint.h>

/*
 * lb_hash - the flow hash of one Ethernet frame of @len bytes.
 *
 * Symmetric: a frame and the frame with source and destination swapped
 * (addresses and ports) hash alike.  What is hashed, in order of
 * preference (see lb(8)):
 *   IPv4/IPv6 TCP or UDP, not a fragment: both addresses and both ports
 *   IP-in-IP (4 and 41 inside IPv4 or IPv6), GRE (version 0, IPv4, IPv6
 *   and transparent Ethernet bridging inside): the innermost such header
 *   any other IPv4/IPv6 packet (and fragments): both addresses
 *   anything else: both MAC addresses
 * One 802.1Q tag is skipped, in the outer frame and in a bridged one.
 * *ip is set to whether an IP header was found.
 */
uint32_t lb_hash(const uint8_t *frame, uint32_t len, bool *ip);

#endif
