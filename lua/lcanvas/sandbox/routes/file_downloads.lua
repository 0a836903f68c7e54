--- Downloading a File as Canvas serves it (canvas-lms
-- app/controllers/files_controller.rb: show with download_frd, through
-- send_attachment to app/helpers/attachment_helper.rb:
-- render_or_redirect_to_stored_file), and the file store that then sends
-- the bytes (S3 or inst-fs: the storage origin).
--
-- A File's url is <canvas>/files/:id/download?download_frd=1&verifier=<uuid>
-- (an account's file, such as a report's, also answers at
-- <canvas>/accounts/:account_id/files/:id/download, its file_url)
-- (user_data.present_file), outside /api/v1. Canvas reads no bearer token
-- there (AuthenticationMethods#load_pseudonym_from_access_token: API
-- requests only), so the verifier is the credential; without a valid one
-- a caller nobody signed in is sent to /login (render_unauthorized_action),
-- or gets a 401 when it asked for JSON. config.download_mode:
--   "redirect" (default): 302 to <storage>/files/:id/download?verifier=..&sig=..
--   "direct": the Canvas origin sends the bytes (a file stored locally)
--   "redirect_foreign": 302 to the alt origin, another Canvas host (Canvas's
--     separate files domain), which redirects on to storage.
-- The storage origin wants its signature, refuses an Authorization header
-- (403) and waits config.download_delay_ms before answering.
local answers = require "lcanvas.sandbox.answers"
local params = require "lcanvas.sandbox.params"
local util = require "lcanvas.sandbox.util"
local http = require "lcanvas.sandbox.http"
local UserData = require "lcanvas.sandbox.user_data"

local HTML = "text/html; charset=utf-8"

-- The storage origin's signature of a file's URL (S3 signs its own).
local function sign(f)
  local h = 2166136261
  for c in string.gmatch(f.id .. ":" .. f.uuid .. ":sandbox-storage", ".") do
    h = ((h ~ c:byte()) * 16777619) & 0xffffffff
  end
  return string.format("%08x", h)
end

-- Content-Disposition as send_file writes it: the name quoted, and in
-- RFC 5987 form too when it is not plain ASCII.
local function disposition(name)
  local out = 'attachment; filename="' .. name:gsub('[\\"]', "\\%0") .. '"'
  if name:find("[^\32-\126]") then
    out = out .. "; filename*=UTF-8''" .. name:gsub("[^%w%-%._~]", function(c)
      return string.format("%%%02X", c:byte())
    end)
  end
  return out
end

local function html(status, text, headers)
  headers = headers or {}
  headers["Content-Type"] = HTML
  return { status = status, headers = headers, body = "<html><body>" .. text .. "</body></html>" }
end

-- Rails's redirect_to: 302 with a small HTML body.
local function redirect(url)
  return html(302, 'You are being <a href="' .. url .. '">redirected</a>.', { Location = url })
end

return function(app)
  local data = UserData.of(app)

  local function url_of(origin) return app.urls and app.urls[origin] or "" end

  -- An uploaded file by id, or nil.
  local function file_of(raw)
    local f = data.state().files[util.to_int(raw) or -1]
    if f and not f.pending then return f end
  end

  -- The bytes, after the configured delay (interrupt specs cut in there).
  local function send_bytes(f)
    local delay = tonumber(app.config.download_delay_ms) or 0
    if delay > 0 then http.sleep(delay / 1000) end
    return { status = 200, body = f.content, headers = { ["Content-Type"] = f.content_type,
      ["Content-Disposition"] = disposition(f.display_name) } }
  end

  local function download(req, args, origin)
    local f = file_of(args.file)
    if not f then return html(404, "<h1>Page Not Found</h1>") end
    local q = params.parse_query(req.query)
    if q.verifier ~= f.uuid then
      -- render_unauthorized_action for a caller nobody signed in.
      local accept = req.headers.accept or ""
      if accept:find("json", 1, true) and not accept:find("html", 1, true) then
        return answers.json(401, { status = "unauthenticated", errors = { { message = answers.UNAUTHENTICATED } } })
      end
      return redirect(url_of(origin) .. "/login")
    end
    local mode = app.config.download_mode or "redirect"
    if mode == "redirect_foreign" and origin == "alt" then mode = "redirect" end
    if mode == "direct" then return send_bytes(f) end
    if mode == "redirect" then
      return redirect(string.format("%s/files/%d/download?verifier=%s&sig=%s", url_of("storage"), f.id, f.uuid,
        sign(f)))
    elseif mode == "redirect_foreign" then
      return redirect(string.format("%s/files/%d/download?download_frd=1&verifier=%s", url_of("alt"), f.id, f.uuid))
    end
    error("config.download_mode must be redirect, direct or redirect_foreign, not " .. tostring(mode))
  end

  app:route("GET", "/files/:file/download", function(_, req, args, origin)
    return download(req, args, origin)
  end, { outside = true, origins = { "main", "alt" } })

  -- An account's file (an account report's file_url): the same show action
  -- in the account's context; the verifier is again what opens it.
  app:route("GET", "/accounts/:account/files/:file/download", function(_, req, args, origin)
    local f = file_of(args.file)
    local a = app.store:find_account(args.account)
    if f and (not a or f.context_type ~= "Account" or f.context_id ~= a.id) then f = nil end
    if not f then return html(404, "<h1>Page Not Found</h1>") end
    return download(req, args, origin)
  end, { outside = true, origins = { "main", "alt" } })

  -- The file store: a signed URL, never the Canvas token.
  app:route("GET", "/files/:file/download", function(_, req, args)
    if req.headers.authorization then
      return answers.error(403, "storage does not take the Canvas token (Authorization header sent)")
    end
    local f = file_of(args.file)
    if not f then return answers.error(404, "no such file") end
    local q = params.parse_query(req.query)
    if q.verifier ~= f.uuid or q.sig ~= sign(f) then
      return answers.error(403, "signature missing or does not match")
    end
    return send_bytes(f)
  end, { outside = true, origins = { "storage" } })
end
