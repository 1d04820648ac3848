/*
 * server_int.h - what server.c and server_response.c share, and nobody
 * else: the life cycle of the response a connection reuses.
 */
#ifndef MW_HTTP_SERVER_INT_H
#define MW_HTTP_SERVER_INT_H

#include <stdbool.h>

#include "http/server.h"

void mw_http_response_init(mw_http_response *resp);
/* Back to the preset state (200, JSON, empty), keeping the memory. */
void mw_http_response_reset(mw_http_response *resp);
void mw_http_response_free(mw_http_response *resp);
bool mw_http_response_failed(const mw_http_response *resp);

#endif
