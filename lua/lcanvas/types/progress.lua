--- lcanvas.Progress: one of Canvas's long-running jobs (a batch course
-- update, a content migration, a SIS import's restore...), as
-- ProgressController reads it (app/controllers/progress_controller.rb,
-- lib/api/v1/progress.rb). Its states are queued, running, completed and
-- failed; completion reaches 100 before the state says completed, so only
-- the state ends a wait. This file is the whole type: its entry point on
-- the client, its rows, its wait, how it prints and the examples the
-- endpoint spec runs.
local core = require "lcanvas.core"
local ids = require "lcanvas.ids"
local jobs = require "lcanvas.jobs"

core.define_type("Progress", { format = "{tag} {workflow_state} {completion}% ({id})",
  doc = "one of Canvas's long-running jobs (queued, running, completed, failed)",
})

core.define_rows("Client", {
  { name = "get_progress", method = "GET", path = "progress/{1}", returns = "Progress",
    args = { { "id", ids = ids.plain, from = { Progress = "id" } } },
    params = {}, source = "ProgressController#show",
    doc = "The Progress of a job, by id, by its url (\".../api/v1/progress/5\", as other objects " ..
      "give it in progress_url) or a Progress." },
})

local Progress = core.define_rows("Progress", {
  { name = "refresh", method = "GET", path = "progress/{id}", returns = "self",
    params = {}, source = "ProgressController#show",
    doc = "Read the job's state again; the object is updated in place and returned." },
  { name = "cancel", method = "POST", path = "progress/{id}/cancel", returns = "self",
    params = { "message" }, source = "ProgressController#cancel",
    doc = "Mark the job failed (only its own user may), with params message = \"why\" to tell a " ..
      "cancel from a failure; Canvas does not stop work already running. Updated in place." },
})

-- A progress_url is what other objects hand out (a content migration, a
-- SIS restore): taken here as the id it ends with.
local Client = core.methods("Client")
local get_progress = Client.get_progress
function Client.get_progress(self, id, ...)
  if type(id) == "string" and id:match("^https?://") then
    id = id:match("/api/v1/progress/(%d+)/?$")
      or error(string.format("bad argument #1 to 'get_progress' (a progress url ends in " ..
        "/api/v1/progress/<id>, got '%s')", id:gsub("%?.*$", "")), 2)
  end
  return get_progress(self, id, ...)
end

--- Progress:wait([opts]): polls until completed or failed (see lcanvas.jobs.wait: timeout, interval, on_update, progress); returns the Progress and its final state.
function Progress.wait(self, opts) return jobs.wait(self, opts) end

jobs.kind("Progress", { noun = "Progress", state = "workflow_state", percent = "completion",
  terminal = { completed = true, failed = true }, refresh = function(p) p:refresh() end })

core.describe_hand("Progress", {
  wait = { method = "GET", path = "progress/{id}", args = {}, sends = {}, params = {},
    source = "ProgressController#show (polled)" },
})

-- What the endpoint spec runs against the sandbox's demo data: the admin's
-- seeded jobs (1 completed, 2 running), a batch update started for cancel.
core.define_type("Progress", {
  examples = {
    receiver = function(w) return w.canvas:get_progress(1) end,
    args = {
      wait = { { interval = 0.01, max_interval = 0.02, timeout = 30 } },
      cancel = function(w)
        return w.canvas:get_account(1):update_courses({ 35 }, "offer"), { { message = "spec" } }
      end,
    },
  },
})
core.define_type("Client", { examples = { args = { get_progress = { 1 } } } })

return Progress
