/* lcb_json.h: JSON and parameters between Lua and the core: text to Lua
 * values in json_in.c, Lua values to JSON and parameters in json_out.c. */
#ifndef LCB_JSON_H
#define LCB_JSON_H

#include <stddef.h>

#include <lua.h>

#include "value.h"

/* The `lcanvas.null` sentinel (a light userdata). */
void lcb_push_null(lua_State *L);
int  lcb_is_null(lua_State *L, int idx);
/* Decodes JSON onto the stack (JSON null inside objects becomes absent,
 * inside arrays lcanvas.null). Returns 1, or 0 with a message pushed. */
int  lcb_push_json(lua_State *L, const char *text, size_t len);
/* The same; with keep_top_nulls the root object's own null members are kept
 * as lcanvas.null (an object's attributes, see object.c). */
int  lcb_push_json_ex(lua_State *L, const char *text, size_t len, int keep_top_nulls);
/* The same with a limit on values (json.h's lc_json_parse_max; 0: none):
 * returns LC_JSON_OK (0) with the value pushed, or the parser's code
 * (LC_JSON_TOO_MANY past the limit) with a message pushed. */
int  lcb_push_json_max(lua_State *L, const char *text, size_t len, int keep_top_nulls,
                       size_t max_values);
/* Converts the Lua value at idx to a value tree; raises a Lua error naming
 * `what` for values that cannot be sent. The tree is owned by a box pushed
 * on the stack (so a Lua error midway frees it through __gc); call
 * lcb_value_done on that box to free it early. */
lc_value *lcb_to_value(lua_State *L, int idx, const char *what);
void lcb_value_done(lua_State *L, int box_idx);
/* Pushes the Rails-style encoding of the params table at idx. */
void lcb_push_params(lua_State *L, int idx);
/* Encodes the Lua value at idx as JSON into a new Lua string on the stack
 * (a request body: an lcanvas object stands for its id). */
void lcb_push_json_encoded(lua_State *L, int idx, const char *what);
/* The same for writing data (json.encode, JSON lines): an lcanvas object is
 * its attributes, null members included. */
void lcb_push_json_data(lua_State *L, int idx, const char *what);

/* Adds json (with decode and null) and null to the module table on top
 * (json_in.c); then json.encode and encode_params (json_out.c). */
void lcb_open_json(lua_State *L);
void lcb_open_json_out(lua_State *L);

#endif
