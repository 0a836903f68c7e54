/* lcb_args.h: argument checks and errors shared by the Lua-facing methods
 * (args.c). */
#ifndef LCB_ARGS_H
#define LCB_ARGS_H

#include <lua.h>
#include <lauxlib.h>

/* "bad argument #n to 'fname' (msg)" (argn 0: "calling 'fname' on bad
 * self (msg)"), with the method's own name. Raises. */
int lcb_arg_error(lua_State *L, int argn, const char *fname, const char *msg);

/* Raises RequiredFieldMissing: "<what> requires <qualifier>'<field>'<hint>"
 * (hint and qualifier may be NULL), with err.field set. The one place this
 * error is made. */
int lcb_missing_field(lua_State *L, const char *what, const char *field, const char *hint,
                      const char *qualifier);

/* Present and not an empty string, as every required-field check means it. */
int lcb_present(lua_State *L, int idx);

/* Pushes `v` (an id, a string or an object, which gives its id) as an
 * escaped path segment. A bad value raises "bad argument #argn to 'fname'
 * (why)", or "calling 'fname' on bad self (why)" for argn 0. */
void lcb_push_segment(lua_State *L, int idx, int argn, const char *fname);

/* opts[key] (opts a table at index `opts`): a string, NULL when absent;
 * raises "option 'key' must be a string (got ...)" otherwise. The string
 * stays referenced by the table. */
const char *lcb_opt_string(lua_State *L, int opts, const char *key);

/* core.segment, core.require_fields, core.missing_field. */
void lcb_open_args(lua_State *L);

#endif
