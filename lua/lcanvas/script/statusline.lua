--- lcanvas.script.statusline (the `lcanvas.statusline` field): one live status
-- line on stderr showing a long run's progress. (Named StatusLine, not
-- Progress: that is Canvas's own job object type.)
-- Shown only when stderr is a terminal (LCANVAS_PROGRESS=1 forces it on,
-- LCANVAS_PROGRESS=0 or the host's --quiet turn it off), so logs and pipes
-- never fill up with carriage returns. The line itself is drawn by the C
-- binding (core.status_*), which erases it before any other output and
-- redraws it after: its own -v and DRY-RUN lines, and, through the guards
-- installed here when a line is first drawn, print, io.write and
-- file:write on stdout (when a terminal) and stderr.
local core = require "lcanvas.core"

local M = {}

local host = package.loaded["lcanvas.host"]
local clock = host and host.clock or os.time

local forced = os.getenv("LCANVAS_PROGRESS")
local tty
--- lcanvas.statusline.quiet: true turns every status line off (the host's --quiet).
M.quiet = false

--- lcanvas.statusline.enabled(): whether status lines are shown.
function M.enabled()
  if M.quiet or forced == "0" then return false end
  if forced and forced ~= "" then return true end
  if tty == nil then
    if host and host.isatty then tty = host.isatty(2)
    else tty = os.execute("test -t 2") == true end
  end
  return tty
end

local current  -- the StatusLine whose line is on screen (unfinished)

-- Wraps a writing function (`skip` leading arguments are not output: the
-- file of f:write): the status line is erased before it writes to the
-- terminal and redrawn after, once the output has ended its line.
local function guarded(write, skip, to_terminal)
  return function(...)
    if not to_terminal(...) then return write(...) end
    core.status_before()
    local res = table.pack(write(...))
    local n = select("#", ...)
    local last = n > skip and select(n, ...) or "\n"
    io.stdout:flush()
    core.status_after(type(last) == "string" and last:sub(-1) == "\n")
    return table.unpack(res, 1, res.n)
  end
end

local guards_installed = false
--- lcanvas.statusline.guard_output(): makes print, io.write and file:write on the terminal erase the status line first and redraw it after (done when a line is first drawn; the host does it at start).
local function install_guards()
  if guards_installed then return end
  guards_installed = true
  local stdout_tty = host and host.isatty and host.isatty(1)
  local function is_terminal(f)
    return f == io.stderr or (f == io.stdout and stdout_tty)
  end
  local methods = getmetatable(io.stdout).__index
  methods.write = guarded(methods.write, 1, is_terminal)
  -- luacheck: push ignore 122 (the guard replaces io.write on purpose)
  io.write = guarded(io.write, 0, function() return is_terminal(io.output()) end)
  -- luacheck: pop
  local print0 = print
  _G.print = guarded(function(...) print0(...) end, math.huge, function() return stdout_tty end)
end

M.guard_output = install_guards

local StatusLine = { __name = "lcanvas.StatusLine" }  -- the name help(p) and tostring(p) give
StatusLine.__index = StatusLine

local function render(p, final)
  if not M.enabled() then return end
  local now = clock()
  -- A terminal is redrawn at most ten times a second; forced output (tests)
  -- shows every step so it is predictable.
  -- A throttled update is still kept, so a redraw after other output
  -- shows the latest count.
  local later = not final and not forced and p.drawn_at and now - p.drawn_at < 0.1
  if later and current ~= p then return end
  if not later then p.drawn_at = now end
  local elapsed = now - p.started
  local text
  if p.formatter then
    text = p.formatter(p, elapsed)
  else
    text = p.label .. ": " .. p.done
    if p.total then
      text = text .. "/" .. p.total
      if p.total > 0 then text = text .. string.format(" (%d%%)", p.done * 100 // p.total) end
    end
    if elapsed >= 0.2 then text = text .. string.format(", %.1f/s", p.done / elapsed) end
  end
  install_guards()
  core.status_draw(text, final, later)
  current = (not final) and p or nil
end

--- lcanvas.statusline(label [, total]): a status line showing the progress of a script's own loop; p:add(n), p:set(n), p:finish() (also closed by `<close>`).
--- lcanvas.statusline.new(label [, total]): the same as lcanvas.statusline(label, total).
function M.new(label, total)
  if current then current:finish() end
  local p = setmetatable({ label = tostring(label or "progress"), total = total, done = 0,
    started = clock() }, StatusLine)
  return p
end

--- StatusLine:add([n]): counts n more (default 1) and redraws.
function StatusLine:add(n)
  self.done = self.done + (n or 1)
  render(self, false)
  return self
end

--- StatusLine:set(n): sets the count and redraws.
function StatusLine:set(n)
  self.done = n
  render(self, false)
  return self
end

--- StatusLine:finish(): draws the final line and ends it with a newline.
function StatusLine:finish()
  if self.finished then return end
  self.finished = true
  if self.transient and not forced then
    -- A list's line left unfinished (the loop broke off, an error): it
    -- goes away rather than staying under what was printed.
    if current == self then core.status_erase() end
  elseif self.drawn_at or current == self then
    render(self, true)
  end
  if current == self then current = nil end
end
StatusLine.__close = StatusLine.finish

--- lcanvas.statusline.finish_all(): ends a line still on screen (the host calls it at exit).
function M.finish_all()
  if current then current:finish() end
end

--- lcanvas.statusline.attach(client): shows a line while the client's lists load pages.
function M.attach(client)
  local lists = setmetatable({}, { __mode = "k" })
  client:on_page(function(list, items, pages, done)
    if not M.enabled() then return end
    local p = lists[list]
    if not p then
      local requests0 = client:stats().requests - 1
      p = M.new("list")
      p.transient = true
      p.formatter = function(self, elapsed)
        local reqs = client:stats().requests - requests0
        -- A rate over the first few milliseconds means nothing yet.
        return string.format("list: %d items, %d pages", self.done, self.pages) ..
          (elapsed >= 0.2 and string.format(", %.1f requests/s", reqs / elapsed) or "")
      end
      lists[list] = p
    end
    p.pages = pages
    p.done = items
    if done then
      p.finished = true
      if forced then
        render(p, true)
      elseif p.drawn_at then
        -- A list's line is transient on a terminal: erase it when done.
        if current == p then
          core.status_erase()
          current = nil
        end
      end
    else
      render(p, false)
    end
  end)
  return client
end

return setmetatable(M, { __call = function(_, ...) return M.new(...) end })
