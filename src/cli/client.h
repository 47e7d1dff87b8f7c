/* cli/client.h — the CLI's HTTP client for a running server (libcurl).
 *
 * Subcommands first try the server (--server URL, else LAKEHOUSE_URL, else
 * http://127.0.0.1:3100); when nothing listens there they open the data
 * directory themselves (lh_app_open), so scripts work with or without a
 * server. Any other failure (an HTTP error from a live server) is reported,
 * never papered over by the fallback.
 */
#ifndef LH_CLI_CLIENT_H
#define LH_CLI_CLIENT_H

#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>
#include <stdint.h>

typedef struct lh_client_resp {
    long   status;
    lh_buf body;
} lh_client_resp;

/* The server URL from --server / LAKEHOUSE_URL / the default. */
const char *lh_client_url(const char *flag);

/* Send a request; LH_EUNAVAIL "server_unreachable" if nothing listens.
 * body may be NULL. The response body (any status) lands in resp->body. */
int lh_client_request(const char *base, const char *method, const char *path, const char *content_type,
                      const char *body, size_t body_len, lh_client_resp *resp, lh_err *err);
/* Upload a file as the request body, with a progress bar on stderr when
 * `progress` is set. */
int lh_client_upload(const char *base, const char *path_and_query, const char *file, int progress,
                     lh_client_resp *resp, lh_err *err);
void lh_client_resp_free(lh_client_resp *r);

/* Turn an error response ({"error":{code,message}}) into an lh_err. */
int lh_client_error(const lh_client_resp *r, lh_err *err);

/* A progress bar line on stderr: "label [#####     ] 52%  12.3 MB/s". */
void lh_progress_bar(const char *label, double done, double total, double rate, const char *unit);

#endif
