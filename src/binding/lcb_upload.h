/* lcb_upload.h: the multipart step of a file upload (upload.c). */
#ifndef LCB_UPLOAD_H
#define LCB_UPLOAD_H

#include <lua.h>

/* Adds upload_form to the module table on top. */
void lcb_open_upload(lua_State *L);

#endif
