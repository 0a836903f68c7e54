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

/* The id types Canvas's Api.sis_parse_id looks a resource up by (lib/api.rb
 * SIS_MAPPINGS; lua/lcanvas/ids.lua lists them): "sis_user_id", ..., and
 * the plain words the controller takes ("self"). */
typedef struct lcb_ids {
    const char *resource;     /* "users", for messages */
    const char **types;
    int ntypes;
    const char **words;
    int nwords;
} lcb_ids;

typedef struct lcb_row_arg {
    const char *name;         /* the argument's name */
    const char **param;       /* the params key it goes to, as a key path
                                 ("enrollment[user_id]": enrollment, user_id);
                                 NULL for a path segment */
    int nparam;
    const char *what;         /* how a failed check names it */
    const char *message;      /* or the whole message of a failed check */
    const char *from_type;    /* an object of this type ("table": a plain table)... */
    const char *from_field;   /* ...stands for this attribute of it */
    const lcb_ids *ids;       /* an id: the id types it may be given as (NULL: unchecked) */
    const char **values;      /* the values Canvas knows for it (NULL: any) */
    int nvalues;
    lcb_check check;
} lcb_row_arg;

typedef struct lcb_row_piece {
    const char *text;         /* literal text before the placeholder */
    size_t len;
    int arg;                  /* 0: the receiver's id, n: positional n, -1: none */
    int splat;                /* {*n}: "a/b" or {"a", "b"} as /a/b, nil as nothing */
    const char *attr;         /* {course_id}: this attribute of the receiver */
} lcb_row_piece;

/* A compiled row: every list sized by the row itself. The strings and
 * arrays live in the row's keep table (row.c), as long as the row. */
typedef struct lcb_row {
    const char *type;         /* the receiver's type, for messages ("User") */
    const char *name;         /* the method name */
    const char *verb;         /* GET, POST, PUT, PATCH, DELETE */
    const char *path;         /* the path template, as declared */
    const char *type_name;    /* object type returned (or of the list's items); NULL: data */
    const char *root;         /* list root key, or NULL */
    const char *field;        /* return this field of the answer, or NULL */
    lcb_returns returns;
    int list;                 /* returns a PaginatedList */
    int json;                 /* params go as a JSON body */
    int client_receiver;      /* called on the client, not on an object */
    int nargs;                /* positional arguments before [params] */
    int id_type_at;           /* an optional id type follows positional
                                 id_type_at + 1 (get_user(id, "sis_user_id")); -1: none */
    int npieces;
    int nrequired;
    int nfields;
    lcb_row_arg *args;
    lcb_row_piece *pieces;
    const char **required;    /* "pseudonym.unique_id" */
    const char **field_keys;  /* item_fields: key = receiver attribute */
    const char **field_attrs;
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
    const char **params;
    const char **includes;
    const char **ignored;
    const char **ignored_why;
    /* What the method sends of its own (fixed = {event = "delete"}), and
     * how it reads the caller's: `presence` keys Canvas tests for presence
     * (false must not be sent: Canvas would take it as true), `arrays` keys
     * Canvas reads only as lists (a single value is sent as a list of one). */
    int nfixed, npresence, narrays;
    const char **fixed_keys, **fixed_values;
    const char **presence;
    const char **arrays;
} lcb_row;

/* The params table at idx (argument argn of the method) against what
 * Canvas reads for the row: raises or warns as the row says
 * (canvas_reads.c). */
void lcb_check_canvas_params(lua_State *L, const lcb_row *row, int idx, int argn);
/* core.on_warning(fn or nil) -> the previous handler (canvas_reads.c). */
int lcb_l_on_warning(lua_State *L);

/* The invoker (endpoint.c): the C function of every row's closure. */
int lcb_row_invoke(lua_State *L);

/* The compiled row of the method at idx (a row's closure), or NULL. */
const lcb_row *lcb_row_of(lua_State *L, int idx);

/* core.on_warning, request, list (endpoint.c) and core.define_rows,
 * core.endpoints, core.rows, core.describe_hand, core.hand_endpoints
 * (row.c). */
void lcb_open_rows(lua_State *L);
void lcb_open_endpoint(lua_State *L);

#endif
