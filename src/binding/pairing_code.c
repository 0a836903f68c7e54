/* lcanvas.PairingCode: what a student hands an observer to link accounts.
 * Fields: user_id, code, expires_at, workflow_state. */
#include "lcb_objects.h"
#include "object.h"

void lcb_open_pairing_code(lua_State *L)
{
    lcb_resource_format(L, "PairingCode", "{user_id} - {code}");
}
