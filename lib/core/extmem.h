/*
 * extmem.h - what is behind an application's external memory (extmem.c)
 */
#ifndef UNETMAP_CORE_EXTMEM_H
#define UNETMAP_CORE_EXTMEM_H

#include <stddef.h>
#include <stdint.h>

#include "shared/unetmap_kern.h"

/*
 * Fills @src for [usrptr, usrptr + memsize) and opens the object in *fd
 * (-1 when no way we have works: the daemon then tries the asker's
 * /proc/<pid>/map_files).  0, or netmap's errno (EFAULT: not mapped or
 * not writable; EINVAL: MAP_PRIVATE, not page aligned, several objects)
 * with @why saying what is wrong.
 */
int unm_extmem_source(uint64_t usrptr, uint64_t memsize, struct unm_opt_extmem_src *src,
    int *fd, char *why, size_t whylen);

#endif
