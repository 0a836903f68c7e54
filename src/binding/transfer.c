/* Transfers that are not API calls: the storage step of an upload (a
 * multipart POST to the upload_url Canvas hands out) and the steps of a
 * download (a GET of a file's url, then of the file store it redirects
 * to). They go through the request path like any request (request.c, and
 * task.c for the waiting: inside a task they yield), but their answer is
 * handed back as it came, a 3xx included, for lua/lcanvas/upload.lua and
 * download.lua to act on; those decide where the token may go.
 *
 * core.transfer(client, spec) -> {status=, headers=, body=, size=}
 *   spec.method   "GET" (default) or "POST"
 *   spec.url      an absolute URL, or a path under the API root
 *   spec.token    false: the URL is on another origin (a file store); it
 *                 gets no token, no as_user_id and no retry
 *   spec.form, spec.file, spec.file_field, spec.file_name, spec.file_type
 *                 a multipart form: {name, value} pairs sent unchanged and
 *                 in order, then the file (a path, or an open Lua file
 *                 handle, sent whole from its start) streamed from disk
 *   spec.sink     a sink (core.sink): a 2xx body is written there, not
 *                 held (`body` is then nil and `size` says how much)
 *   spec.delay    seconds to wait before sending
 * core.sink(file [, max_size [, label]]) -> a sink writing into the Lua file
 *   handle `file`, refusing past max_size bytes (the client's
 *   max_download_size without one), drawing the status line as "label
 *   <MB>" when label is given; sink:bytes(), sink:error() (a write error's
 *   text, or nil). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_args.h"
#include "lcb_client.h"
#include "lcb_request.h"
#include "lcb_task.h"
#include "lcb_transfer.h"

/* The path libcurl opens for the file at idx; checks it is a readable
 * regular file now, so a bad file fails before anything is sent. */
static const char *upload_path(lua_State *L, int idx)
{
    struct stat st;
    luaL_Stream *fh = luaL_testudata(L, idx, LUA_FILEHANDLE);
    if (fh) {
        if (!fh->closef) luaL_error(L, "bad file to upload (attempt to use a closed file)");
        int fd = fileno(fh->f);
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
            luaL_error(L, "bad file to upload (the file handle is not a regular file)");
        /* Reopening through /proc gives libcurl its own offset: the whole
         * file is sent whatever the handle's position. */
        lua_pushfstring(L, "/proc/self/fd/%d", fd);
    } else {
        const char *path = luaL_checkstring(L, idx);
        FILE *f = fopen(path, "rb");
        if (!f) luaL_error(L, "bad file to upload (cannot open '%s')", path);
        int ok = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
        fclose(f);
        if (!ok) luaL_error(L, "bad file to upload ('%s' is not a regular file)", path);
        lua_pushvalue(L, idx);
    }
    return lua_tostring(L, -1);
}


/* After the transfer: the answer on top, the sink (or nil) at 3. */
static int transfer_done(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    if (lua_istable(L, -1) && !lua_isnil(L, 3)) {
        lua_pushinteger(L, lcb_sink_bytes(L, 3));
        lua_setfield(L, -2, "size");
    }
    return 1;
}

static int l_transfer(lua_State *L)
{
    lcb_check_client(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    lua_getfield(L, 2, "sink");                                 /* 3 */
    if (!lua_isnil(L, 3)) luaL_checkudata(L, 3, "lcanvas.Sink");
    const char *method = lcb_opt_string(L, 2, "method");
    const char *url = lcb_opt_string(L, 2, "url");
    if (!url) return luaL_error(L, "transfer: a url is required");
    method = method ? method : "GET";
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        return luaL_error(L, "transfer: method is GET or POST");
    lua_getfield(L, 2, "token");
    int no_token = !lua_isnil(L, -1) && !lua_toboolean(L, -1);
    lua_pop(L, 1);
    lcb_call call = {.method = method, .path = url, .answer_raw = 1, .no_token = no_token,
                     .sink_ud = lua_isnil(L, 3) ? 0 : 3};
    lua_getfield(L, 2, "delay");
    if (!lua_isnil(L, -1)) {
        lua_Number d = luaL_checknumber(L, -1);
        if (!(d >= 0) || d > 1e7) return luaL_error(L, "transfer: delay must be seconds from 0 to 1e7");
        call.delay_ms = (long)(d * 1000.0 + 0.5);
    }
    lua_pop(L, 1);

    if (lua_getfield(L, 2, "file") != LUA_TNIL) {               /* 4 */
        call.upload_file = upload_path(L, 4);                   /* 5 */
        call.upload_field = lcb_opt_string(L, 2, "file_field");
        call.upload_name = lcb_opt_string(L, 2, "file_name");
        call.upload_type = lcb_opt_string(L, 2, "file_type");
        /* name, value, ..., NULL: kept in a userdata (freed by the GC if a
         * later check raises) pointing at strings anchored in `form`. */
        lua_getfield(L, 2, "form");                             /* 6 */
        lua_Integer n = lua_istable(L, 6) ? (lua_Integer)lua_rawlen(L, 6) : 0;
        const char **form = lua_newuserdatauv(L, sizeof *form * (size_t)(2 * n + 1), 0);   /* 7 */
        for (lua_Integer i = 1; i <= n; i++) {
            if (lua_rawgeti(L, 6, i) != LUA_TTABLE) luaL_error(L, "transfer: form is {name, value} pairs");
            for (int j = 1; j <= 2; j++) {
                if (lua_rawgeti(L, -1, j) != LUA_TSTRING)
                    luaL_error(L, "transfer: form names and values must be strings");
                form[2 * (i - 1) + j - 1] = lua_tostring(L, -1);
                lua_pop(L, 1);  /* still referenced by the pair */
            }
            lua_pop(L, 1);
        }
        form[2 * n] = NULL;
        call.form = form;
    }
    return lcb_request_k(L, 1, &call, 0, transfer_done);
}

static int l_sink(lua_State *L)
{
    luaL_checkudata(L, 1, LUA_FILEHANDLE);
    lua_Integer max = luaL_optinteger(L, 2, 0);
    const char *label = luaL_optstring(L, 3, NULL);
    if (max < 0) luaL_argerror(L, 2, "max_size must be 0 or more");
    lcb_push_sink(L, 1, label, max);
    return 1;
}

/// Sink:bytes(): bytes written so far.
static int m_sink_bytes(lua_State *L)
{
    lua_pushinteger(L, lcb_sink_bytes(L, 1));
    return 1;
}

/// Sink:error(): the text of the write error the sink met (a full disk), or nil.
static int m_sink_error(lua_State *L)
{
    const char *e = lcb_sink_error(L, 1);
    if (e) lua_pushstring(L, e);
    else lua_pushnil(L);
    return 1;
}

void lcb_open_transfer(lua_State *L)
{
    static const luaL_Reg sink_methods[] = {{"bytes", m_sink_bytes}, {"error", m_sink_error}, {NULL, NULL}};
    luaL_getmetatable(L, "lcanvas.Sink");
    lua_getfield(L, -1, "methods");
    luaL_setfuncs(L, sink_methods, 0);
    lua_pop(L, 2);
    static const luaL_Reg fns[] = {{"transfer", l_transfer}, {"sink", l_sink}, {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
