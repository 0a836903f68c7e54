--- lcanvas.Progress: one of Canvas's long-running jobs (a batch course
-- update, a content migration, a SIS import's restore...), as
-- ProgressController reads it (app/controllers/progress_controller.rb,
-- lib/api/v1/progress.rb). Its states are queued, running, completed and
-- failed. This file is the whole type: its entry point on the client, its
-- rows, how it prints and the examples the endpoint spec runs.
local core = require "lcanvas.core"
local ids = require "lcanvas.ids"

core.define_type("Progress", { format = "{tag} {workflow_state} {completion}% ({id})",
  doc = "one of Canvas's long-running jobs (queued, running, completed, failed)",
  examples = { receiver = function(w) return w.canvas:get_progress(1) end },
})

core.define_rows("Client", {
  { name = "get_progress", method = "GET", path = "progress/{1}", returns = "Progress",
    args = { { "id", ids = ids.plain, from = { Progress = "id" } } },
    params = {}, source = "ProgressController#show",
    doc = "The Progress of a job, by id (a Progress gives its own)." },
})

return core.define_rows("Progress", {
  { name = "refresh", method = "GET", path = "progress/{id}", returns = "self",
    params = {}, source = "ProgressController#show",
    doc = "Read the job's state again; the object is updated in place and returned." },
})
