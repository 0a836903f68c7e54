/* lcb_error.h: lcanvas.Error, the object every API failure raises (error.c). */
#ifndef LCB_ERROR_H
#define LCB_ERROR_H

#include <lua.h>

#include "lcanvas.h"

#define LCB_ERROR_MT "lcanvas.Error"

/* Pushes an lcanvas.Error for `e` (copying everything it needs). */
void lcb_push_error(lua_State *L, const lc_error *e);
/* Pushes the error, clears `e` (and `resp` if given), raises. */
int  lcb_raise_error(lua_State *L, lc_error *e, lc_response *resp);
/* Raises a fresh error of `kind` with a message. */
int  lcb_raise_kind(lua_State *L, lc_kind kind, const char *fmt, ...);

/* Adds error and kinds to the module table on top. */
void lcb_open_error(lua_State *L);

#endif
