-- lcanvas.csv and lcanvas.jsonl: RFC 4180 parsing (quotes, embedded commas
-- and newlines, BOM, CRLF), malformed rows with line numbers, and output
-- files that appear complete (temp file renamed) or not at all.
local csv = require "lcanvas.script.csv"
local jsonl = require "lcanvas.script.jsonl"
local outfile = require "lcanvas.script.outfile"
local sandbox = require "helper"   -- only its file tools; no sandbox is started

local dir

local write = sandbox.write_file

local read = sandbox.read_file

local function listing()
  local h = io.popen("ls -A " .. string.format("%q", dir))
  local names = {}
  for l in h:lines() do names[#names + 1] = l end
  h:close()
  table.sort(names)
  return table.concat(names, " ")
end

describe("lcanvas.csv", function()
  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
  end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  it("parses quotes, doubled quotes, embedded commas and newlines, CRLF and LF", function()
    local rows, lines = csv.parse('a,b,c\r\n"x, y","say ""hi""","two\nlines"\nplain,,last\n')
    assert.same({ { "a", "b", "c" }, { "x, y", 'say "hi"', "two\nlines" }, { "plain", "", "last" } }, rows)
    -- the third record starts on line 4: the quoted newline counts
    assert.same({ 1, 2, 4 }, lines)
  end)

  it("tolerates a UTF-8 BOM, a missing last line end and blank lines", function()
    local path = dir .. "/in.csv"
    write(path, "\239\187\191observer,student\r\n\r\npat.parent,sam.student")
    local recs, header, lines = csv.read(path)
    assert.same({ "observer", "student" }, header)
    assert.same({ { observer = "pat.parent", student = "sam.student" } }, recs)
    assert.same({ 3 }, lines)
  end)

  it("reports malformed rows with the file name and line number", function()
    local path = dir .. "/bad.csv"
    write(path, 'observer,student\na,b\nc,"d\n')
    local ok, err = pcall(csv.read, path)
    assert.is_false(ok)
    assert.equal(path .. ":3: malformed CSV: a quoted field starting on this line never ends", err)

    write(path, 'observer,student\na,b\nc,d,e\n')
    ok, err = pcall(csv.read, path)
    assert.is_false(ok)
    assert.equal(path .. ":3: malformed CSV: 3 fields, but the header has 2 (observer,student)", err)

    -- one field is "1 field"; a one-column header is "has 1"
    write(path, 'observer,student\na,b\nc\n')
    ok, err = pcall(csv.read, path)
    assert.is_false(ok)
    assert.equal(path .. ":3: malformed CSV: 1 field, but the header has 2 (observer,student)", err)
    write(path, 'student\na,b\n')
    ok, err = pcall(csv.read, path)
    assert.is_false(ok)
    assert.equal(path .. ":2: malformed CSV: 2 fields, but the header has 1 (student)", err)

    write(path, 'observer,student\na,b"c\n')
    ok, err = pcall(csv.read, path)
    assert.is_false(ok)
    assert.matches(":2: malformed CSV: a quote inside an unquoted field", err)

    write(path, 'observer,student\n"a"x,b\n')
    ok, err = pcall(csv.read, path)
    assert.is_false(ok)
    assert.matches(":2: malformed CSV: unexpected \"x\" after a closing quote", err)
  end)

  it("checks required columns and the header row", function()
    local path = dir .. "/h.csv"
    write(path, "observer,pupil\na,b\n")
    local ok, err = pcall(csv.read, path, { required = { "observer", "student" } })
    assert.is_false(ok)
    assert.equal(path .. ":1: the header row has no 'student' column (found: observer,pupil)", err)
    write(path, "")
    ok, err = pcall(csv.read, path)
    assert.is_false(ok)
    assert.matches("empty", err)
    ok, err = pcall(csv.read, dir .. "/missing.csv")
    assert.is_false(ok)
    assert.matches("cannot read .*missing%.csv", err)
  end)

  it("round-trips awkward values through the writer", function()
    local path = dir .. "/out.csv"
    local values = {
      { name = 'Jo "JJ" Doe', note = "a, b", id = 43460000000000001 },
      { name = "multi\nline", note = "", id = 7 },
      { name = "  spaced  ", note = "ümlaut", id = 0 },
    }
    local w = csv.writer(path, { "id", "name", "note" })
    for _, v in ipairs(values) do w:write(v) end
    w:write({ 8, "array row" })
    assert.is_nil(read(path))  -- nothing at the destination before close
    assert.is_true(w:close())
    local text = read(path)
    assert.truthy(text:find('43460000000000001,"Jo ""JJ"" Doe","a, b"\r\n', 1, true))
    local recs = csv.read(path)
    assert.equal(4, #recs)
    assert.same({ id = "43460000000000001", name = 'Jo "JJ" Doe', note = "a, b" }, recs[1])
    assert.same({ id = "7", name = "multi\nline", note = "" }, recs[2])
    assert.same({ id = "0", name = "  spaced  ", note = "ümlaut" }, recs[3])
    assert.same({ id = "8", name = "array row", note = "" }, recs[4])
    assert.equal("out.csv", listing())  -- no temp file left behind
  end)

  it("neutralises cells a spreadsheet would run as formulas, unless told not to", function()
    local path = dir .. "/out.csv"
    local w = csv.writer(path, { "name", "n" }, { eol = "\n" })
    w:write({ name = '=HYPERLINK("http://evil.example","x")', n = "-5" })
    w:write({ name = "+1+1", n = -5 })
    w:write({ name = "-2+3", n = "+1.5" })
    w:write({ name = "@SUM(A1)", n = "\t=1" })
    w:write({ name = "plain = text", n = "" })
    assert.is_true(w:close())
    assert.equal('name,n\n"\'=HYPERLINK(""http://evil.example"",""x"")",-5\n\'+1+1,-5\n' ..
      "'-2+3,+1.5\n'@SUM(A1),'\t=1\nplain = text,\n", read(path))
    assert.equal("'=1+1", csv.format({ "=1+1" }))
    assert.equal("=1+1", csv.format({ "=1+1" }, { formulas = true }))
    w = csv.writer(path, { "name" }, { eol = "\n", formulas = true })
    w:write({ name = "=1+1" })
    assert.is_true(w:close())
    assert.equal("name\n=1+1\n", read(path))
  end)

  it("writes to a temp file in the same directory and renames it on close", function()
    local path = dir .. "/report.csv"
    write(path, "old contents\n")
    local w = csv.writer(path, { "a" })
    w:write({ "new" })
    assert.equal("old contents\n", read(path))
    assert.matches("^%.report%.csv%.tmp%-[%d-]+ report%.csv$", listing())
    w:close()
    assert.equal("a\r\nnew\r\n", read(path))
    assert.equal("report.csv", listing())
  end)

  it("leaves no file when the block fails, and keeps the old one", function()
    local path = dir .. "/report.csv"
    local ok, err = pcall(function()
      local w <close> = csv.writer(path, { "a" })
      w:write({ "half" })
      error("row 2 failed")
    end)
    assert.is_false(ok)
    assert.matches("row 2 failed", err)
    assert.equal("", listing())

    write(path, "previous\n")
    pcall(function()
      local w <close> = csv.writer(path, { "a" }, { eol = "\n" })
      w:write({ "half" })
      error("interrupted")
    end)
    assert.equal("previous\n", read(path))
    assert.equal("report.csv", listing())

    -- a writer that is dropped without close is removed, not left half-written
    local w = csv.writer(dir .. "/dropped.csv", { "a" })
    w:write({ 1 })
    w = nil  -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.equal("report.csv", listing())
  end)

  it("uses an LF line end on request and refuses a bad header", function()
    local path = dir .. "/lf.csv"
    local w = csv.writer(path, { "x", "y" }, { eol = "\n" })
    w:write({ x = true, y = 1.5 })
    w:close()
    assert.equal("x,y\ntrue,1.5\n", read(path))
    assert.has_error(function() csv.writer(path, {}) end)
    assert.has_error(function() csv.writer(dir .. "/no/such/dir/x.csv", { "a" }) end)
  end)
end)

describe("lcanvas.jsonl", function()
  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
  end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  it("writes exact integers, one value per line, and reads them back", function()
    local path = dir .. "/u.jsonl"
    local w = jsonl.writer(path)
    w:write({ id = 43460000000000001, name = "Shard" })
    w:write({ id = 3 })
    assert.is_nil(read(path))
    w:close()
    local text = read(path)
    assert.matches('^{[^\n]*"id":43460000000000001[^\n]*}\n{"id":3}\n$', text)
    assert.truthy(text:find('"name":"Shard"', 1, true))
    local vals = jsonl.read(path)
    assert.equal(43460000000000001, vals[1].id)
    assert.equal("integer", math.type(vals[1].id))
  end)

  it("reports a bad line by number and removes an aborted file", function()
    local path = dir .. "/bad.jsonl"
    write(path, '{"a":1}\n{nope\n')
    local ok, err = pcall(jsonl.read, path)
    assert.is_false(ok)
    assert.matches("bad%.jsonl:2: not valid JSON", err)
    local o = outfile.open(dir .. "/x.json")
    o:write("{")
    o:abort()
    assert.equal("bad.jsonl", listing())
  end)
end)
