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

/* The terminal's status line (the progress line): output of its own to
 * stderr calls lcb_status_before() first (the line is erased) and
 * lcb_status_after(1) after a complete line (it is redrawn). */
void lcb_status_before(void);
void lcb_status_after(int at_line_start);
/* Draws text as the status line now (a download's progress; C only, so it
 * can run inside libcurl's callbacks). */
void lcb_status_text(const char *text);

/* core.status_draw, status_erase, status_before, status_after,
 * status_active: the same for Lua (lcanvas.script.statusline). */
void lcb_open_log(lua_State *L);

/* Pushes s[0..len) with the client's secrets replaced by [REDACTED] and,
 * when `form` (an encoded form), the value of every parameter whose name
 * says token, secret or password too: what a dry run may print. */
void lcb_log_push_redacted(lua_State *L, const lc_client *c, const char *s, size_t len, int form);

#endif
