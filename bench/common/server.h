/* bench/common/server.h — the real `lakehouse serve` for benchmarks that
 * drive it over HTTP: started on a free loopback port, its URL read from
 * the line it prints when it accepts requests, stopped by PID. */
#ifndef LH_BENCH_SERVER_H
#define LH_BENCH_SERVER_H

#include <stddef.h>
#include <sys/types.h>

/* Run `bin serve --host 127.0.0.1 --port 0 <args...>` (args NULL-terminated),
 * stderr appended to `log`; the URL goes to base. Returns the PID, or -1
 * (the child reaped) if it exits or says nothing for 120 s. */
pid_t bench_server_start(const char *bin, const char *const *args, const char *log, char *base, size_t n);
/* SIGTERM, then wait for it to finish its in-flight requests and exit. */
void  bench_server_stop(pid_t pid);

#endif
