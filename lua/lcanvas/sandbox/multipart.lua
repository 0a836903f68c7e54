--- multipart/form-data bodies (RFC 7578), as the storage origin receives
-- an upload: parts in order, the file last.
local M = {}

-- Parts one body may have: an upload has a few (its parameters and the
-- file); millions of empty ones would only cost the server time and memory.
M.MAX_PARTS = 1000

--- The boundary of a multipart/form-data Content-Type, or nil.
local function boundary_of(ctype)
  if not ctype:lower():find("^multipart/form%-data") then return nil end
  return ctype:match("boundary=\"([^\"]+)\"") or ctype:match("boundary=([^;%s]+)")
end

--- Parses req.body: a list of parts {name=, filename=, headers=, data=}
-- (header names lower-cased), or nil and a message.
function M.parse(req)
  local boundary = boundary_of(req.headers["content-type"] or "")
  if not boundary then return nil, "expected multipart/form-data" end
  local body, delim = req.body, "--" .. boundary
  local parts = {}
  local pos = body:find(delim, 1, true)
  if not pos then return nil, "no multipart boundary in the body" end
  pos = pos + #delim
  while true do
    if body:sub(pos, pos + 1) == "--" then break end  -- the closing delimiter
    local head_start = pos + 2  -- skip CRLF after the delimiter
    local head_end = body:find("\r\n\r\n", head_start, true)
    if not head_end then return nil, "malformed part headers" end
    local nxt = body:find("\r\n" .. delim, head_end + 4, true)
    if not nxt then return nil, "unterminated part" end
    local part = { headers = {}, data = body:sub(head_end + 4, nxt - 1) }
    for line in body:sub(head_start, head_end - 1):gmatch("[^\r\n]+") do
      local k, v = line:match("^([^:]+):%s*(.*)$")
      if k then part.headers[k:lower()] = v end
    end
    local cd = part.headers["content-disposition"] or ""
    part.name = cd:match('[; ]name="([^"]*)"')
    part.filename = cd:match('filename="([^"]*)"')
    parts[#parts + 1] = part
    if #parts > M.MAX_PARTS then return nil, "more than " .. M.MAX_PARTS .. " parts in the form" end
    pos = nxt + 2 + #delim
  end
  return parts
end

return M
