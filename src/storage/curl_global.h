/* storage/curl_global.h — libcurl's process-wide set-up, done once.
 *
 * curl_global_init must run before libcurl is used from several threads,
 * and must not itself run twice at once. Both HTTP clients of the server
 * (the S3 backend here, the Ollama client in ai/) use libcurl from request
 * and job threads, so they share this one guard instead of each keeping a
 * once-flag of its own (two flags meant two initialisations that could run
 * concurrently). It lives in storage because that is the lowest layer that
 * links libcurl: core does not (libcurl stays with the clients that need
 * it), and ai/ sits above storage/ in the layer table.
 */
#ifndef LH_STORAGE_CURL_GLOBAL_H
#define LH_STORAGE_CURL_GLOBAL_H

#include "core/err.h"

/* Initialise libcurl once per process (thread-safe; cheap after the first
 * call). 0, or LH_EINTERNAL "http_client_init" if libcurl could not start —
 * every later call reports the same failure. */
int lh_curl_global_init(lh_err *err);

#endif
