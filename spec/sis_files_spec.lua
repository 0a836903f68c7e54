-- The checks sis-import.lua makes before an upload (lcanvas.script.sis_files)
-- and the zip reader they use (lcanvas.script.zip): kinds as Canvas's
-- importers tell them by their header, the rows Canvas would refuse, and
-- archives made by gzip's deflate, stored entries and damaged ones.
local sandbox = require "helper"
local sis_files = require "lcanvas.script.sis_files"
local zip = require "lcanvas.script.zip"

local make_zip = sandbox.make_zip

-- The raw deflate stream of `text`, by gzip (header without a name, 10 bytes;
-- trailer 8 bytes).
local function deflate(text)
  local path = sandbox.tmpname()
  sandbox.write_file(path, text)
  local h = io.popen("gzip -9 -n -c < " .. string.format("%q", path))
  local gz = h:read("a")
  h:close()
  os.remove(path)
  return gz:sub(11, -9)
end

describe("SIS file checks", function()
  it("tells each kind of file by its header, in Canvas's order", function()
    local cases = {
      { "user_id,login_id,first_name,last_name,status", "user" },
      { "course_id,short_name,long_name,account_id,term_id,status", "course" },
      { "section_id,course_id,name,status", "section" },
      { "course_id,user_id,role,section_id,status", "enrollment" },
      { "term_id,name,status", "term" },
      { "account_id,parent_account_id,name,status", "account" },
      { "xlist_course_id,section_id,status", "xlist" },
      { "old_id,new_id,type", "change_sis_id" },
      { "observer_id,student_id,status", "user_observer" },
      { "User_ID,Login_ID,Status", "user" },     -- Canvas lowercases headers
    }
    for _, c in ipairs(cases) do
      local header = {}
      for h in c[1]:gmatch("[^,]+") do header[#header + 1] = h end
      assert.equal(c[2], sis_files.identify(header), c[1])
    end
    assert.is_nil(sis_files.identify({ "userid", "login" }))
  end)

  it("names the rows Canvas would refuse, with file and line", function()
    local kind, n, problems = sis_files.check_text("users.csv", table.concat({
      "user_id,login_id,first_name,last_name,status",
      "U1,u1,A,One,active",
      ",u2,B,Two,active",
      "U3,,C,Three,Active",
      "U4,u4,D,Four,gone",
      "U5,u5,E,Five",
      "U6,u6,F,Six,",
    }, "\n") .. "\n")
    assert.equal("user", kind)
    assert.equal(6, n)
    assert.same({
      "users.csv:3: no user_id",
      "users.csv:4: no login_id",
      "users.csv:5: status \"gone\" is not one of active, suspended, deleted",
      "users.csv:6: 4 fields, but the header has 5",
      "users.csv:7: no status",
    }, problems)
    local _, _, p2 = sis_files.check_text("enr.csv", "course_id,user_id,role\nC1,U1,student\n,U2,student\n")
    assert.same({ "enr.csv:1: no status column (every enrollment row needs one: active, deleted, completed, " ..
      "inactive, deleted_last_completed)", "enr.csv:3: neither course_id nor section_id" }, p2)
    local k3, _, p3 = sis_files.check_text("x.csv", "name,email\nA,a@b\n")
    assert.is_nil(k3)
    assert.matches("^x%.csv:1: Canvas would not recognise this file", p3[1])
    local _, _, p4 = sis_files.check_text("bad.csv", "user_id,login_id,status\n\255\254,u,active\n")
    assert.matches("not valid UTF%-8", p4[1])
    local _, _, p5 = sis_files.check_text("q.csv", 'user_id,login_id,status\n"U1,u1,active\n')
    assert.matches("q%.csv:2: malformed CSV", p5[1])
  end)
end)

describe("zip reader", function()
  local big = {}
  for i = 1, 20000 do big[#big + 1] = string.format("U%05d,login%d,First%d,Last%d,active", i, i, i % 97, i % 89) end
  big = "user_id,login_id,first_name,last_name,status\n" .. table.concat(big, "\n") .. "\n"

  it("reads stored and deflated entries, long and back-referencing ones included", function()
    local small = "course_id,short_name,long_name,status\nC1,C1,Course one,active\n"
    local data = make_zip({
      { name = "users.csv", data = big, method = 8, raw = deflate(big) },
      { name = "courses.csv", data = small, method = 0 },
      { name = "empty.csv", data = "", method = 8, raw = deflate("") },
      { name = "notes/", data = "", method = 0 },
    })
    local entries = zip.read(data)
    assert.equal(4, #entries)
    assert.equal("users.csv", entries[1].name)
    assert.equal(big, entries[1].data)
    assert.equal(small, entries[2].data)
    assert.equal("", entries[3].data)
    assert.is_true(entries[4].dir)
    assert.equal(string.rep("abc", 50000), zip.inflate(deflate(string.rep("abc", 50000))))
  end)

  it("refuses damaged, truncated and lying archives with a reason", function()
    local good = make_zip({ { name = "u.csv", data = big, method = 8, raw = deflate(big) } })
    assert.has_error(function() zip.read("not a zip at all") end,
      "not a zip archive (no end of central directory)")
    local ok, err = pcall(zip.read, good:sub(1, 2000) .. good:sub(-200))
    assert.is_false(ok)
    assert.is_string(err)
    -- an entry that inflates past the size the archive declares
    local liar = make_zip({ { name = "u.csv", data = "short", method = 8, raw = deflate(big) } })
    ok, err = pcall(zip.read, liar)
    assert.is_false(ok)
    assert.matches("u%.csv: the entry inflates past its declared size", err)
    -- a method it does not read
    local bz = make_zip({ { name = "u.csv", data = "x", method = 12 } })
    ok, err = pcall(zip.read, bz)
    assert.is_false(ok)
    assert.matches("compression method 12", err)
    -- every truncation of a deflate stream fails cleanly, never loops
    local raw = deflate(big:sub(1, 3000))
    for cut = 1, #raw - 1, 97 do
      local okc = pcall(zip.inflate, raw:sub(1, cut), 3000)
      assert.is_false(okc)
    end
    assert.is_true(zip.ignored("__MACOSX/._users.csv"))
    assert.is_false(zip.ignored("users.csv"))
  end)
end)
