-- Objects are data wherever data is written (issue 12): json.encode, the
-- JSON-lines and CSV writers, the -i prompt, tostring of lists; nested
-- objects, exact 64-bit ids and null members kept. Every assertion is on
-- the bytes written.
local lcanvas = require "lcanvas"
local sandbox = require "helper"

local BUILD = os.getenv("LCANVAS_BUILD") or "build"
local EXE = sandbox.root .. "/" .. BUILD .. "/lcanvas"

-- Canonical JSON (keys sorted, as lcanvas writes them): what Canvas sends
-- for the user, and a page of two of them.
local USER = '{"avatar_url":"https://sandbox.test/a.png","enrollments":[{"id":2,"type":"StudentEnrollment"}],'
  .. '"id":43460000000000001,"integration_id":null,"name":"Shard \\"Q\\" Student","score":1.5,'
  .. '"sis_user_id":"S1","tags":["x",null,true]}'
local OTHER = '{"id":7,"login_id":"seven","name":"Seven","sis_user_id":null}'

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  os.remove(path)
  return s
end

describe("objects written as data", function()
  local c
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_retries = 0 })
  end)

  local function fake(path, body)
    sandbox.fault({ path = path, status = 200, body = body })
  end

  local function get_user()
    fake("/api/v1/users/43460000000000001", USER)
    return c:get_user(43460000000000001)
  end

  local function page_users()
    fake("/api/v1/accounts/1/users", "[" .. USER .. "," .. OTHER .. "]")
    return c:get_account(1):get_users()
  end

  it("json.encode gives an object's full data: exact ids, nulls, nested values", function()
    local u = get_user()
    assert.equal(43460000000000001, u.id)
    assert.is_nil(u.integration_id)  -- a null member reads as nil ...
    assert.equal(USER, lcanvas.json.encode(u))  -- ... and is written back as null
  end)

  it("round trips: Canvas's JSON -> object -> encode is the same JSON, from a page too", function()
    local list = page_users()
    local items = list:all()
    assert.equal(USER, lcanvas.json.encode(items[1]))
    assert.equal(OTHER, lcanvas.json.encode(items[2]))
    assert.equal("[" .. USER .. "," .. OTHER .. "]", lcanvas.json.encode(items))
    -- the same after the object built its table (a nested value was read)
    assert.equal("StudentEnrollment", items[1].enrollments[1].type)
    assert.equal(USER, lcanvas.json.encode(items[1]))
  end)

  it("writes objects held by objects and by tables as their data", function()
    local u = get_user()
    local seven = lcanvas.core.object("User", { id = 7, name = "Seven" }, c)
    u.friend = seven
    local want_user = USER:gsub(',"id":4346', ',"friend":{"id":7,"name":"Seven"},"id":4346')
    assert.equal(want_user, lcanvas.json.encode(u))
    local holder = { first = seven, list = { seven, seven }, null = lcanvas.null }
    assert.equal('{"first":{"id":7,"name":"Seven"},"list":[{"id":7,"name":"Seven"},{"id":7,"name":"Seven"}],'
      .. '"null":null}', lcanvas.json.encode(holder))
  end)

  it("still sends an object as its id in a request (a parameter, a JSON body)", function()
    local seven = lcanvas.core.object("User", { id = 7, name = "Seven" }, c)
    c:request("PUT", "users/self/settings", { other = seven })
    assert.equal("other=7", sandbox.last_api_request().body)
    c:request("PUT", "users/self/settings", { other = seven }, { json = true })
    assert.equal('{"other":7}', sandbox.last_api_request().body)
  end)

  it("refuses to write a PaginatedList as it is, saying what to do", function()
    local ok, err = pcall(lcanvas.json.encode, { users = c:list("accounts/1/users") })
    assert.is_false(ok)
    assert.matches("list:all%(%)", err)
  end)

  it("the JSON-lines writer writes every object's data", function()
    local path = sandbox.tmpname()
    local u = get_user()
    local items = page_users():all()
    do
      local w <close> = lcanvas.jsonl.writer(path)
      w:write(u)
      w:write(items[2])
      w:write({ user = items[2], n = 1 })
    end
    assert.equal(USER .. "\n" .. OTHER .. "\n" .. '{"n":1,"user":' .. OTHER .. "}\n", slurp(path))
  end)

  it("the CSV writer writes an object's attributes, nested values as JSON, null as empty", function()
    local path = sandbox.tmpname()
    local items = page_users():all()
    do
      local w <close> = lcanvas.csv.writer(path, { "id", "name", "sis_user_id", "enrollments", "score" })
      w:write(items[1])
      w:write(items[2])
      w:write({ id = items[2], name = "holder" })
    end
    assert.equal('id,name,sis_user_id,enrollments,score\r\n'
      .. '43460000000000001,"Shard ""Q"" Student",S1,"[{""id"":2,""type"":""StudentEnrollment""}]",1.5\r\n'
      .. '7,Seven,,,\r\n'
      .. '"{""id"":7,""login_id"":""seven"",""name"":""Seven"",""sis_user_id"":null}",holder,,,\r\n',
      slurp(path))
  end)

  it("tostring of a list is short and says what is loaded, never fetching", function()
    local list = c:list("accounts/1/users", { per_page = 10 }, { type = "User" })
    assert.equal("lcanvas.PaginatedList(User, accounts/1/users)", tostring(list))
    list:first()
    assert.equal("lcanvas.PaginatedList(User, accounts/1/users: 10 items loaded, more to fetch)",
      tostring(list))
    local n = list:count()
    assert.equal("lcanvas.PaginatedList(User, accounts/1/users: " .. n .. " items)", tostring(list))
  end)

  it("the -i prompt prints a table of objects as their data", function()
    fake("/api/v1/accounts/1/users", "[" .. OTHER .. "]")
    local out, input = sandbox.tmpname(), sandbox.tmpname()
    local f = assert(io.open(input, "w"))
    f:write("canvas:get_account(1):get_users():all()\n")
    f:close()
    local cmd = string.format("CANVAS_API_URL=%q CANVAS_API_TOKEN=%q XDG_CONFIG_HOME=/nonexistent %q -i <%q >%q 2>&1",
      sandbox.url, sandbox.tokens.admin, EXE, input, out)
    assert.is_true(os.execute(cmd))
    os.remove(input)
    assert.equal("[" .. OTHER .. "]\n", slurp(out))
  end)
end)
