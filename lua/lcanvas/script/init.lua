--- lcanvas.script: what the bundled automation scripts share, as one
-- module for `require "lcanvas.script"`: option parsing with --help,
-- user references from a CSV cell, and a results file that says per row
-- what happened and decides the exit status. Each concern lives in its own
-- file next to this one; this front only gathers their functions.
local M = {}

for _, part in ipairs({ "cmdline", "errors", "files", "refs", "tally", "users" }) do
  for k, v in pairs(require("lcanvas.script." .. part)) do M[k] = v end
end

return M
