/* Shared declarations of the Lua binding. Each Lua type lives in its own
 * file with an lcb_open_* function; module.c composes them. */
#ifndef LCB_BINDING_H
#define LCB_BINDING_H

#include <lua.h>
#include <lauxlib.h>

#include "lcanvas.h"
#include "value.h"

#if LUA_VERSION_NUM < 504
#error "lcanvas needs Lua 5.4 (integers, to-be-closed variables, user values)"
#endif

#define LCB_CLIENT_MT "lcanvas.Client"
#define LCB_ERROR_MT  "lcanvas.Error"
#define LCB_LIST_MT   "lcanvas.PaginatedList"

/* ---- JSON and values (luajson.c) */
/* The `lcanvas.null` sentinel (a light userdata). */
void lcb_push_null(lua_State *L);
int  lcb_is_null(lua_State *L, int idx);
/* Decodes JSON onto the stack (JSON null inside objects becomes absent,
 * inside arrays lcanvas.null). Returns 1, or 0 with a message pushed. */
int  lcb_push_json(lua_State *L, const char *text, size_t len);
/* Converts the Lua value at idx to a value tree; raises a Lua error naming
 * `what` for values that cannot be sent. The tree is owned by a box pushed
 * on the stack (so a Lua error midway frees it through __gc); call
 * lcb_value_done on that box to free it early. */
lc_value *lcb_to_value(lua_State *L, int idx, const char *what);
void lcb_value_done(lua_State *L, int box_idx);
/* Pushes the Rails-style encoding of the params table at idx. */
void lcb_push_params(lua_State *L, int idx);
/* Encodes the Lua value at idx as JSON into a new Lua string on the stack. */
void lcb_push_json_encoded(lua_State *L, int idx, const char *what);

/* ---- errors (error.c) */
/* Pushes an lcanvas.Error for `e` (copying everything it needs). */
void lcb_push_error(lua_State *L, const lc_error *e);
/* Pushes the error, clears `e` (and `resp` if given), raises. */
int  lcb_raise_error(lua_State *L, lc_error *e, lc_response *resp);
/* Raises a fresh error of `kind` with a message. */
int  lcb_raise_kind(lua_State *L, lc_kind kind, const char *fmt, ...);

/* ---- client (client.c) */
typedef struct lcb_client {
    lc_client *c;
    int dry_run;
    int no_prefetch;     /* option prefetch = false */
} lcb_client;
lcb_client *lcb_check_client(lua_State *L, int idx);   /* raises if closed */
/* Makes a request. `params` (stack index or 0) goes to the query for GET
 * and to a form body otherwise; with `json_body` set, to a JSON body.
 * On success the parsed answer is pushed (nil for an empty body) and, when
 * resp_out is non-NULL, the raw response is handed over (caller clears it).
 * On failure a typed error is raised. */
typedef struct lcb_call {
    const char *method;
    const char *path;
    int params;          /* stack index of a params table, or 0 */
    int json_body;
    int is_list;
} lcb_call;
void lcb_request(lua_State *L, int client_idx, const lcb_call *call, lc_response *resp_out);
/* The request path every C method uses, so that a request made inside a
 * task (a coroutine run by the scheduler) can yield instead of blocking:
 * makes the request, then continues in `k(L, LUA_YIELD or LUA_OK, ctx)` with
 * the decoded answer (or nil) pushed on top of the caller's stack. Failures
 * raise before `k` runs. Use it as `return lcb_request_k(L, ..., ctx, k);`
 * and keep what `k` needs on the stack or in `ctx` (never in C locals). */
int lcb_request_k(lua_State *L, int client_idx, const lcb_call *call, lua_KContext ctx,
                  lua_KFunction k);
/* Dry run (client option `dry_run`): for a POST/PUT/PATCH/DELETE, prints
 * what would be sent, counts it, pushes a simulated answer {dry_run = true}
 * and returns 1; returns 0 (nothing pushed) when the call must be sent. */
int lcb_dry_run(lua_State *L, int client_idx, const lcb_call *call);

/* lcb_request_k for a list page: k finds the answer and, above it, the
 * Link rel="next" URL (or nil). */
int lcb_request_page_k(lua_State *L, int client_idx, const lcb_call *call, lua_KContext ctx,
                       lua_KFunction k);

