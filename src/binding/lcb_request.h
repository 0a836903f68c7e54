/* lcb_request.h: the one request path (request.c): a call is encoded,
 * intercepted by the dry run or sent, and its answer decoded. Whether a
 * request blocks or yields is task.c's business (lcb_task.h). */
#ifndef LCB_REQUEST_H
#define LCB_REQUEST_H

#include <lua.h>

#include "lcanvas.h"

/* A request as the binding describes it. `params` (stack index or 0) goes
 * to the query for GET and to a form body otherwise; with `json_body` set,
 * to a JSON body. */
typedef struct lcb_call {
    const char *method;
    const char *path;
    int params;          /* stack index of a params table, or 0 */
    int json_body;
    int is_list;
    int raw;             /* answer the validated JSON text, not Lua tables (list pages) */
    long delay_ms;       /* start no earlier than this (polling) */
    /* A body sent as it is (a SIS import's CSV or zip) with its content
     * type; `params` then go to the query, whatever the method. */
    const char *body;
    size_t body_len;
    const char *content_type;
    /* Transfers that are not API calls: an upload's storage step, a
     * download. Their answer is a table {status=, headers=, body=, size=}
     * (body nil when it went to the sink), and a 3xx is an answer. */
    int answer_raw;
    int no_token;        /* an absolute URL on another origin: no token, no
                            as_user_id, no retry */
    const char *const *form;   /* multipart fields name, value, ..., NULL */
    const char *upload_file;   /* ... and the file part, last */
    const char *upload_field, *upload_name, *upload_type;
    int sink_ud;         /* stack index of a sink (lcb_push_sink): the 2xx body goes there */
} lcb_call;

/* Prepares `call` on the client at client_idx. The dry-run intercept comes
 * first: a write that must not be sent is printed and counted, its
 * simulated answer (plus a nil next URL with want_next) is pushed, and 1 is
 * returned. Otherwise fills *req, pushes the Lua strings it points into
 * (keep them until the request is sent) and returns 0. Encoding errors
 * raise here, before C owns any memory. */
int lcb_request_encode(lua_State *L, int client_idx, const lcb_call *call, int want_next,
                       lc_request *req);

/* Pushes the decoded body of a 2xx answer (nil when empty) and, with
 * want_next, the rel="next" URL or nil. Raises InvalidResponse (clearing
 * `resp`) when the body is not JSON, LimitExceeded (max_values) when it
 * has more than max_values values (0: no limit). With LCB_DECODE_RAW or-ed into
 * want_next, the body is only validated and pushed as a string (from its
 * first meaningful byte); with LCB_DECODE_ANSWER the answer is pushed as
 * it came, {status=, headers=, body=} (call.answer_raw). */
#define LCB_DECODE_RAW 2
#define LCB_DECODE_ANSWER 4
void lcb_request_decode(lua_State *L, const char *method, lc_response *resp, int want_next,
                        size_t max_values);

/* The items of a list page: the decoded answer at body_idx holds them as
 * an array, or under the key `root` (NULL: none). Returns the stack index
 * of the items (pushed when they are not the body itself; an empty table
 * for an empty answer). With no Link header (nil at next_idx), puts the
 * answer's meta.pagination.next at next_idx. Raises InvalidResponse, naming
 * GET `path`, when there is no list. */
int lcb_request_page_items(lua_State *L, int body_idx, int next_idx, const char *root,
                           const char *path);

/* Sends `call` and waits: leaves exactly the answer (and with want_next
 * the next URL) above the stack top it found. Failures raise typed errors. */
void lcb_request_perform(lua_State *L, int client_idx, const lcb_call *call, int want_next);

/* A download's destination: pushes a sink writing a 2xx body into the Lua
 * file handle at file_idx (kept alive by the sink), drawing the status line
 * as "<label> <bytes>" when label is not NULL, refusing past max_size bytes
 * (0: the client's max_download_size). */
void lcb_push_sink(lua_State *L, int file_idx, const char *label, lua_Integer max_size);
/* Tells the sink at idx which transfer feeds it (for the expected size). */
void lcb_request_sink_attach(lua_State *L, int idx, lc_xfer *x);
/* The sink's transfer is gone (the value at idx may be anything else). */
void lcb_sink_detach(lua_State *L, int idx);
/* Bytes the sink at idx wrote, and the write error it met (or NULL). */
lua_Integer lcb_sink_bytes(lua_State *L, int idx);
const char *lcb_sink_error(lua_State *L, int idx);

/* Moves the n values on top to base+1.. and drops everything between. */
void lcb_keep_top(lua_State *L, int base, int n);

/* Adds encode_segment and encode_path (lc_encode_*) to the module table on top. */
void lcb_open_request(lua_State *L);

#endif
