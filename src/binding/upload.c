#define _POSIX_C_SOURCE 200809L
/* The multipart step of a Canvas file upload (User:upload in
 * lua/lcanvas/user.lua drives the three steps; this file only runs step 2).
 *
 * core.upload_form(client, url, fields, file, field, filename [, type])
 *   url     the upload_url Canvas gave (often another host): it gets no
 *           token, no as_user_id and no retry
 *   fields  array of {name, value} pairs, sent unchanged and in order
 *   file    a path, or an open Lua file handle (sent whole, from its start)
 * -> status, body (string), headers (table with lowercase names)
 *
 * libcurl streams the file from disk, so a large file is never read into
 * memory. The request blocks in lc_perform and does not yield inside a
 * scheduler task: it is one transfer that must not interleave with its
 * own step 1 and 3 anyway. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_client.h"
#include "lcb_error.h"
#include "lcb_upload.h"

/* The path libcurl opens for argument idx; checks it is a readable regular
 * file now, so a bad file fails before anything is sent. */
static const char *upload_path(lua_State *L, int idx)
{
    struct stat st;
    luaL_Stream *fh = luaL_testudata(L, idx, LUA_FILEHANDLE);
    if (fh) {
        if (!fh->closef) luaL_argerror(L, idx, "attempt to use a closed file");
        int fd = fileno(fh->f);
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
            luaL_argerror(L, idx, "the file handle is not a regular file");
        /* Reopening through /proc gives libcurl its own offset: the whole
         * file is sent whatever the handle's position. */
        lua_pushfstring(L, "/proc/self/fd/%d", fd);
    } else {
        const char *path = luaL_checkstring(L, idx);
        FILE *f = fopen(path, "rb");
        if (!f) luaL_argerror(L, idx, lua_pushfstring(L, "cannot open '%s'", path));
        int ok = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
        fclose(f);
        if (!ok) luaL_argerror(L, idx, lua_pushfstring(L, "'%s' is not a regular file", path));
        lua_pushvalue(L, idx);
    }
    return lua_tostring(L, -1);
}

static int l_upload_form(lua_State *L)
{
    lcb_client *cl = lcb_check_client(L, 1);
    const char *url = luaL_checkstring(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    luaL_checkany(L, 4);
    const char *field = luaL_checkstring(L, 5);
    const char *filename = luaL_checkstring(L, 6);
    const char *ctype = luaL_optstring(L, 7, NULL);
    lua_settop(L, 7);
    const char *path = upload_path(L, 4);

    /* name, value, ..., NULL: kept in a userdata (freed by the GC if a
     * later check raises) pointing at strings anchored in `fields`. */
    lua_Integer n = (lua_Integer)lua_rawlen(L, 3);
    const char **form = lua_newuserdatauv(L, sizeof *form * (size_t)(2 * n + 1), 0);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_rawgeti(L, 3, i) != LUA_TTABLE) luaL_argerror(L, 3, "fields must be {name, value} pairs");
        for (int j = 1; j <= 2; j++) {
            if (lua_rawgeti(L, -1, j) != LUA_TSTRING)
                luaL_argerror(L, 3, "field names and values must be strings");
            form[2 * (i - 1) + j - 1] = lua_tostring(L, -1);
            lua_pop(L, 1);  /* still referenced by the pair */
        }
        lua_pop(L, 1);
    }
    form[2 * n] = NULL;

    lc_request req;
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = url;
    req.raw_url = 1;
    req.no_retry = 1;
    req.form_fields = form;
    req.upload_file = path;
    req.upload_field = field;
    req.upload_name = filename;
    req.upload_type = ctype;

    lc_response resp;
    lc_error err;
    lc_error_init(&err);
    if (lc_perform(cl->c, &req, &resp, &err) != 0) return lcb_raise_error(L, &err, &resp);
    lua_pushinteger(L, resp.status);
    lua_pushlstring(L, resp.body ? resp.body : "", resp.body_len);
    lua_createtable(L, 0, (int)resp.nheaders);
    for (size_t i = 0; i < resp.nheaders; i++) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (const char *p = resp.headers[i].name; *p; p++)
            luaL_addchar(&b, (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p));
        luaL_pushresult(&b);
        lua_pushstring(L, resp.headers[i].value);
        lua_rawset(L, -3);
    }
    lc_response_clear(&resp);
    return 3;
}

void lcb_open_upload(lua_State *L)
{
    lua_pushcfunction(L, l_upload_form);
    lua_setfield(L, -2, "upload_form");
}
