/* cli/cmd_serve.c — `lakehouse serve`: run the gateway until signalled.
 *
 * Start-up order is chosen so that every check that can fail fails before
 * the port is bound: configuration, the engine's version check, then the
 * application (buckets, engines, catalog, query views), then the listener.
 * SIGINT and SIGTERM are taken synchronously with sigwait by the main
 * thread, which then drains requests and flushes the journals — no work in
 * a signal handler. They are blocked before any thread of ours starts, so
 * ours inherit the mask; but a library may start threads while it loads,
 * before main (OpenBLAS does), and a shutdown signal delivered to one of
 * those would take its default action and kill the process mid-request.
 * So the signals also get a handler, which only passes them on to the
 * main thread (pthread_kill is async-signal-safe), where sigwait takes
 * them.
 */
#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "engine/engine.h"
#include "gateway/gateway.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static pthread_t main_thread;

static void pass_to_main(int sig)
{
    pthread_kill(main_thread, sig);
}

const char *lh_cli_version(void);

static const char USAGE[] =
    "usage: lakehouse serve [--config FILE] [--host HOST] [--port PORT] [--data-dir DIR]\n"
    "\n"
    "Run the HTTP gateway in the foreground until SIGINT or SIGTERM.\n"
    "\n"
    "  --config FILE    configuration file (default: ./lakehouse.toml if present, else defaults)\n"
    "  --host HOST      listen address (server.host, default 127.0.0.1)\n"
    "  --port PORT      listen port (server.port, default 3100; 0 picks a free port)\n"
    "  --data-dir DIR   root of the primary bucket on the local backend (default ./data)\n"
    "\n"
    "Prints \"lakehouse: listening on http://HOST:PORT\" on stdout once ready.\n";

int lh_cmd_serve(int argc, char **argv)
{
    lh_cli_flags f;
    int rc = lh_cli_parse_flags(argc, argv, USAGE, &f);
    if (rc >= 0) return rc;

    lh_config *cfg;
    rc = lh_cli_load_config(&f, &cfg);
    if (rc) return rc;
    lh_log_set_level((lh_log_level)lh_log_level_parse(cfg->log_level));
    lh_log_set_json(!strcmp(cfg->log_format, "json"));

    lh_err e;
    if (lh_engine_selfcheck(&e)) {
        lh_error("engine: %s", e.msg);
        lh_config_free(cfg);
        return LH_EXIT_RUNTIME;
    }

    /* Block the shutdown signals before our threads start, so they inherit
     * the mask and only sigwait below sees them; threads a library started
     * earlier pass them on (see the top of the file). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    main_thread = pthread_self();
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = pass_to_main;
    sa.sa_flags = SA_RESTART;
    sigfillset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    lh_app *app;
    if (lh_app_open(cfg, lh_cli_version(), &app, &e)) {
        lh_error("%s", e.msg);
        lh_config_free(cfg);
        return LH_EXIT_RUNTIME;
    }
    lh_gateway *gw;
    if (lh_gateway_start(app, &gw, &e)) {
        lh_error("gateway: %s", e.msg);
        lh_app_close(app);
        lh_config_free(cfg);
        return LH_EXIT_RUNTIME;
    }
    const lh_bucket_cfg *primary = lh_config_bucket(cfg, "primary");
    lh_info("lakehouse %s serving on %s:%u, primary bucket %s (%s), duckdb %s", app->version, cfg->server_host,
            lh_gateway_port(gw), primary->backend, !strcmp(primary->backend, "local") ? primary->root : primary->bucket,
            lh_engine_library_version());
    printf("lakehouse: listening on http://%s:%u\n", cfg->server_host, lh_gateway_port(gw));
    fflush(stdout);

    int sig = 0;
    sigwait(&set, &sig);
    lh_info("received %s; finishing in-flight requests (up to %lld ms)", sig == SIGINT ? "SIGINT" : "SIGTERM",
            (long long)cfg->server_shutdown_timeout_ms);
    lh_gateway_stop(gw, cfg->server_shutdown_timeout_ms);
    lh_app_close(app);
    lh_config_free(cfg);
    lh_info("stopped");
    return LH_EXIT_OK;
}
