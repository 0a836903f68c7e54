-- The automation scripts in scripts/, run through build/lcanvas against the
-- spec sandbox: the state they changed (read back through lcanvas), the
-- files they wrote, dry runs that send nothing, and bad input that is
-- reported with nothing changed and no results file.
local sandbox = require "helper"
local lcanvas = require "lcanvas"

-- Absolute paths: the scripts run in a temporary directory.
local ROOT = (function()
  local h = io.popen(string.format("cd %q && pwd", sandbox.root))
  local p = h:read("l")
  h:close()
  return p
end)()
local BUILD = os.getenv("LCANVAS_BUILD") or "build"
local EXE = BUILD:sub(1, 1) == "/" and (BUILD .. "/lcanvas") or (ROOT .. "/" .. BUILD .. "/lcanvas")
local SCRIPTS = ROOT .. "/scripts/"

local dir, token_file

local write = sandbox.write_file

local read = sandbox.read_file

local function slurp(path)
  local s = read(path) or ""
  os.remove(path)
  return s
end

local function listing()
  local h = io.popen("ls -A " .. string.format("%q", dir))
  local names = {}
  for l in h:lines() do names[#names + 1] = l end
  h:close()
  table.sort(names)
  return table.concat(names, " ")
end

-- run(script, args [, flags [, url]]) -> exit code, stdout, stderr. `args`
-- is a shell fragment; flags go before the script (e.g. "--dry-run"); `url`
-- replaces the sandbox's URL.
local function run(script, args, flags, url)
  local out, err = dir .. "/.stdout", dir .. "/.stderr"
  local cmd = string.format(
    "cd %q && env -u CANVAS_API_URL -u CANVAS_API_TOKEN -u LCANVAS_PROGRESS XDG_CONFIG_HOME=%q " ..
    "CANVAS_CATALOG_URL=%q CANVAS_CATALOG_TOKEN=%q %q --url %q --token-file %q %s %q %s >%q 2>%q </dev/null; echo $?",
    dir, dir .. "/xdg", sandbox.catalog or "", sandbox.catalog_key, EXE, url or sandbox.url, token_file,
    flags or "", SCRIPTS .. script, args or "", out, err)
  local h = io.popen(cmd)
  local code = tonumber(h:read("a"))
  h:close()
  return code, slurp(out), slurp(err)
end

-- Every request the sandbox's API got since the last clear ("GET /api/v1/...").
local function sent()
  local out = {}
  for _, r in ipairs(sandbox.requests()) do
    if not r.path:find("^/__sandbox") then out[#out + 1] = r.method .. " " .. r.path end
  end
  return out
end

-- What the sandbox was asked to change since the last clear.
local function changes()
  local out = {}
  for _, r in ipairs(sandbox.requests()) do
    if r.method ~= "GET" and not r.path:find("^/__sandbox") then
      out[#out + 1] = r.method .. " " .. r.path
    end
  end
  return out
end

local canvas
local function observee_ids(observer)
  local ids = {}
  for u in canvas:get_user(observer):get_observees() do ids[#ids + 1] = u.id end
  table.sort(ids)
  return ids
end

describe("automation scripts", function()
  setup(function()
    sandbox.start()
    canvas = lcanvas.new(sandbox.url, sandbox.tokens.admin)
  end)
  before_each(function()
    sandbox.reset()
    sandbox.clear_requests()
    dir = os.tmpname()
    os.remove(dir)
    os.execute("mkdir -p " .. dir)
    token_file = dir .. "/token"
    write(token_file, sandbox.tokens.admin)
    os.execute("chmod 600 " .. token_file)
  end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  it("each has --help that exits 0 without touching Canvas", function()
    for _, name in ipairs({ "link-observers.lua", "pairing-codes.lua", "observer-report.lua",
      "export-users.lua", "catalog-sync.lua", "custom-data-backup.lua" }) do
      local code, out = run(name, "--help")
      assert.equal(0, code, name)
      assert.matches("^usage: lcanvas", out, 1)
      assert.matches("Exit status", out)
    end
    assert.same({}, changes())
  end)

  describe("link-observers.lua", function()
    it("links every pair, reports existing links, writes the results", function()
      canvas:get_user(8):add_observee(5)  -- already linked before the run
      sandbox.clear_requests()
      write(dir .. "/pairs.csv", "observer,student\r\npat.parent,sam.student\r\n" ..
        "pat.parent,sis_user_id:S0002\r\nsis_user_id:P0002,5\r\n")
      local code, _, err = run("link-observers.lua", "pairs.csv")
      assert.equal(0, code, err)
      assert.matches("link%-observers: 2 linked, 1 already linked %(results in pairs%.results%.csv%)", err)
      assert.same({ 3, 4 }, observee_ids(7))
      assert.same({ 5 }, observee_ids(8))
      assert.same({ "PUT /api/v1/users/7/observees/3", "PUT /api/v1/users/7/observees/4" }, changes())
      assert.equal("line,observer,student,observer_id,student_id,status,message\r\n" ..
        "2,pat.parent,sam.student,7,3,linked,\r\n" ..
        "3,pat.parent,sis_user_id:S0002,7,4,linked,\r\n" ..
        "4,sis_user_id:P0002,5,8,5,already linked,\r\n", read(dir .. "/pairs.results.csv"))

      -- a second run changes nothing
      sandbox.clear_requests()
      code, _, err = run("link-observers.lua", "pairs.csv --results again.csv")
      assert.equal(0, code, err)
      assert.matches("3 already linked", err)
      assert.same({}, changes())
    end)

    it("refuses a results file that is the input, changing nothing", function()
      local input = "observer,student\r\npat.parent,sam.student\r\n"
      write(dir .. "/pairs.csv", input)
      sandbox.clear_requests()
      for _, args in ipairs({ "pairs.csv --results pairs.csv", "pairs.csv --results ./pairs.csv",
                              "./pairs.csv --results pairs.csv" }) do
        local code, _, err = run("link-observers.lua", args)
        assert.equal(2, code, err)
        assert.matches("refusing to write %S*pairs%.csv: it is the input", err)
      end
      assert.equal(input, read(dir .. "/pairs.csv"))
      assert.same({}, changes())
    end)

    it("sends nothing with --dry-run", function()
      write(dir .. "/pairs.csv", "observer,student\npat.parent,sam.student\nrobin.parent,omar.student\n")
      local code, _, err = run("link-observers.lua", "pairs.csv", "--dry-run")
      assert.equal(0, code, err)
      assert.matches("DRY%-RUN PUT /api/v1/users/7/observees/3\n", err)
      assert.matches("DRY%-RUN PUT /api/v1/users/8/observees/5\n", err)
      assert.matches("dry run: 2 changes not sent %(2 PUT%)", err)
      assert.same({}, changes())
      assert.same({}, observee_ids(7))
      -- a dry run writes its results beside the real file, never over it
      assert.matches("2,pat.parent,sam.student,7,3,would link,", read(dir .. "/pairs.results.dry-run.csv"))
      assert.is_nil(io.open(dir .. "/pairs.results.csv"))
      assert.matches("dry run: wrote pairs%.results%.dry%-run%.csv instead of pairs%.results%.csv", err)
    end)

    it("rejects a malformed CSV or an unknown user with nothing changed and no results file", function()
      write(dir .. "/pairs.csv", 'observer,student\npat.parent,sam.student\npat.parent,"sofia\n')
      local code, out, err = run("link-observers.lua", "pairs.csv")
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("pairs%.csv:3: malformed CSV: a quoted field starting on this line never ends", err)
      write(dir .. "/pairs.csv", "observer,student\npat.parent,sam.student\npat.parent,nobody.here\n,lena.student\n")
      local _
      code, _, err = run("link-observers.lua", "pairs.csv")
      assert.equal(2, code)
      assert.matches("nothing was changed", err)
      assert.matches("line 3: student 'nobody%.here': no such user", err)
      assert.matches("line 4: the observer is empty", err)
      write(dir .. "/pairs.csv", "parent,student\na,b\n")
      code, _, err = run("link-observers.lua", "pairs.csv")
      assert.equal(2, code)
      assert.matches("no 'observer' column", err)
      assert.same({}, changes())
      assert.same({}, observee_ids(7))
      assert.equal("pairs.csv token", listing())
    end)

    it("goes on after a failing row, lists it and exits 1", function()
      write(dir .. "/pairs.csv", "observer,student\npat.parent,pat.parent\npat.parent,sam.student\n")
      local code, _, err = run("link-observers.lua", "pairs.csv")
      assert.equal(1, code)
      assert.matches("1 failed, 1 linked", err)
      assert.matches("1 row failed:\n  line 2: BadRequest: Cannot observe yourself", err)
      assert.same({ 3 }, observee_ids(7))
      assert.matches('2,pat.parent,pat.parent,7,7,failed,BadRequest: Cannot observe yourself\r\n',
        read(dir .. "/pairs.results.csv"))
    end)
  end)

  describe("link-observers.lua input checks", function()
    it("refuses a pair given twice, however spelled, with nothing changed", function()
      write(dir .. "/pairs.csv", "observer,student\npat.parent,sam.student\npat.parent,sam.student\n" ..
        "robin.parent,omar.student\nsis_user_id:P0002,sis_user_id:S0003\n8,5\npat.parent,omar.student\n")
      local code, out, err = run("link-observers.lua", "pairs.csv")
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("nothing was changed", err)
      assert.matches("\n  line 3: same observer and student as line 2\n", err)
      assert.matches("\n  line 5: same observer and student as line 4\n", err)
      assert.matches("\n  line 6: same observer and student as line 4\n", err)
      assert.is_nil(err:find("line 7", 1, true))  -- same observer, another student: fine
      assert.same({}, changes())
      assert.same({}, observee_ids(7))
      assert.equal("pairs.csv token", listing())
    end)

    it("runs the bundled example file (no duplicate pairs)", function()
      local code, _, err = run("link-observers.lua",
        string.format("%q --results out.csv", ROOT .. "/scripts/examples/observers.csv"))
      assert.equal(0, code, err)
      assert.matches("link%-observers: 4 linked", err)
      assert.equal(4, #changes())
      assert.equal("out.csv token", listing())
    end)

    it("stops at the first lookup that fails for another reason than an unknown user: " ..
      "exit 1, nothing changed", function()
      write(dir .. "/pairs.csv", "observer,student\npat.parent,sam.student\nrobin.parent,omar.student\n")
      -- a token Canvas refuses: one request, not one per user
      sandbox.fault({ path = "/api/v1/users/", status = 401, count = 100,
        body = '{"errors":[{"message":"Invalid access token."}]}' })
      local code, out, err = run("link-observers.lua", "pairs.csv")
      sandbox.clear_faults()
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("^link%-observers: cannot look up user sis_login_id:pat%.parent: [^\n]*Invalid access token%.\n" ..
        "link%-observers: stopped before any change; nothing was changed\n$", err)
      assert.same({ "GET /api/v1/users/sis_login_id:pat%2Eparent" }, sent())
      assert.equal("pairs.csv token", listing())
      -- Canvas out of reach
      local _
      code, _, err = run("link-observers.lua", "pairs.csv", nil, "http://127.0.0.1:9")
      assert.equal(1, code)
      assert.matches("^link%-observers: cannot look up user sis_login_id:pat%.parent: NetworkError: [^\n]*\n" ..
        "link%-observers: stopped before any change; nothing was changed\n$", err)
      assert.is_nil(err:find("traceback", 1, true))
      assert.equal("pairs.csv token", listing())
    end)

    it("refuses an unwritable results file before any request", function()
      write(dir .. "/pairs.csv", "observer,student\npat.parent,sam.student\n")
      local code, out, err = run("link-observers.lua", "pairs.csv --results no/such/dir/r.csv")
      assert.equal(2, code)
      assert.equal("", out)
      assert.equal("link-observers: cannot write no/such/dir/r.csv: No such file or directory; " ..
        "nothing was changed\n", err)
      assert.same({}, sent())
      -- a directory where the file should go
      os.execute(string.format("mkdir %q", dir .. "/r.csv"))
      local _
      code, _, err = run("link-observers.lua", "pairs.csv --results r.csv")
      assert.equal(2, code)
      assert.equal("link-observers: cannot write r.csv: Is a directory; nothing was changed\n", err)
      assert.same({}, sent())
      os.execute(string.format("rmdir %q", dir .. "/r.csv"))
      os.execute(string.format("mkdir %q && chmod 500 %q", dir .. "/ro", dir .. "/ro"))
      -- (as root a read-only directory is writable anyway: the missing directory above is the check)
      if not os.execute("test -w " .. dir .. "/ro") then
        code, _, err = run("link-observers.lua", "pairs.csv --results ro/r.csv")
        assert.equal(2, code)
        assert.matches("^link%-observers: cannot write ro/r%.csv: Permission denied; nothing was changed\n$", err)
        assert.same({}, sent())
      end
    end)
  end)

  describe("pairing-codes.lua", function()
    it("creates a code per student of a CSV, usable by an observer", function()
      write(dir .. "/students.csv", "student\nsam.student\nsis_user_id:S0004\n")
      local code, _, err = run("pairing-codes.lua", "--students students.csv --output codes.csv")
      assert.equal(0, code, err)
      assert.same({ "POST /api/v1/users/3/observer_pairing_codes", "POST /api/v1/users/6/observer_pairing_codes" },
        changes())
      local rows = lcanvas.csv.read(dir .. "/codes.csv")
      assert.equal(2, #rows)
      assert.equal("3", rows[1].student_id)
      assert.equal("Lena Student", rows[2].name)
      assert.equal("created", rows[2].status)
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT", rows[1].expires_at)
      -- the code really pairs
      local parent = lcanvas.new(sandbox.url, sandbox.tokens.parent)
      parent:get_current_user():add_observee_with_credentials({ pairing_code = rows[2].code })
      assert.same({ 6 }, observee_ids(7))
    end)

    it("covers the active students of a course", function()
      local code, _, err = run("pairing-codes.lua", "--course 1")
      assert.equal(0, code, err)
      local rows = lcanvas.csv.read(dir .. "/pairing-codes.csv")
      local expected = 0
      for _ in canvas:list("courses/1/users", { enrollment_type = { "student" } }) do expected = expected + 1 end
      assert.is_true(expected > 5)
      assert.equal(expected, #rows)
      assert.equal(expected, #changes())
      code, _, err = run("pairing-codes.lua", "--course 999")
      assert.equal(2, code)
      assert.matches("no course 999", err)
    end)

    it("creates nothing with --dry-run or with an unknown student", function()
      write(dir .. "/students.csv", "student\nsam.student\n")
      local code, _, err = run("pairing-codes.lua", "--students students.csv", "--dry-run")
      assert.equal(0, code, err)
      assert.matches("DRY%-RUN POST /api/v1/users/3/observer_pairing_codes", err)
      assert.matches("sam.student,3,Sam Student,,,would create,", read(dir .. "/pairing-codes.dry-run.csv"))
      assert.is_nil(io.open(dir .. "/pairing-codes.csv"))
      os.remove(dir .. "/pairing-codes.dry-run.csv")
      write(dir .. "/students.csv", "student\nsam.student\nghost\n")
      code, _, err = run("pairing-codes.lua", "--students students.csv")
      assert.equal(2, code)
      assert.matches("line 3: student 'ghost': no such user", err)
      assert.same({}, changes())
      assert.equal("students.csv token", listing())
      code, _, err = run("pairing-codes.lua", "")
      assert.equal(2, code)
      assert.matches("either %-%-course ID or %-%-students FILE", err)
    end)

    it("refuses a student listed twice (also as login and SIS id) and an unwritable output", function()
      write(dir .. "/students.csv", "student\nsam.student\nsofia.student\nsis_user_id:S0001\n3\n")
      local code, _, err = run("pairing-codes.lua", "--students students.csv")
      assert.equal(2, code)
      assert.matches("no code was created", err)
      assert.matches("\n  line 4: same student as line 2\n  line 5: same student as line 2\n", err)
      assert.same({}, changes())
      assert.equal("students.csv token", listing())
      sandbox.clear_requests()
      code, _, err = run("pairing-codes.lua", "--course 1 --output nowhere/codes.csv")
      assert.equal(2, code)
      assert.equal("pairing-codes: cannot write nowhere/codes.csv: No such file or directory; " ..
        "nothing was changed\n", err)
      assert.same({}, sent())
      -- Canvas out of reach: one line, exit 1, no file
      code, _, err = run("pairing-codes.lua", "--course 1", nil, "http://127.0.0.1:9")
      assert.equal(1, code)
      assert.matches("^pairing%-codes: cannot list the students of course 1: NetworkError: [^\n]*\n" ..
        "pairing%-codes: stopped before any change; no code was created\n$", err)
      assert.equal("students.csv token", listing())
    end)
  end)

  it("observer-report.lua lists every observer with their observees", function()
    -- The demo data's own links (sandbox seed) are not part of this report.
    canvas:get_user(121):remove_observee(122)
    canvas:get_user(121):remove_observee(123)
    canvas:get_user(141):remove_observee(142)
    canvas:get_user(7):add_observee(3)
    canvas:get_user(7):add_observee(4)
    canvas:get_user(8):add_observee(5)
    sandbox.clear_requests()
    local code, _, err = run("observer-report.lua", "--output report.csv")
    assert.equal(0, code, err)
    assert.equal("observer_id,observer_name,observer_login,observee_id,observee_name,observee_login\r\n" ..
      "7,Pat Parent,pat.parent,3,Sam Student,sam.student\r\n" ..
      "7,Pat Parent,pat.parent,4,Sofia Student,sofia.student\r\n" ..
      "8,Robin Parent,robin.parent,5,Omar Student,omar.student\r\n", read(dir .. "/report.csv"))
    assert.matches("2 observers, 3 links", err)
    assert.same({}, changes())
  end)

  it("observer-report.lua says so cleanly when the account does not exist, and its help does not mislead", function()
    local code, out, err = run("observer-report.lua", "--account 999 --output report.csv")
    assert.equal(2, code)
    assert.equal("", out)
    assert.equal("observer-report: no account 999\n", err)
    assert.equal("token", listing())
    code, out = run("observer-report.lua", "--help")
    assert.equal(0, code)
    assert.is_nil(out:find("saves a request", 1, true))
    assert.matches("misses[%s%S]*linked to a student directly", out)
    sandbox.clear_requests()
    local _
    code, _, err = run("observer-report.lua", "--enrollment-type parent")
    assert.equal(2, code)
    assert.matches("must be one of student, teacher, ta, observer, designer %(got 'parent'%)", err)
    assert.same({}, sent())
  end)

  describe("export-users.lua", function()
    it("writes chosen fields of matching users as CSV", function()
      local code, _, err = run("export-users.lua", "--search adams --fields id,login_id,name --output adams.csv")
      assert.equal(0, code, err)
      local rows, header = lcanvas.csv.read(dir .. "/adams.csv")
      assert.same({ "id", "login_id", "name" }, header)
      assert.equal(20, #rows)
      assert.same({ id = "100", login_id = "avery.adams0", name = "Avery Adams" }, rows[1])
      assert.matches("20 users written to adams%.csv", err)
    end)

    it("asks include[] for the optional fields it exports (Canvas sends them only when asked)", function()
      local code, _, err = run("export-users.lua", "--search adams --fields id,email,last_login --output e.csv")
      assert.equal(0, code, err)
      local r = sandbox.last_request(function(q) return q.path == "/api/v1/accounts/1/users" end)
      local asked = {}
      for v in r.query:gmatch("include%%5B%%5D=([%w_]+)") do asked[#asked + 1] = v end
      for v in r.query:gmatch("include%[%]=([%w_]+)") do asked[#asked + 1] = v end
      table.sort(asked)
      assert.same({ "email", "last_login" }, asked)
      local rows = lcanvas.csv.read(dir .. "/e.csv")
      assert.matches("@", rows[1].email)
      -- Fields every answer has are not asked for.
      code, _, err = run("export-users.lua", "--search adams --fields id,name --output n.csv")
      assert.equal(0, code, err)
      r = sandbox.last_request(function(q) return q.path == "/api/v1/accounts/1/users" end)
      assert.is_nil(r.query:find("include", 1, true))
    end)

    it("writes JSON lines with exact ids", function()
      local code, _, err = run("export-users.lua", "--search shard --output shard.jsonl")
      assert.equal(0, code, err)
      local vals = lcanvas.jsonl.read(dir .. "/shard.jsonl")
      assert.equal(1, #vals)
      assert.equal(43460000000000001, vals[1].id)
      assert.equal("SHARD1", vals[1].sis_user_id)
      assert.truthy(read(dir .. "/shard.jsonl"):find("43460000000000001", 1, true))
    end)

    it("refuses bad options and leaves no file when Canvas refuses", function()
      local code, _, err = run("export-users.lua", "--format xml")
      assert.equal(2, code)
      assert.matches("%-%-format must be csv or jsonl", err)
      code, _, err = run("export-users.lua", "--account 999 --output x.csv")
      assert.equal(2, code)
      assert.equal("export-users: no account 999\n", err)
      assert.equal("token", listing())
    end)

    it("refuses an unknown enrollment type or field, listing the valid ones, before any request", function()
      sandbox.clear_requests()
      local code, out, err = run("export-users.lua", "--enrollment-type bogus --output x.csv")
      assert.equal(2, code)
      assert.equal("", out)
      assert.equal("export-users: --enrollment-type must be one of student, teacher, ta, observer, designer " ..
        "(got 'bogus')\n", err)
      local _
      code, _, err = run("export-users.lua", "--fields id,nmae --output x.csv")
      assert.equal(2, code)
      assert.matches("^export%-users: unknown field 'nmae' in %-%-fields " ..
        "%(known: id, name, sortable_name, [^\n]*email[^\n]*%)\n$", err)
      code, _, err = run("export-users.lua", "--output nowhere/x.csv")
      assert.equal(2, code)
      assert.matches("cannot write nowhere/x%.csv", err)
      assert.same({}, sent())
      assert.equal("token", listing())
      -- a valid type still works
      code, _, err = run("export-users.lua", "--enrollment-type observer --fields id,short_name --output o.csv")
      assert.equal(0, code, err)
      assert.equal("observer", sandbox.last_request(function(r) return r.path == "/api/v1/accounts/1/users" end)
        .query:match("enrollment_type=(%w+)"))
    end)
  end)

  describe("catalog-sync.lua", function()
    local cat
    local function fields_of(canvas_user_id)
      local u = cat:get_users({ canvas_user_id = canvas_user_id }):first()
      if u then return u.custom_fields or {} end
    end
    setup(function() cat = lcanvas.catalog.new(sandbox.catalog, sandbox.catalog_key) end)

    it("shows the diff with --dry-run and changes nothing", function()
      write(dir .. "/fields.csv", "canvas_user_id,favorite_color\n100,red\n")
      local before = fields_of(100).favorite_color
      local code, out, err = run("catalog-sync.lua", "fields.csv", "--dry-run")
      assert.equal(0, code, err)
      assert.matches('canvas_user_id 100 %(Avery Adams%): favorite_color: ' ..
        (before and ('"' .. before .. '"') or "%(none%)") .. ' %-> "red"\n', out)
      assert.matches("DRY%-RUN PUT /api/v1/users/%d+ custom_fields%[favorite_color%]=red", err)
      assert.matches("dry run: 1 change not sent %(1 PUT%)", err)
      assert.same({}, changes())
      assert.equal(before, fields_of(100).favorite_color)
    end)

    it("sets differing fields, leaves equal ones, clears empty cells on request", function()
      write(dir .. "/fields.csv", "canvas_user_id,favorite_color,code_of_conduct\n100,red,1\n101,,\n")
      local code, _, err = run("catalog-sync.lua", "fields.csv")
      assert.equal(0, code, err)
      assert.equal("red", fields_of(100).favorite_color)
      assert.equal("1", fields_of(100).code_of_conduct)
      local results = lcanvas.csv.read(dir .. "/fields.results.csv")
      assert.equal("updated", results[1].status)
      assert.equal("unchanged", results[2].status)
      -- again: nothing to do
      sandbox.clear_requests()
      code, _, err = run("catalog-sync.lua", "fields.csv")
      assert.equal(0, code, err)
      assert.matches("2 unchanged", err)
      assert.same({}, changes())
      -- an empty cell removes the field with --clear-empty
      write(dir .. "/fields.csv", "canvas_user_id,favorite_color\n100,\n")
      code, _, err = run("catalog-sync.lua", "fields.csv --clear-empty")
      assert.equal(0, code, err)
      assert.is_nil(fields_of(100).favorite_color)
      assert.equal("1", fields_of(100).code_of_conduct)
    end)

    it("rejects unknown users and a missing key column with nothing changed", function()
      write(dir .. "/fields.csv", "canvas_user_id,favorite_color\n100,red\n999999,blue\n")
      local code, _, err = run("catalog-sync.lua", "fields.csv")
      assert.equal(2, code)
      assert.matches("line 3: no Catalog user with canvas_user_id 999999", err)
      write(dir .. "/fields.csv", "user,favorite_color\n100,red\n")
      code, _, err = run("catalog-sync.lua", "fields.csv")
      assert.equal(2, code)
      assert.matches("needs a canvas_user_id or a catalog_id column", err)
      assert.same({}, changes())
      assert.equal("fields.csv token", listing())
    end)

    it("rejects a user given twice, and an unwritable results file, with nothing changed", function()
      write(dir .. "/fields.csv", "canvas_user_id,favorite_color\n100,red\n101,red\n100,blue\n")
      local code, _, err = run("catalog-sync.lua", "fields.csv")
      assert.equal(2, code)
      assert.matches("nothing was changed:\n  line 4: canvas_user_id 100 already appears on line 2\n", err)
      assert.same({}, changes())
      assert.equal("fields.csv token", listing())
      write(dir .. "/fields.csv", "canvas_user_id,favorite_color\n100,red\n")
      sandbox.clear_requests()
      code, _, err = run("catalog-sync.lua", "fields.csv --results nowhere/r.csv")
      assert.equal(2, code)
      assert.equal("catalog-sync: cannot write nowhere/r.csv: No such file or directory; nothing was changed\n", err)
      assert.same({}, sent())
    end)
  end)

  describe("custom-data-backup.lua", function()
    it("backs up a namespace and restores it exactly", function()
      local sam, sofia = canvas:get_user(3), canvas:get_user(4)
      sam:set_custom_data("com.example", nil, { score = 43460000000000001, tags = { "a", "b" }, ok = true })
      sofia:set_custom_data("com.example", "prefs", { theme = "dark" })
      write(dir .. "/users.csv", "user\nsam.student\nsis_user_id:S0002\n5\n")
      local code, _, err = run("custom-data-backup.lua", "backup --ns com.example --users users.csv --output b.json")
      assert.equal(0, code, err)
      assert.matches("2 saved, 1 no data", err)
      local backup = lcanvas.json.decode(read(dir .. "/b.json"))
      assert.equal("com.example", backup.ns)
      assert.equal(43460000000000001, backup.users[1].data.score)
      assert.is_nil(backup.users[3].data)  -- null inside an object reads as absent
      assert.truthy(read(dir .. "/b.json"):find('"data":null', 1, true))

      sam:delete_custom_data("com.example")
      sofia:delete_custom_data("com.example")
      sandbox.clear_requests()
      code, _, err = run("custom-data-backup.lua", "restore b.json", "--dry-run")
      assert.equal(0, code, err)
      assert.matches("2 would restore, 1 no data", err)
      assert.same({}, changes())
      code, _, err = run("custom-data-backup.lua", "restore b.json")
      assert.equal(0, code, err)
      assert.matches("2 restored, 1 no data", err)
      local data = sam:get_custom_data("com.example")
      assert.equal(43460000000000001, data.score)
      assert.equal("integer", math.type(data.score))
      assert.same({ "a", "b" }, data.tags)
      assert.equal(true, data.ok)
      assert.same({ theme = "dark" }, sofia:get_custom_data("com.example", "prefs"))
    end)

    it("writes no backup when a user is unknown, and refuses a file that is not a backup", function()
      write(dir .. "/users.csv", "user\nsam.student\nnot.a.user\n")
      local code, _, err = run("custom-data-backup.lua", "backup --ns com.example --users users.csv")
      assert.equal(2, code)
      assert.matches("line 3: user 'not%.a%.user': no such user", err)
      assert.equal("token users.csv", listing())
      write(dir .. "/x.json", "[1, 2]")
      code, _, err = run("custom-data-backup.lua", "restore x.json")
      assert.equal(2, code)
      assert.matches("is not a backup file", err)
      assert.same({}, changes())
    end)

    it("refuses a user listed twice in the users CSV or in a backup file", function()
      write(dir .. "/users.csv", "user\nsam.student\nsofia.student\nsis_user_id:S0001\n")
      local code, _, err = run("custom-data-backup.lua", "backup --ns com.example --users users.csv --output b.json")
      assert.equal(2, code)
      assert.matches("nothing was written:\n  line 4: same user as line 2\n", err)
      assert.equal("token users.csv", listing())
      write(dir .. "/b.json", '{"ns":"com.example","users":[{"user":"sam.student","id":3,"data":{"a":1}},' ..
        '{"user":"sofia.student","id":4,"data":{"a":2}},{"user":"sam.student","data":{"a":3}}]}')
      code, _, err = run("custom-data-backup.lua", "restore b.json")
      assert.equal(2, code)
      assert.matches("nothing was restored:\n  entry 3: same user as entry 1\n", err)
      assert.same({}, changes())
      assert.equal("b.json token users.csv", listing())
    end)
  end)
end)
