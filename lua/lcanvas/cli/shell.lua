--- lcanvas.cli.shell: the one command line the `lcanvas` command line hands
-- to /bin/sh (starting the sandbox through io.popen), with every word quoted
-- as a shell word. Lua's %q is not shell quoting: inside its double quotes
-- $(...) and backticks still run. Nothing else goes through a shell: a
-- file's mode comes from stat(2) (lcanvas.host.file_mode).
local M = {}

--- lcanvas.cli.shell.quote(s): s as one POSIX shell word: in single quotes, each ' written as '\''.
function M.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- lcanvas.cli.shell.word(s): s as one would type it in a suggested command: bare when it holds only characters no shell treats specially, else quoted.
function M.word(s)
  s = tostring(s)
  if s:match("^[%w%./_+,:@%-]+$") then return s end
  return M.quote(s)
end

return M
