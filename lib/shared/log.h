/*
 * log.h - one logging path for the library and the daemon.
 *
 * Messages go to stderr prefixed with the program's role ("unetmap" in
 * applications, "unetmapd" in the daemon), or to a file the daemon opens.
 * UNETMAP_LOG=quiet silences the library's warnings (errors still print);
 * UNETMAP_LOG=debug adds debug lines.
 */
#ifndef UNETMAP_LOG_H
#define UNETMAP_LOG_H

enum unm_log_level { UNM_LOG_ERR, UNM_LOG_WARN, UNM_LOG_INFO, UNM_LOG_DEBUG };

void unm_log_init(const char *role);
void unm_log_set_fd(int fd);
void unm_log_set_level(enum unm_log_level lvl);
int unm_log_enabled(enum unm_log_level lvl);
void unm_log(enum unm_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define unm_err(...)   unm_log(UNM_LOG_ERR, __VA_ARGS__)
#define unm_warn(...)  unm_log(UNM_LOG_WARN, __VA_ARGS__)
#define unm_info(...)  unm_log(UNM_LOG_INFO, __VA_ARGS__)
#define unm_debug(...) do { if (unm_log_enabled(UNM_LOG_DEBUG)) unm_log(UNM_LOG_DEBUG, __VA_ARGS__); } while (0)

/* at most @burst messages per second from one call site */
#define unm_ratelimited(burst, ...)                                          \
	do {                                                                 \
		static long unm_rl_sec_;                                     \
		static int unm_rl_n_;                                        \
		if (unm_log_ratelimit(&unm_rl_sec_, &unm_rl_n_, (burst)))    \
			unm_log(UNM_LOG_WARN, __VA_ARGS__);                  \
	} while (0)
int unm_log_ratelimit(long *sec, int *n, int burst);

#endif
