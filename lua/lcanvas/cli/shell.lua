--- lcanvas.cli.shell: the command lines the `lcanvas` command line hands
-- to /bin/sh, with every word quoted as a shell word. Lua's %q is not shell
-- quoting: inside its double quotes $(...) and backticks still run.
local M = {}

--- lcanvas.cli.shell.quote(s): s as one POSIX shell word: in single quotes, each ' written as '\''.
function M.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- lcanvas.cli.shell.file_mode(path): the permission bits of the file at path (symbolic links followed) as octal text like "600", or nil when it cannot be seen.
function M.file_mode(path)
  -- `stat` is the portable way to see the mode from Lua without extra modules.
  local p = io.popen("stat -L -c %a -- " .. M.quote(path) .. " 2>/dev/null")
  local mode = p and p:read("l")
  if p then p:close() end
  return mode
end

return M
