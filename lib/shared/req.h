/* req.h - sizes of request bodies and options, by netmap's rules */
#ifndef UNETMAP_REQ_H
#define UNETMAP_REQ_H

#include <stdint.h>

/* the body size of a request type, or -1 for a type nobody knows */
int unm_req_body_size(unsigned type);
/* an option's size after its 24-byte header (netmap: unknown types have none) */
uint64_t unm_opt_body_size(uint32_t type, uint64_t nro_size);
/* NETMAP_REQ_* name, for messages */
const char *unm_req_name(unsigned type);

/* body + option headers + option bodies may not exceed this (EMSGSIZE) */
#define UNM_REQ_MAX_BYTES 4096u

#endif
