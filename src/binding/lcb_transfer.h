/* lcb_transfer.h: transfers that are not API calls, an upload's storage
 * step and a download's steps (transfer.c). */
#ifndef LCB_TRANSFER_H
#define LCB_TRANSFER_H

#include <lua.h>

/* Adds transfer and sink to the module table on top. */
void lcb_open_transfer(lua_State *L);

#endif
