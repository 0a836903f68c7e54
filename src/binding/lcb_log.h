/* lcb_log.h: the client option `verbose`, a log line per request (log.c). */
#ifndef LCB_LOG_H
#define LCB_LOG_H

#include <lua.h>

#include "lcanvas.h"

/* Sets up the log at `level` (1: a line per request, 2: with bodies) for a
 * client being created: its state is anchored in the table at fields_idx
 * (the client's field table, so it lives as long as the client) and `cfg`
 * gets the callback. `token` (or NULL) is redacted from logged bodies. */
void lcb_log_setup(lua_State *L, int fields_idx, int level, const char *token, lc_config *cfg);

#endif
