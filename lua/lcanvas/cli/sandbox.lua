--- lcanvas.cli.sandbox: `lcanvas --sandbox`: a local sandbox Canvas with
-- demo data started as a child process on an ephemeral port, and the
-- credentials its demo data accepts.
local shell = require "lcanvas.cli.shell"

local M = {}

-- The sandbox's seeded admin token and Catalog key (public demo values).
M.TOKEN = "sandbox-admin-token"
M.CATALOG_KEY = "sandbox-catalog-key"

--- lcanvas.cli.sandbox.start([extra_args]): starts `lcanvas sandbox` on an ephemeral port (extra_args: a shell fragment); returns {url=, catalog=, pid=, stop=}.
function M.start(extra_args)
  local host = package.loaded["lcanvas.host"]
  local cmd
  if host and host.exe then
    -- --parent: the sandbox dies with this process, whatever kills it.
    cmd = string.format("exec %s sandbox --port 0 --parent %d %s", shell.quote(host.exe), host.pid,
      extra_args or "")
  else
    -- Not inside the lcanvas executable: run the sandbox with lua5.4.
    local launcher = package.searchpath("lcanvas.sandbox.cli", package.path)
    cmd = string.format("exec lua5.4 %s --port 0 %s", shell.quote(assert(launcher, "sandbox not found")),
      extra_args or "")
  end
  local h = assert(io.popen(cmd, "r"))
  local line = h:read("l")
  local pid, url = (line or ""):match("pid=(%d+) url=(%S+)")
  if not pid then
    h:close()
    -- A configuration problem (e.g. cqueues missing), said in one line.
    require("lcanvas.cli.report").usage_error("%s", "the sandbox did not start" .. (line and (": " .. line) or ""))
  end
  local stopped = false
  return {
    url = url, pid = tonumber(pid), handle = h,
    catalog = line:match(" catalog=(%S+)"),
    stop = function()
      if stopped then return end
      stopped = true
      os.execute("kill " .. pid .. " 2>/dev/null")  -- pid: digits only
      h:close()  -- waits for it to exit
    end,
  }
end

return M
