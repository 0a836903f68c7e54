-- The sandbox itself, over plain HTTP (luasocket and curl), independent of
-- the lcanvas client.
local http = require "socket.http"
local ltn12 = require "ltn12"
local socket = require "socket"
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"

local function request(method, path, opts)
  opts = opts or {}
  local chunks = {}
  local headers = { authorization = "Bearer " .. (opts.token or sandbox.tokens.admin) }
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  if opts.body then headers["content-length"] = #opts.body end
  local _, status, res_headers = http.request({
    url = (opts.origin or sandbox.url) .. path, method = method, headers = headers,
    source = opts.body and ltn12.source.string(opts.body) or nil,
    sink = ltn12.sink.table(chunks),
  })
  local body = table.concat(chunks)
  return status, body, res_headers, json.decode(body)
end

local function curl_parallel(n, path)
  local cmd = string.format(
    "seq %d | xargs -P %d -I{} curl -s -o /dev/null -w '%%{http_code}\\n' -H 'Authorization: Bearer %s' '%s%s'",
    n, n, sandbox.tokens.admin, sandbox.url, path)
  local h = io.popen(cmd)
  local codes = {}
  for line in h:lines() do codes[#codes + 1] = tonumber(line) end
  h:close()
  return codes
end

describe("sandbox", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  it("rejects an unknown as_user_id and masquerading by non-admins", function()
    local status, _, _, doc = request("GET", "/api/v1/users/self?as_user_id=987654")
    assert.equal(401, status)
    assert.equal("Invalid as_user_id", doc.errors)
    status = request("GET", "/api/v1/users/self?as_user_id=4", { token = sandbox.tokens.student })
    assert.equal(401, status)
    local _, _, _, me = request("GET", "/api/v1/users/self?as_user_id=sis_user_id:S0002")
    assert.equal(4, me.id)
  end)

  it("sends string ids only when asked", function()
    local _, body = request("GET", "/api/v1/users/43460000000000001")
    assert.matches('"id":43460000000000001', body)
    _, body = request("GET", "/api/v1/users/43460000000000001",
      { headers = { accept = "application/json+canvas-string-ids" } })
    assert.matches('"id":"43460000000000001"', body)
    assert.matches('"sis_user_id":"SHARD1"', body)
  end)

  it("clamps per_page to 100 and answers [] past the end", function()
    local _, _, _, page = request("GET", "/api/v1/accounts/1/users?per_page=500")
    assert.equal(100, #page)
    local status, body = request("GET", "/api/v1/accounts/1/users?per_page=100&page=99")
    assert.equal(200, status)
    assert.equal("[]", body)
  end)

  it("puts every original parameter into absolute Link URLs, with last only where Canvas has it", function()
    local _, _, h = request("GET", "/api/v1/users/3/courses?per_page=1&include[]=term")
    local link = h.link
    assert.matches('^<http://127%.0%.0%.1:%d+/api/v1/users/3/courses%?include%[%]=term&page=1&per_page=1>; ' ..
      'rel="current"', link)
    assert.matches('rel="last"', link)
    _, _, h = request("GET", "/api/v1/accounts/1/users?per_page=5")
    assert.is_nil(h.link:find('rel="last"', 1, true))
    _, _, h = request("GET", "/api/v1/users/self/page_views?per_page=5")
    assert.is_nil(h.link:find('rel="last"', 1, true))
    local status = request("GET", "/api/v1/users/self/page_views?page=bookmark:zz")
    assert.equal(400, status)
  end)

  it("reads chunked and JSON request bodies", function()
    local h = io.popen(string.format(
      "curl -s -X PUT -H 'Authorization: Bearer %s' -H 'Transfer-Encoding: chunked' " ..
      "--data-binary 'user[name]=Chunky' '%s/api/v1/users/5'", sandbox.tokens.admin, sandbox.url))
    local out = h:read("a")
    h:close()
    assert.matches('"name":"Chunky"', out)
    local status, _, _, doc = request("PUT", "/api/v1/users/5/custom_data/x",
      { body = '{"ns":"n","data":{"n":5,"f":1.5,"list":[1,true,null]}}',
        headers = { ["content-type"] = "application/json" } })
    assert.equal(201, status)
    assert.equal(5, doc.data.n)
    assert.equal("integer", math.type(doc.data.n))
    status = request("PUT", "/api/v1/users/5/custom_data/x",
      { body = "{broken", headers = { ["content-type"] = "application/json" } })
    assert.equal(400, status)
  end)

  it("keeps custom data scopes as Canvas does", function()
    local form = { ["content-type"] = "application/x-www-form-urlencoded" }
    local s1 = request("PUT", "/api/v1/users/5/custom_data/a/b", { body = "ns=n&data=1", headers = form })
    assert.equal(201, s1)
    local s2 = request("PUT", "/api/v1/users/5/custom_data/a/b", { body = "ns=n&data=2", headers = form })
    assert.equal(200, s2)
    local s3, _, _, conflict = request("PUT", "/api/v1/users/5/custom_data/a/b/c",
      { body = "ns=n&data=3", headers = form })
    assert.equal(409, s3)
    assert.equal("a/b", conflict.conflict_scope)
    local _, _, _, got = request("GET", "/api/v1/users/5/custom_data/a?ns=n")
    assert.equal("2", got.data.b)
    local _, _, _, deleted = request("DELETE", "/api/v1/users/5/custom_data/a/b", { body = "ns=n", headers = form })
    assert.equal("2", deleted.data)
    assert.equal(400, (request("GET", "/api/v1/users/5/custom_data/a?ns=n")))
    assert.equal(400, (request("GET", "/api/v1/users/5/custom_data")))
  end)

  it("serves other connections while one request is delayed", function()
    sandbox.fault({ path = "/api/v1/users/2", delay_ms = 1500 })
    local slow = io.popen(string.format(
      "curl -s -o /dev/null -w '%%{http_code}' -H 'Authorization: Bearer %s' '%s/api/v1/users/2'",
      sandbox.tokens.admin, sandbox.url))
    socket.sleep(0.2)
    local t0 = socket.gettime()
    local status = request("GET", "/api/v1/users/3")
    local fast = socket.gettime() - t0
    assert.equal(200, status)
    assert.is_true(fast < 1.0, "a delayed request blocked another for " .. fast .. " s")
    assert.equal("200", slow:read("a"))
    slow:close()
  end)

  it("survives clients that reset their connection mid-request", function()
    local host, port = sandbox.url:match("^http://([^:]+):(%d+)$")
    for _, partial in ipairs({
      -- reset while the server reads a body that never comes in full
      "PUT /api/v1/users/4 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
      -- reset in the middle of the headers
      "GET /api/v1/users/4 HTTP/1.1\r\nHost: x\r\nAuthor",
    }) do
      local c = assert(socket.connect(host, tonumber(port)))
      c:send(partial)
      socket.sleep(0.05)
      c:setoption("linger", { on = true, timeout = 0 })  -- close with a TCP reset
      c:close()
    end
    socket.sleep(0.2)
    local status, body = request("GET", "/api/v1/users/3")
    assert.equal(200, status)
    assert.matches('"id":3', body)
  end)

  it("throttles many concurrent requests from one token, never one at a time", function()
    sandbox.config({ throttle = { status = 403 } })   -- the older answer, kept as an option
    for _ = 1, 30 do assert.equal(200, (request("GET", "/api/v1/users/self"))) end
    sandbox.fault({ path = "/api/v1/users/self", delay_ms = 800, count = 20 })
    local codes = curl_parallel(20, "/api/v1/users/self")
    local throttled, ok = 0, 0
    for _, c in ipairs(codes) do
      if c == 403 then throttled = throttled + 1 elseif c == 200 then ok = ok + 1 end
    end
    assert.equal(20, #codes)
    assert.is_true(throttled > 0, "nothing was throttled")
    assert.is_true(ok >= 10, "only " .. ok .. " got through")
  end)

  it("throttles with 429 when configured, with a text body and rate headers", function()
    sandbox.config({ throttle = { hwm = 40, status = 429 } })
    local status, body, h = request("GET", "/api/v1/users/self")
    assert.equal(429, status)
    assert.equal("403 Forbidden (Rate Limit Exceeded)", body)
    assert.matches("text/plain", h["content-type"])
    assert.is_truthy(h["x-rate-limit-remaining"])
  end)

  it("logs every port, and the alt origin serves the same API", function()
    local status = request("GET", "/api/v1/users/self", { origin = sandbox.alt })
    assert.equal(200, status)
    local log = sandbox.requests()
    assert.equal("alt", log[#log].origin)
    assert.equal("Bearer " .. sandbox.tokens.admin, log[#log].headers.authorization)
    request("GET", "/anything", { origin = sandbox.storage })
    log = sandbox.requests()
    assert.equal("storage", log[#log].origin)
  end)

  it("restores its seed on reset", function()
    request("PUT", "/api/v1/users/5", { body = "user[name]=Changed",
      headers = { ["content-type"] = "application/x-www-form-urlencoded" } })
    local _, _, _, u = request("GET", "/api/v1/users/5")
    assert.equal("Changed", u.name)
    sandbox.reset()
    _, _, _, u = request("GET", "/api/v1/users/5")
    assert.equal("Omar Student", u.name)
    assert.equal(1, #sandbox.requests())
  end)
end)

-- The sandbox's own building blocks, in process (no server needed).
describe("sandbox modules", function()
  local multipart = require "lcanvas.sandbox.multipart"
  local paging = require "lcanvas.sandbox.paging"

  local function form(boundary, parts)
    local out = {}
    for _, p in ipairs(parts) do
      out[#out + 1] = "--" .. boundary .. "\r\n" .. p .. "\r\n"
    end
    return table.concat(out) .. "--" .. boundary .. "--\r\n"
  end

  it("splits a multipart/form-data body into named parts, bytes kept as sent", function()
    local body = form("XyZ", {
      'Content-Disposition: form-data; name="key"\r\n\r\nusers/1/a.txt',
      'Content-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n'
        .. "line one\r\nXyZ--\0\255",
    })
    local parts = assert(multipart.parse({ headers = { ["content-type"] = 'multipart/form-data; boundary="XyZ"' },
      body = body }))
    assert.equal(2, #parts)
    assert.equal("key", parts[1].name)
    assert.equal("users/1/a.txt", parts[1].data)
    assert.is_nil(parts[1].filename)
    assert.equal("file", parts[2].name)
    assert.equal("a.txt", parts[2].filename)
    assert.equal("text/plain", parts[2].headers["content-type"])
    assert.equal("line one\r\nXyZ--\0\255", parts[2].data)
  end)

  it("refuses what is not a whole multipart/form-data body", function()
    local function parse(ctype, body) return select(2, multipart.parse({ headers = { ["content-type"] = ctype },
      body = body })) end
    assert.equal("expected multipart/form-data", parse("application/json", "{}"))
    assert.equal("expected multipart/form-data", parse("multipart/form-data", ""))
    assert.equal("no multipart boundary in the body", parse("multipart/form-data; boundary=b", "junk"))
    assert.equal("malformed part headers", parse("multipart/form-data; boundary=b", "--b\r\nname: x"))
    assert.equal("unterminated part", parse("multipart/form-data; boundary=b",
      '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end'))
  end)

  it("builds Canvas Link headers: per_page clamped, other parameters kept, last and prev as asked", function()
    assert.equal(10, paging.per_page(nil, 10, 100))
    assert.equal(1, paging.per_page("0", 10, 100))   -- Canvas: clamp(1, max), not the default
    assert.equal(100, paging.per_page("500", 10, 100))
    assert.equal(1, paging.page_number("-3"))
    local req = { path = "/api/v1/users", query = "include[]=email&page=9&per_page=2", headers = { host = "h:1" } }
    local function url(page) return "http://h:1/api/v1/users?include[]=email&page=" .. page .. "&per_page=2" end
    assert.equal(table.concat({ "<" .. url(9) .. '>; rel="current"', "<" .. url(8) .. '>; rel="prev"',
      "<" .. url(1) .. '>; rel="first"', "<" .. url(3) .. '>; rel="last"' }, ","),
      paging.numeric_link_header(req, 9, 2, 5))
    assert.equal(table.concat({ "<" .. url(9) .. '>; rel="current"', "<" .. url(3) .. '>; rel="prev"',
      "<" .. url(1) .. '>; rel="first"' }, ","),
      paging.numeric_link_header(req, 9, 2, 5, { prev_within_last = true, no_last = true }))
  end)

  it("registers every module under routes/ exactly once", function()
    local App = require "lcanvas.sandbox.app"
    local listed = {}
    for _, name in ipairs(App.ROUTE_MODULES) do
      assert.is_nil(listed[name], name .. " listed twice")
      listed[name] = true
    end
    local lfs = require "lfs"
    local files = 0
    for file in lfs.dir(sandbox.root .. "/lua/lcanvas/sandbox/routes") do
      local name = file:match("^(.+)%.lua$")
      if name then
        files = files + 1
        assert.is_true(listed[name] ~= nil, "routes/" .. file .. " is not in App.ROUTE_MODULES")
      end
    end
    local n = 0
    for _ in pairs(listed) do n = n + 1 end
    assert.equal(n, files)
  end)
end)
