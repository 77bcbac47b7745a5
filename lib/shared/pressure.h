/*
 * pressure.h - the machine's CPU pressure, as the kernel's PSI keeps it:
 * how long runnable threads waited for a CPU.  poll() reads it to decide
 * whether to spin, netmap-bridge's pollers whether to poll at all.
 */
#ifndef UNETMAP_PRESSURE_H
#define UNETMAP_PRESSURE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * *@total: microseconds, since boot, during which some runnable thread
 * waited for a CPU ("some total" of /proc/pressure/cpu).  false where the
 * kernel keeps none: errno ENOENT or EOPNOTSUPP then (psi=0, no
 * CONFIG_PSI), which never changes while the machine runs.
 */
bool unm_cpu_pressure_us(uint64_t *total);

#endif
