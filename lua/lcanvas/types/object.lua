--- The Canvas object types without a home of their own: declared (rows may
-- return them), with how they print. Objects are made by
-- src/binding/object.c (to_table, date, typename, get on every one); a type
-- whose fields a template names prints by it, any other as
-- "Type: <name or title> (<id>)". A type that gains methods of its own
-- moves to a file of its own.
local core = require "lcanvas.core"

local types = {
  Assignment = { false, "an assignment" },
  AuthenticationEvent = { "{event_type} {created_at}", "a login or logout event (audit log)" },
  Avatar = { "{display_name} ({type})", "an avatar a user can choose" },
  CalendarEvent = { false, "a calendar event" },
  CommunicationChannel = { "{address} ({id})", "an email address, phone or push channel of a user" },
  ContentExport = { "{export_type} export ({id})", "a content export" },
  Course = { false, "a course" },
  CourseNickname = { false, "a user's nickname for a course" },
  Enrollment = { "{type} ({id})", "an enrollment of a user in a course section" },
  EPortfolio = { false, "an ePortfolio" },
  Feature = { "{display_name} ({feature})", "a feature that can be turned on or off" },
  FeatureFlag = { "{feature}: {state}", "the state of a feature for one context" },
  Folder = { "{full_name} ({id})", "a folder" },
  GradeChangeEvent = { "{event_type} ({id})", "a grade change (audit log)" },
  License = { "{name} ({id})", "a content license" },
  Login = { "{unique_id} ({id})", "a login (pseudonym) of a user" },
  Migrator = { "{name} ({type})", "a kind of content migration" },
  PageView = { false, "a page view" },
  PollSession = { false, "a session of a poll" },
  Submission = { false, "a submission" },
  UsageRights = { "{use_justification}: {message}", "the usage rights of files" },
}
-- false: no template, printed as "Type: <name or title> (<id>)".
for name, t in pairs(types) do core.define_type(name, { format = t[1] or nil, doc = t[2] }) end

return types
