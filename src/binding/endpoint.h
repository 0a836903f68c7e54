/* Endpoints as data: a type file (lua/lcanvas/types/) hands its rows, Lua
 * tables with named fields, to core.define_rows(type, rows); each row is
 * read once, compiled into an lcb_row held by the method's closure (row.c),
 * and run by one invoker (endpoint.c). */
#ifndef LCB_ENDPOINT_H
#define LCB_ENDPOINT_H

#include <lua.h>
#include <lauxlib.h>

#include "lcb_args.h"

/* What a row's method returns. */
typedef enum lcb_returns {
    LCB_RETURNS_DATA,     /* the decoded answer as is (a list: plain tables) */
    LCB_RETURNS_OBJECT,   /* an object of row->type_name */
    LCB_RETURNS_SELF      /* the receiver, its attributes updated in place */
} lcb_returns;

/* A check on a positional argument before anything is sent. */
typedef enum lcb_check {
    LCB_CHECK_NONE,
    LCB_CHECK_STRING,     /* a non-empty string */
    LCB_CHECK_STRING_OR_NIL,
    LCB_CHECK_TABLE,
    LCB_CHECK_PRESENT     /* anything but nil (lcanvas.null included) */
} lcb_check;

#define LCB_ROW_MAX_ARGS 4
#define LCB_ROW_MAX_PIECES 8
#define LCB_ROW_MAX_FIELDS 4
#define LCB_ROW_MAX_PARAMS 24
#define LCB_ROW_MAX_INCLUDES 12

typedef struct lcb_row_arg {
    const char *param;        /* the params key it goes to; NULL for a path segment */
    const char *what;         /* how a failed check names it */
    const char *message;      /* or the whole message of a failed check */
    const char *from_type;    /* an object of this type ("table": a plain table)... */
    const char *from_field;   /* ...stands for this attribute of it */
    lcb_check check;
} lcb_row_arg;

typedef struct lcb_row_piece {
    const char *text;         /* literal text before the placeholder */
    size_t len;
    int arg;                  /* 0: the receiver's id, n: positional n, -1: none */
    int splat;                /* {*n}: "a/b" or {"a", "b"} as /a/b, nil as nothing */
} lcb_row_piece;

typedef struct lcb_row {
    const char *type;         /* the receiver's type, for messages ("User") */
    const char *name;         /* the method name */
    const char *verb;         /* GET, POST, PUT, PATCH, DELETE */
    const char *type_name;    /* object type returned (or of the list's items); NULL: data */
    const char *root;         /* list root key, or NULL */
    const char *field;        /* return this field of the answer, or NULL */
    lcb_returns returns;
    int list;                 /* returns a PaginatedList */
    int json;                 /* params go as a JSON body */
    int client_receiver;      /* called on the client, not on an object */
    int nargs;                /* positional arguments before [params] */
    int npieces;
    int nrequired;
    int nfields;
    lcb_row_arg args[LCB_ROW_MAX_ARGS];
    lcb_row_piece pieces[LCB_ROW_MAX_PIECES];
    const char *required[LCB_ROW_MAX_FIELDS];   /* "pseudonym.unique_id" */
    const char *field_keys[LCB_ROW_MAX_FIELDS]; /* item_fields: key = receiver attribute */
    const char *field_attrs[LCB_ROW_MAX_FIELDS];
    /* What Canvas's controller reads (Canvas's code is the truth, not its
     * docs): a params key outside `params` is refused before sending (or
     * only warned about with unknown = "warn"); a key of `ignored` is sent
     * with a warning naming its reason; an include[] value outside
     * `include` is warned about. checks_params is 0 for a row that
     * declares nothing (no check at all). */
    int checks_params;
    int warn_unknown;
    int unpaginated;          /* a list Canvas does not paginate: no per_page */
    int nparams;
    int nincludes;
    int nignored;
    const char *source;       /* "UsersController#api_index", for messages */
    const char *params[LCB_ROW_MAX_PARAMS];
    const char *includes[LCB_ROW_MAX_INCLUDES];
    const char *ignored[LCB_ROW_MAX_INCLUDES];
    const char *ignored_why[LCB_ROW_MAX_INCLUDES];
} lcb_row;

/* The params table at idx against what Canvas reads for the row: raises
 * or warns as the row says (canvas_reads.c). */
void lcb_check_canvas_params(lua_State *L, const lcb_row *row, int idx);
/* core.on_warning(fn or nil) -> the previous handler (canvas_reads.c). */
int lcb_l_on_warning(lua_State *L);

/* The invoker (endpoint.c): the C function of every row's closure. */
int lcb_row_invoke(lua_State *L);

/* core.on_warning (endpoint.c) and core.define_rows, core.endpoints,
 * core.describe_hand, core.hand_endpoints (row.c). */
void lcb_open_rows(lua_State *L);
void lcb_open_endpoint(lua_State *L);

#endif
