/* storage/curl_global.c — one pthread_once around curl_global_init (see
 * curl_global.h for why there is exactly one). The outcome is kept so a
 * failed initialisation is reported to every caller, not only the first;
 * libcurl is never cleaned up, as it lives as long as the process. */
#include "storage/curl_global.h"

#include <curl/curl.h>
#include <pthread.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static CURLcode       g_rc;

static void init_once(void) { g_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

int lh_curl_global_init(lh_err *err)
{
    pthread_once(&g_once, init_once);
    if (g_rc == CURLE_OK) return 0;
    return lh_err_set(err, LH_EINTERNAL, "http_client_init", "cannot start libcurl, the HTTP client: %s",
                      curl_easy_strerror(g_rc));
}
