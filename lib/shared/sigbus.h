/*
 * sigbus.h - mappings of memory their owner may truncate (external
 * memory): a SIGBUS in one replaces it with zeroes instead of killing the
 * process that touched it (sigbus.c)
 */
#ifndef UNETMAP_SIGBUS_H
#define UNETMAP_SIGBUS_H

#include <stdbool.h>
#include <stdint.h>

void unm_sigbus_init(void);		/* the handler, once */
bool unm_sigbus_watch(void *base, uint64_t len);	/* false: no room to watch it */
void unm_sigbus_forget(void *base);

#endif
