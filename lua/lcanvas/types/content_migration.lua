--- lcanvas.ContentMigration: content brought into a course (a course copy,
-- an import) or a user's files. This file holds the type, the course's
-- entry points (Course:create_content_migration, get_content_migrations,
-- get_content_migration; a user's are in user.lua), its methods, its wait
-- and the examples the endpoint spec runs. From
-- app/controllers/content_migrations_controller.rb and
-- lib/api/v1/content_migration.rb, which renames the model's states:
-- pre_processing, running, waiting_for_select (a selective import waiting
-- for its selection), completed, failed.
local core = require "lcanvas.core"
local args = require "lcanvas.args"
local jobs = require "lcanvas.jobs"

core.define_type("ContentMigration", { format = "{migration_type_title} ({id})",
  doc = "content brought into a course (a course copy, an import)" })

local CREATE = { "migration_type", "pre_attachment", "settings", "date_shift_options", "selective_import",
  "select" }

local Course = core.define_rows("Course", {
  { name = "create_content_migration", method = "POST", path = "courses/{id}/content_migrations",
    returns = "ContentMigration", item_fields = { course_id = "{id}" },
    args = { { "migration_type", check = "string", what = "migration_type (\"course_copy_importer\", ...)",
               from = { Migrator = "type" } } },
    params = CREATE, source = "ContentMigrationsController#create",
    doc = "Start a migration into the course: migration_type \"course_copy_importer\" with params " ..
      "settings = {source_course_id = <id or \"sis_course_id:X\">} copies a course; other types take " ..
      "pre_attachment or settings.file_url. Returns the ContentMigration; wait() for its end." },
  { name = "get_content_migrations", method = "GET", path = "courses/{id}/content_migrations",
    returns = "ContentMigration", list = true, item_fields = { course_id = "{id}" }, params = {},
    source = "ContentMigrationsController#index",
    doc = "The course's content migrations." },
  { name = "get_content_migration", method = "GET", path = "courses/{id}/content_migrations/{1}",
    returns = "ContentMigration", item_fields = { course_id = "{id}" },
    args = { { "migration", from = { ContentMigration = "id" } } },
    params = {}, source = "ContentMigrationsController#show",
    doc = "One content migration of the course." },
})

-- A course copy names its source in settings: checked before sending, as
-- Canvas would only fail the migration later.
local create = Course.create_content_migration
function Course.create_content_migration(self, migration_type, params, ...)
  if migration_type == "course_copy_importer" then
    local settings = type(params) == "table" and params.settings
    if type(settings) ~= "table" or settings.source_course_id == nil then
      core.missing_field("create_content_migration (course_copy_importer)", "settings.source_course_id",
        " in params")
    end
    if core.is_object(settings.source_course_id) then
      local s = {}
      for k, v in pairs(settings) do s[k] = v end
      s.source_course_id = settings.source_course_id.id
      local p = {}
      for k, v in pairs(params) do p[k] = v end
      p.settings = s
      params = p
    end
  end
  return create(self, migration_type, params, ...)
end

local ContentMigration = core.methods("ContentMigration")

-- The migration's own address: under its course, or its user.
local function home(self)
  if self.course_id ~= nil then return "courses/" .. args.segment(self.course_id, 0, "refresh") end
  if self.user_id ~= nil then return "users/" .. args.segment(self.user_id, 0, "refresh") end
  error(core.error("InvalidArgument", "this ContentMigration knows neither its course nor its user"), 3)
end

-- Not a row: a migration lives under a course or a user.
--- ContentMigration:refresh(): read the migration again (under its course or user); updated in place and returned.
function ContentMigration.refresh(self)
  local c = core.client_of(self)
  local answer = c:request("GET", home(self) .. "/content_migrations/" .. args.segment(self, 0, "refresh"))
  for k, v in pairs(answer or {}) do self[k] = v end
  return self
end

--- ContentMigration:get_progress(): the Progress of the migration's job (from its progress_url).
function ContentMigration.get_progress(self)
  if type(self.progress_url) ~= "string" then
    error(core.error("InvalidArgument", string.format("content migration %s has no progress_url",
      tostring(self.id))), 2)
  end
  return core.client_of(self):get_progress(self.progress_url)
end

--- ContentMigration:wait([opts]): polls until completed, failed or waiting_for_select (a selective import stops there until its selection is sent); opts as lcanvas.jobs.wait. Returns the migration and its final state.
function ContentMigration.wait(self, opts) return jobs.wait(self, opts) end

jobs.kind("ContentMigration", { noun = "content migration", state = "workflow_state",
  terminal = { completed = true, failed = true, waiting_for_select = true },
  refresh = function(m) m:refresh() end })

core.describe_hand("ContentMigration", {
  refresh = { method = "GET", path = "courses/{course_id}/content_migrations/{id}", args = {}, sends = {},
    params = {}, source = "ContentMigrationsController#show" },
  get_progress = { method = "GET", path = "progress/{1}", args = {}, sends = {}, params = {},
    source = "ProgressController#show" },
  wait = { method = "GET", path = "courses/{course_id}/content_migrations/{id}", args = {}, sends = {},
    params = {}, source = "ContentMigrationsController#show (polled)" },
})

-- What the endpoint spec runs against the sandbox: Biology 101 copied into
-- course 5.
local function copy(w)
  return w.canvas:get_course(5):create_content_migration("course_copy_importer",
    { settings = { source_course_id = "sis_course_id:BIO/101.1" } })
end

core.define_type("ContentMigration", {
  examples = {
    receiver = copy,
    args = { wait = { { interval = 0.01, max_interval = 0.02, timeout = 30 } } },
  },
})
core.define_type("Course", { examples = { args = {
  create_content_migration = { "course_copy_importer", { settings = { source_course_id = 1 } } },
  get_content_migration = function(w) return w.canvas:get_course(5), { copy(w).id } end,
} } })

return ContentMigration
