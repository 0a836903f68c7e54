--- The Canvas object types without a home of their own: how they print.
-- Objects are made by src/binding/object.c (to_table, date, typename, get
-- on every one); a type whose fields a template names prints by it, any
-- other as "Type: <name or title> (<id>)".
local core = require "lcanvas.core"

local formats = {
  Folder = "{full_name} ({id})",
  File = "{display_name} ({id})",
  CommunicationChannel = "{address} ({id})",
  ContentMigration = "{migration_type_title} ({id})",
  ContentExport = "{export_type} export ({id})",
  Migrator = "{name} ({type})",
  Feature = "{display_name} ({feature})",
  FeatureFlag = "{feature}: {state}",
  Avatar = "{display_name} ({type})",
  AuthenticationEvent = "{event_type} {created_at}",
  GradeChangeEvent = "{event_type} ({id})",
  Enrollment = "{type} ({id})",
  Login = "{unique_id} ({id})",
  UsageRights = "{use_justification}: {message}",
  License = "{name} ({id})",
}
for type_name, fmt in pairs(formats) do core.format(type_name, fmt) end

return formats
