-- Plain-HTTP tools for the specs of the sandbox's long-running jobs (SIS
-- imports, account reports, course copies, Progress): requests with any body
-- and content type, multipart forms, zips built here byte by byte (deflated
-- by the system's gzip, so the sandbox's own zip code never checks itself),
-- and the control API's job endpoints.
local http = require "socket.http"
local ltn12 = require "ltn12"
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"

local M = {}

M.raw = require("sandbox_admin_helper").raw

--- A multipart/form-data body: fields {name = value} (sorted), then files
-- {{name=, filename=, data=, content_type=}}; returns body, content type.
function M.multipart(fields, files)
  local b = "sandbox-spec-boundary-7f3a"
  local out = {}
  local names = {}
  for k in pairs(fields or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    out[#out + 1] = "--" .. b .. '\r\nContent-Disposition: form-data; name="' .. k .. '"\r\n\r\n'
      .. tostring(fields[k]) .. "\r\n"
  end
  for _, f in ipairs(files or {}) do
    out[#out + 1] = "--" .. b .. '\r\nContent-Disposition: form-data; name="' .. f.name .. '"; filename="'
      .. f.filename .. '"\r\nContent-Type: ' .. (f.content_type or "application/octet-stream") .. "\r\n\r\n"
      .. f.data .. "\r\n"
  end
  out[#out + 1] = "--" .. b .. "--\r\n"
  return table.concat(out), "multipart/form-data; boundary=" .. b
end

local function le16(v) return string.char(v & 0xFF, (v >> 8) & 0xFF) end
local function le32(v) return le16(v & 0xFFFF) .. le16((v >> 16) & 0xFFFF) end

-- gzip's deflate stream of `data` and the CRC-32 and size from its trailer.
local function gzip(data)
  local path = sandbox.tmpname()
  sandbox.write_file(path, data)
  local h = io.popen("gzip -n -9 -c " .. sandbox.quote(path))
  local gz = h:read("a")
  h:close()
  os.remove(path)
  assert(#gz > 18 and gz:byte(1) == 0x1f and gz:byte(2) == 0x8b and gz:byte(4) == 0, "unexpected gzip output")
  local t = #gz - 7
  local crc = gz:byte(t) | (gz:byte(t + 1) << 8) | (gz:byte(t + 2) << 16) | (gz:byte(t + 3) << 24)
  return gz:sub(11, #gz - 8), crc
end

--- The bytes of a zip archive of entries {name=, data=, stored=bool}:
-- deflated (by gzip) unless stored; a stored entry's CRC comes from gzip too.
function M.zip(entries)
  local parts, central, offset = {}, {}, 0
  for _, e in ipairs(entries) do
    local deflated, crc = gzip(e.data)
    local method, payload = 8, deflated
    if e.stored then method, payload = 0, e.data end
    local head = le16(20) .. le16(0) .. le16(method) .. le16(0) .. le16(0x21) .. le32(crc) .. le32(#payload)
      .. le32(#e.data) .. le16(#e.name) .. le16(0)
    parts[#parts + 1] = le32(0x04034b50) .. head .. e.name .. payload
    central[#central + 1] = le32(0x02014b50) .. le16(20) .. head .. le16(0) .. le16(0) .. le16(0) .. le32(0)
      .. le32(offset) .. e.name
    offset = offset + 30 + #e.name + #payload
  end
  local cd = table.concat(central)
  return table.concat(parts) .. cd .. le32(0x06054b50) .. le16(0) .. le16(0) .. le16(#entries)
    .. le16(#entries) .. le32(#cd) .. le32(offset) .. le16(0)
end

-- The control API's job endpoints ----------------------------------------------

local function control(method, path)
  local chunks = {}
  local _, status = http.request({ url = sandbox.url .. "/__sandbox/" .. path, method = method,
    sink = ltn12.sink.table(chunks), headers = { ["content-length"] = 0 }, source = ltn12.source.empty() })
  assert(status == 200, "control " .. path .. " answered " .. tostring(status) .. ": " .. table.concat(chunks))
  return json.decode(table.concat(chunks))
end

--- POST /__sandbox/jobs/advance: {advanced = n}.
function M.advance() return control("POST", "jobs/advance") end
--- GET /__sandbox/jobs: every job {kind, id, state, done, stuck}.
function M.jobs() return control("GET", "jobs") end

--- GET path `times` times (each a read of the job in poll mode); the last answer.
function M.poll(path, times, opts)
  local status, doc
  for _ = 1, times do status, doc = M.raw("GET", path, opts) end
  return status, doc
end

--- Reads path until done(doc) or `max` reads; the last answer and the reads taken.
function M.until_done(path, done, max, opts)
  local doc, n
  for i = 1, max or 10 do
    local status
    status, doc = M.raw("GET", path, opts)
    assert(status == 200, "GET " .. path .. " answered " .. tostring(status))
    n = i
    if done(doc) then break end
  end
  return doc, n
end

--- A File's bytes, the way a client downloads it: its url (no token) answers
-- a redirect to the storage origin, which sends them. Returns the bytes and
-- the redirect's Location.
function M.download(file)
  local status, _, h = M.raw("GET", file.url, { token = false })
  assert(status == 302, "the file url answered " .. tostring(status))
  local location = h.location
  assert(location:sub(1, #sandbox.storage) == sandbox.storage, "not a redirect to storage: " .. location)
  local s2, _, _, bytes = M.raw("GET", location, { token = false })
  assert(s2 == 200, "storage answered " .. tostring(s2))
  return bytes, location
end

return M
