--- lcanvas.PairingCode: what a student hands an observer to link accounts
-- (User:create_pairing_code makes one). Fields: user_id, code, expires_at,
-- workflow_state. It has no methods of its own.
local core = require "lcanvas.core"

core.define_type("PairingCode", { format = "{user_id} - {code}",
  doc = "a code a student hands an observer to link their accounts" })

return core.methods("PairingCode")
