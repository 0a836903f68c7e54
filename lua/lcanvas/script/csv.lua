--- lcanvas.script.csv (the `lcanvas.csv` field): RFC 4180 CSV reading and
-- writing for automation scripts.
-- Reading tolerates a UTF-8 byte order mark and LF or CRLF line ends, and
-- reports a malformed row with its line number. Writing goes through
-- lcanvas.outfile, so a results file is complete or absent, never half.
local core = require "lcanvas.core"
local outfile = require "lcanvas.script.outfile"

local M = {}

local function malformed(name, line, fmt, ...)
  error(string.format("%s:%d: malformed CSV: " .. fmt, name, line, ...), 0)
end

--- lcanvas.csv.parse(text [, name]): every record as an array of strings, and the line each starts on.
function M.parse(text, name)
  name = name or "(csv)"
  if text:sub(1, 3) == "\239\187\191" then text = text:sub(4) end
  local rows, lines = {}, {}
  local pos, len, line = 1, #text, 1
  while pos <= len do
    local row, start_line = {}, line
    while true do
      local field
      if text:sub(pos, pos) == '"' then
        -- Quoted: runs to the next quote not followed by another quote.
        local parts, p = {}, pos + 1
        while true do
          local q = text:find('"', p, true)
          if not q then malformed(name, start_line, "a quoted field starting on this line never ends") end
          parts[#parts + 1] = text:sub(p, q - 1)
          if text:sub(q + 1, q + 1) == '"' then
            parts[#parts + 1] = '"'
            p = q + 2
          else
            p = q + 1
            break
          end
        end
        field = table.concat(parts)
        for _ in field:gmatch("\n") do line = line + 1 end
        pos = p
        local c = text:sub(pos, pos)
        if c ~= "," and c ~= "\n" and c ~= "" and not (c == "\r" and text:sub(pos + 1, pos + 1) == "\n") then
          malformed(name, line, "unexpected %q after a closing quote (a quote inside a field must be doubled)", c)
        end
      else
        local e = text:find("[,\r\n]", pos) or len + 1
        if text:sub(e, e) == "\r" and text:sub(e + 1, e + 1) ~= "\n" then
          malformed(name, line, "a carriage return not followed by a line feed")
        end
        field = text:sub(pos, e - 1)
        if field:find('"', 1, true) then
          malformed(name, line, "a quote inside an unquoted field (quote the field and double the quote)")
        end
        pos = e
      end
      row[#row + 1] = field
      local c = text:sub(pos, pos)
      if c == "," then
        pos = pos + 1
      else
        if c == "\r" then pos = pos + 1 end
        if text:sub(pos, pos) == "\n" then pos = pos + 1; line = line + 1 end
        break
      end
    end
    -- A blank line (often the last one) is not a record.
    if not (#row == 1 and row[1] == "") then
      rows[#rows + 1] = row
      lines[#lines + 1] = start_line
    end
  end
  return rows, lines
end

local function read_all(path)
  local f, err = io.open(path, "rb")
  if not f then error("cannot read " .. tostring(path) .. ": " .. tostring(err), 0) end
  local text = f:read("a")
  f:close()
  return text
end

--- lcanvas.csv.read(path [, opts]): records keyed by the header row's names, the header, and each record's line number. opts.required lists columns that must exist; opts.header = false gives arrays.
function M.read(path, opts)
  opts = opts or {}
  local rows, lines = M.parse(read_all(path), path)
  if opts.header == false then return rows, nil, lines end
  local header = table.remove(rows, 1)
  table.remove(lines, 1)
  if not header then error(path .. ": the CSV file is empty (a header row is expected)", 0) end
  local seen = {}
  for i, h in ipairs(header) do
    h = h:match("^%s*(.-)%s*$")
    header[i] = h
    if h == "" then error(string.format("%s:1: column %d has no name in the header row", path, i), 0) end
    if seen[h] then error(string.format("%s:1: column '%s' appears twice in the header row", path, h), 0) end
    seen[h] = true
  end
  for _, need in ipairs(opts.required or {}) do
    if not seen[need] then
      error(string.format("%s:1: the header row has no '%s' column (found: %s)", path, need,
        table.concat(header, ",")), 0)
    end
  end
  local records = {}
  for r, row in ipairs(rows) do
    if #row ~= #header then
      malformed(path, lines[r], "%d field%s, but the header has %d (%s)", #row, #row == 1 and "" or "s",
        #header, table.concat(header, ","))
    end
    local rec = {}
    for i, h in ipairs(header) do rec[h] = row[i] end
    records[r] = rec
  end
  return records, header, lines
end

-- A float as the shortest of %.14g / %.17g that reads back as the same number.
local function float_text(v)
  local s = string.format("%.14g", v)
  if tonumber(s) ~= v then s = string.format("%.17g", v) end
  return s
end

-- A text cell a spreadsheet would run as a formula (=, +, -, @, or a tab
-- or carriage return before one) gets a leading apostrophe, which
-- spreadsheets show as text: Canvas data is anyone's text (a user's name
-- can be =HYPERLINK(...)), and an admin opens exports in a spreadsheet.
-- A plain number written as text ("-5", "+1.5") is no formula and stays.
local function neutral(v)
  local c = v:sub(1, 1)
  if c == "=" or c == "+" or c == "-" or c == "@" or c == "\t" or c == "\r" then
    if not v:find("^[-+]?%d+%.?%d*$") then return "'" .. v end
  end
  return v
end

local function cell(v, formulas)
  if v == nil or v == core.null then return "" end
  local t = type(v)
  if t == "number" then
    v = math.type(v) == "integer" and string.format("%d", v) or float_text(v)
  elseif t == "boolean" then
    v = tostring(v)
  elseif t == "table" or core.is_object(v) then
    -- Objects are data: a nested value (a table, an lcanvas object) is
    -- written as its JSON, exact integers and all, never as an address.
    v = core.json.encode(v)
  elseif t ~= "string" then
    v = tostring(v)
  elseif not formulas then
    v = neutral(v)
  end
  if v:find('[",\r\n]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

--- lcanvas.csv.format(row [, opts]): one record as CSV text (without the line end); a text cell starting with =, +, -, @ (a formula to a spreadsheet) gets a leading ', unless opts.formulas = true.
function M.format(row, opts)
  local formulas = opts and opts.formulas
  local out = {}
  for i = 1, #row do out[i] = cell(row[i], formulas) end
  return table.concat(out, ",")
end

local Writer = { __name = "lcanvas.CsvWriter" }  -- the name help(w) and tostring(w) give
Writer.__index = Writer

--- lcanvas.csv.writer(path, header [, opts]): a writer that renames its temp file to `path` on close; opts.eol (default "\r\n"); opts.formulas = true writes text cells that start like a formula as they are (by default they get a leading ').
function M.writer(path, header, opts)
  if type(header) ~= "table" or #header == 0 then
    error("bad argument #2 to 'writer' (a list of column names expected)", 2)
  end
  opts = opts or {}
  local w = setmetatable({ out = outfile.open(path), header = header, eol = opts.eol or "\r\n",
    count = 0, path = path, opts = { formulas = opts.formulas } }, Writer)
  w.out:write(M.format(header, w.opts), w.eol)
  return w
end

--- CsvWriter:write(row): writes a record: an array, a table keyed by column name, or an lcanvas object (its attributes; nested tables and objects as JSON).
function Writer:write(row)
  local values = {}
  -- An object's columns are its attributes, even one named like a method
  -- (an Enrollment's `type`).
  local obj = core.is_object(row)
  for i, h in ipairs(self.header) do
    local v
    if obj then v = row:get(h) else v = row[h] end
    if v == nil and not obj then v = row[i] end
    values[i] = v == nil and "" or v
  end
  self.out:write(M.format(values, self.opts), self.eol)
  self.count = self.count + 1
  return self
end

--- CsvWriter:close(): completes the file.
--- CsvWriter:abort(): removes the unfinished file.
--- CsvWriter:__close(err): `<close>`: completes the file (also on os.exit), or removes it when the block failed.
outfile.delegate(Writer)

return M
