--- CSV for the sandbox's jobs: reading the files of a SIS import and writing
-- the files of an account report. Its own code, not lcanvas.script.csv's,
-- so that a bug in the client's CSV cannot hide in the server too.
--
--   csv.parse(text) -> list of rows (each a list of fields, with .line: the
--                      line the row starts on) or nil, "Malformed CSV"
--   csv.format(rows) -> text, written as Ruby's CSV writes: a field quoted
--                      only when it holds a comma, a quote or a line break;
--                      nil empty, "" as "" (Ruby keeps the two apart);
--                      true/false and numbers as their text; "\n" line ends
local M = {}

function M.parse(text)
  local rows, row, field = {}, {}, {}
  local i, n, line = 1, #text, 1
  local row_line = 1
  local quoted_field = false
  local function end_field()
    row[#row + 1] = table.concat(field)
    field, quoted_field = {}, false
  end
  local function end_row()
    end_field()
    row.line = row_line
    rows[#rows + 1] = row
    row = {}
  end
  while i <= n do
    local c = text:sub(i, i)
    if c == '"' and #field == 0 and not quoted_field then
      -- a quoted field: to the closing quote, "" standing for one quote
      quoted_field = true
      i = i + 1
      while true do
        if i > n then return nil, "Malformed CSV" end
        local q = text:find('"', i, true)
        if not q then return nil, "Malformed CSV" end
        local chunk = text:sub(i, q - 1)
        for _ in chunk:gmatch("\n") do line = line + 1 end
        field[#field + 1] = chunk
        if text:sub(q + 1, q + 1) == '"' then
          field[#field + 1] = '"'
          i = q + 2
        else
          i = q + 1
          break
        end
      end
      local nxt = text:sub(i, i)
      if nxt ~= "," and nxt ~= "\n" and nxt ~= "\r" and nxt ~= "" then return nil, "Malformed CSV" end
    elseif c == "," then
      end_field()
      i = i + 1
    elseif c == "\r" or c == "\n" then
      if c == "\r" and text:sub(i + 1, i + 1) == "\n" then i = i + 1 end
      end_row()
      line = line + 1
      row_line = line
      i = i + 1
    else
      if quoted_field then return nil, "Malformed CSV" end
      if c == '"' then return nil, "Malformed CSV" end   -- a quote inside an unquoted field
      local j = text:find('[,\r\n"]', i)
      j = j or (n + 1)
      field[#field + 1] = text:sub(i, j - 1)
      i = j
    end
  end
  if #field > 0 or #row > 0 or quoted_field then end_row() end
  return rows
end

local function cell(v)
  if v == nil then return "" end
  if type(v) == "boolean" then return tostring(v) end
  if math.type(v) == "float" and v == math.floor(v) then v = math.tointeger(v) end
  local s = tostring(v)
  if s == "" then return '""' end
  if s:find('[,"\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

--- rows: lists of values; a row may hold nils (give its width as .n).
function M.format(rows)
  local out = {}
  for _, r in ipairs(rows) do
    local cells = {}
    for k = 1, r.n or #r do cells[k] = cell(r[k]) end
    out[#out + 1] = table.concat(cells, ",") .. "\n"
  end
  return table.concat(out)
end

return M
