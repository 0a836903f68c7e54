--- Downloading what Canvas serves as a file: a File's `url`, a report's or
-- an export's attachment. Such a url is on Canvas's origin
-- (<canvas>/files/:id/download?download_frd=1&verifier=...) and answers
-- with a redirect to the file store (S3, inst-fs) whose own signed URL
-- sends the bytes (canvas-lms FilesController#show, attachment_helper.rb
-- render_or_redirect_to_stored_file). The redirects are followed here, not
-- by libcurl, so that the token goes to Canvas's origin only: a step on
-- another origin is sent without it (core.transfer's token = false).
-- The body streams into a temporary file renamed into place once complete
-- (lcanvas.outfile): an error, a limit or Ctrl-C leaves nothing, and a dry
-- run downloads for real into the dry-run name, as every writer does.
local core = require "lcanvas.core"
local outfile = require "lcanvas.script.outfile"
local statusline = require "lcanvas.script.statusline"

local M = {}

--- lcanvas.download.MAX_HOPS: redirects followed before a download gives up.
M.MAX_HOPS = 5

local function url_of(what, fname)
  if type(what) == "string" and what ~= "" then return what end
  if type(what) == "table" or core.is_object(what) then
    local u = what.url
    if type(u) == "string" and u ~= "" then return u end
    error(string.format("bad argument #1 to '%s' (this %s has no url to download)", fname,
      core.is_object(what) and what:typename() or "table"), 4)
  end
  error(string.format("bad argument #1 to '%s' (a URL, a File or a table with a url expected, got %s)",
    fname, type(what)), 4)
end

local function origin(url) return core.url_origin(url) end

-- A Location resolved against the URL it answered (absolute, or a path on
-- the same origin).
local function resolve(base, loc)
  if loc:match("^[%a][%w+.-]*://") then return loc end
  if loc:sub(1, 2) == "//" then return base:match("^([%a][%w+.-]*:)") .. loc end
  if loc:sub(1, 1) == "/" then return base:match("^([%a][%w+.-]*://[^/?#]+)") .. loc end
  return (base:gsub("[?#].*$", ""):gsub("[^/]*$", "")) .. loc
end

-- Follows Canvas's redirects; the final answer (its body in `sink` when
-- one is given). The token goes only where the client's origin is.
local function fetch(c, url, sink)
  local home = origin(c:base_url())
  for _ = 0, M.MAX_HOPS do
    local absolute = url:match("^https?://") ~= nil
    local answer = core.transfer(c, { url = url, token = not absolute or origin(url) == home, sink = sink })
    if answer.status < 300 or answer.status >= 400 then return answer end
    local loc = answer.headers.location
    if not loc or loc == "" then
      error(core.error("InvalidResponse", string.format("the download answered %d without a Location",
        answer.status)), 0)
    end
    if not absolute then url = c:base_url() .. "api/v1/" .. url end
    url = resolve(url, loc)
    if not url:match("^https?://") then
      error(core.error("InvalidResponse", "the download was redirected to a non-http URL"), 0)
    end
  end
  error(core.error("InvalidResponse", string.format("the download was redirected more than %d times",
    M.MAX_HOPS)), 0)
end

local function status_line_on() return statusline.enabled() end

--- lcanvas.download.to_file(client, what, path [, opts]): downloads `what` (a URL, a File or a table with a url) into `path`, written whole or not at all; opts.max_size (bytes; the client's max_download_size by default), opts.progress (false hides the status line). Returns the path written (the dry-run name under a dry run) and its size.
function M.to_file(c, what, path, opts)
  local fname = opts and opts._fname or "download"
  local url = url_of(what, fname)
  if type(path) ~= "string" or path == "" then
    error(string.format("bad argument #2 to '%s' (a file path expected, got %s)", fname, type(path)), 3)
  end
  opts = opts or {}
  local out = outfile.open(path, { dry_run = c:is_dry_run() })
  local label = opts.progress ~= false and status_line_on() and
    ("downloading " .. (path:match("[^/]+$") or path)) or nil
  local sink = core.sink(out.f, opts.max_size, label)
  local ok, res = pcall(fetch, c, url, sink)
  if label then core.status_erase() end
  if not ok then
    out:abort()
    local werr = sink:error()
    if werr then error("cannot write " .. out.path .. ": " .. werr, 3) end
    error(res, 0)
  end
  out:close()
  return out.path, res.size or 0
end

--- lcanvas.download.to_string(client, what): downloads a small file into a string (bounded by the client's max_response_size).
function M.to_string(c, what)
  local answer = fetch(c, url_of(what, "download_to_string"))
  return answer.body or ""
end

return M