/* ---- tasks (client.c, scheduler.c) */
#define LCB_PENDING_MT "lcanvas.Pending"
#define LCB_TASKS_KEY  "lcanvas.tasks"     /* registry: coroutine -> task (weak keys) */
#define LCB_INFLIGHT_KEY "lcanvas.inflight" /* registry: lightud -> Pending not yet collected */
#define LCB_CANCELLED_KEY "lcanvas.cancelled" /* registry: Pendings cut off by a client's close */
/* A request submitted to the engine and not yet consumed (prefetch, or a
 * task waiting for it). */
typedef struct lcb_pending {
    lc_xfer *x;          /* NULL once consumed or cancelled */
    lcb_client *cl;      /* the client userdata is user value 1 */
    lua_KFunction k;     /* continuation of whoever waits */
    lua_KContext ctx;
    int want_next;
    int done;            /* popped off the engine's done queue */
    char method[8];
} lcb_pending;
/* True when L is a scheduler task that may yield here. */
int lcb_in_task(lua_State *L);
/* Starts a request without waiting: pushes its Pending box, or nil when the
 * request was answered without the network (then nothing is pending). */
void lcb_request_start(lua_State *L, int client_idx, const lcb_call *call, int want_next);
/* Waits for the Pending box on top (popping it) like lcb_request_k: yields
 * inside a task, otherwise drives the engine until it is done. */
int lcb_pending_wait(lua_State *L, lua_KContext ctx, lua_KFunction k);
lcb_pending *lcb_check_pending(lua_State *L, int idx);
/* Cancels the Pending at idx (its transfer is freed, never consumed). */
void lcb_pending_cancel(lua_State *L, int idx);

/* ---- resources (resource.c) */
/* Pushes a new object of `type` ("User", "Course", ...) whose attributes are
 * the table at attrs_idx (taken as is, not copied) and which talks through
 * the client at client_idx. */
void lcb_push_resource(lua_State *L, const char *type, int attrs_idx, int client_idx);
/* The metatable for a resource type (created on first use), pushed. */
void lcb_resource_metatable(lua_State *L, const char *type);
/* Adds C methods to a resource type's method table. */
void lcb_resource_methods(lua_State *L, const char *type, const luaL_Reg *fns);
/* If idx is any lcanvas resource, pushes its attribute table and returns 1. */
int  lcb_resource_attrs(lua_State *L, int idx);
/* Pushes the client a resource talks through (raises if not a resource). */
void lcb_resource_client(lua_State *L, int idx);
/* Pushes the id of a resource (or the integer or string itself) as an
 * escaped path segment. Raises a clear error naming argument `argn`. */
void lcb_push_id_segment(lua_State *L, int idx, int argn);
/* A resource type's tostring template, "{name} ({id})". */
void lcb_resource_format(lua_State *L, const char *type, const char *fmt);

/* Endpoint descriptions drive one generic invoker (resource.c). */
typedef struct lcb_endpoint {
    const char *name;     /* Lua method name */
    const char *method;   /* HTTP verb */
    const char *path;     /* "users/{id}/courses"; {id} is the receiver's id,
                             {1}, {2}... positional arguments (object or id) */
    const char *returns;  /* resource type, "dict" (plain table), "self"
                             (update the receiver), "raw" (as decoded) */
    int list;             /* returns a PaginatedList */
    const char *root;     /* list root key, or NULL */
    const char *doc;      /* one-line description for the reference */
} lcb_endpoint;
void lcb_register_endpoints(lua_State *L, const char *type, const lcb_endpoint *eps);

/* ---- paginated list (paginated_list.c) */
/* Pushes a lazy list of `type` for GET path?query at client_idx. Each item
 * gets the fields of extra_idx (a table, or 0), set over its own. */
void lcb_push_list(lua_State *L, int client_idx, const char *type, const char *path,
                   int params_idx, const char *root, int extra_idx);

/* Turns page prefetch (inside tasks) on or off for the list at idx. */
void lcb_list_set_prefetch(lua_State *L, int idx, int on);

/* ---- openers */
void lcb_open_error(lua_State *L);
void lcb_open_json(lua_State *L);
void lcb_open_client(lua_State *L);
void lcb_open_resource(lua_State *L);
void lcb_open_scheduler(lua_State *L);
void lcb_open_user(lua_State *L);
void lcb_open_account(lua_State *L);
void lcb_open_pairing_code(lua_State *L);
void lcb_open_catalog(lua_State *L);
void lcb_open_upload(lua_State *L);
void lcb_open_list(lua_State *L);

int luaopen_lcanvas_core(lua_State *L);

#endif
