/* Tasks: coroutines whose requests run concurrently on the client's curl
 * multi engine (see lcb_request_k). */
#include "binding.h"

void lcb_open_scheduler(lua_State *L)
{
    (void)L;
}
