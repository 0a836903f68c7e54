-- Downloads as Canvas serves them: a File's url is on the Canvas origin
-- (files/:id/download?download_frd=1&verifier=..), which redirects to the
-- file store (the storage origin) with a signed URL; the store sends the
-- bytes and never takes the Canvas token. Over plain HTTP (luasocket, no
-- redirect following), independent of the lcanvas client.
local http = require "socket.http"
local ltn12 = require "ltn12"
local socket = require "socket"
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"

-- request(method, url, headers) -> status, headers, body; never follows redirects.
local function request(method, url, headers)
  local chunks = {}
  local _, status, h = http.request({ url = url, method = method, headers = headers or {},
    sink = ltn12.sink.table(chunks), redirect = false })
  return status, h, table.concat(chunks)
end

local function admin() return { authorization = "Bearer " .. sandbox.tokens.admin } end

-- POST /__sandbox/files; returns status and the decoded answer.
local function make_file(t)
  local body = json.encode(t)
  local chunks = {}
  local _, status = http.request({ url = sandbox.url .. "/__sandbox/files", method = "POST",
    headers = { ["content-type"] = "application/json", ["content-length"] = #body },
    source = ltn12.source.string(body), sink = ltn12.sink.table(chunks) })
  return status, json.decode(table.concat(chunks))
end

-- The content POST /__sandbox/files {size=n} makes: byte i is (i*31+7)%256.
local function pattern(n)
  local t = {}
  for i = 0, n - 1 do t[#t + 1] = string.char((i * 31 + 7) % 256) end
  return table.concat(t)
end

local function esc(s) return (s:gsub("%p", "%%%0")) end

local function log_of(origin)
  local out = {}
  for _, r in ipairs(sandbox.requests()) do if r.origin == origin then out[#out + 1] = r end end
  return out
end

describe("sandbox downloads", function()
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    sandbox.clear_requests()
  end)

  it("gives a File's url on the Canvas origin, as attachment_json does", function()
    local status, _, body = request("GET", sandbox.url .. "/api/v1/users/self/files?per_page=1", admin())
    assert.equal(200, status)
    local file = json.decode(body)[1]
    assert.matches("^" .. esc(sandbox.url) .. "/files/" .. file.id .. "/download%?download_frd=1&verifier=" ..
      esc(file.uuid) .. "$", file.url)
    local made
    status, made = make_file({ user_id = 3, name = "made.bin", size = 10 })
    assert.equal(200, status)
    assert.equal(sandbox.url .. "/files/" .. made.id .. "/download?download_frd=1&verifier=" .. made.uuid, made.url)
    -- the same File through the API
    local _, _, again = request("GET", sandbox.url .. "/api/v1/users/3/files/" .. made.id, admin())
    assert.equal(made.url, json.decode(again).url)
  end)

  it("redirects the url to a signed storage URL, which serves the exact bytes", function()
    local _, f = make_file({ user_id = 3, name = "report.csv", content = "a,b\n1,2\n", content_type = "text/csv" })
    local status, h, body = request("GET", f.url)
    assert.equal(302, status)
    assert.matches("^" .. esc(sandbox.storage) .. "/files/" .. f.id .. "/download%?verifier=" .. esc(f.uuid) ..
      "&sig=%x+$", h.location)
    assert.matches("redirected", body)
    status, h, body = request("GET", h.location)
    assert.equal(200, status)
    assert.equal("a,b\n1,2\n", body)
    assert.equal("text/csv", h["content-type"])
    assert.equal("8", h["content-length"])
    assert.equal('attachment; filename="report.csv"', h["content-disposition"])
    -- HEAD: the headers only
    status, h, body = request("HEAD", (select(2, request("GET", f.url))).location)
    assert.equal(200, status)
    assert.equal("8", h["content-length"])
    assert.equal("", body)
    -- every request is logged, the storage ones with their (absent) Authorization
    local storage = log_of("storage")
    assert.equal(2, #storage)
    for _, r in ipairs(storage) do
      assert.equal("GET /files/:file/download", r.route)
      assert.is_nil(r.headers.authorization)
    end
    assert.equal("GET /files/:file/download", log_of("main")[1].route)
  end)

  it("serves big files made by size, byte for byte", function()
    local n = 3 * 1024 * 1024 + 77
    local _, f = make_file({ user_id = 3, name = "big.bin", size = n })
    assert.equal(n, f.size)
    local _, h = request("GET", f.url)
    local status, h2, body = request("GET", h.location)
    assert.equal(200, status)
    assert.equal(tostring(n), h2["content-length"])
    assert.equal("application/octet-stream", h2["content-type"])
    assert.equal(n, #body)
    assert.is_true(body == pattern(n))
  end)

  it("refuses the Canvas token, a bad signature and a missing file at storage", function()
    local _, f = make_file({ user_id = 3, name = "secret.txt", content = "s3cr3t" })
    local _, h = request("GET", f.url)
    local status, _, body = request("GET", h.location, admin())
    assert.equal(403, status)
    assert.matches("Authorization", body)
    local r = log_of("storage")[1]
    assert.equal("Bearer " .. sandbox.tokens.admin, r.headers.authorization)
    assert.equal(403, r.status)
    assert.equal(403, (request("GET", (h.location:gsub("sig=%x+", "sig=00000000")))))
    assert.equal(403, (request("GET", (h.location:gsub("&sig=%x+", "")))))
    assert.equal(404, (request("GET", sandbox.storage .. "/files/999999/download?verifier=x&sig=y")))
  end)

  it("answers a missing verifier as Canvas does a caller nobody signed in: the token is not read there", function()
    local _, f = make_file({ user_id = 3, name = "x.txt", content = "x" })
    local bare = sandbox.url .. "/files/" .. f.id .. "/download?download_frd=1"
    -- FilesController reads no bearer token outside /api/v1: to /login, even with one
    local status, h = request("GET", bare, admin())
    assert.equal(302, status)
    assert.equal(sandbox.url .. "/login", h.location)
    status, h = request("GET", bare .. "&verifier=wrong")
    assert.equal(302, status)
    assert.equal(sandbox.url .. "/login", h.location)
    -- asked for JSON: render_json_unauthorized
    local body
    status, _, body = request("GET", bare, { accept = "application/json" })
    assert.equal(401, status)
    assert.same({ status = "unauthenticated", errors = { { message = "user authorization required" } } },
      json.decode(body))
    -- no such file: Canvas's (HTML) 404, on a route it has
    status, h = request("GET", sandbox.url .. "/files/999999/download?download_frd=1&verifier=x")
    assert.equal(404, status)
    assert.is_nil(h["x-sandbox-route"])
    assert.matches("^text/html", h["content-type"])
  end)

  it("sends the bytes from the Canvas origin itself with download_mode = direct", function()
    sandbox.config({ download_mode = "direct" })
    local _, f = make_file({ user_id = 3, name = "n\195\169e \"q\".txt", content = "direct!" })
    local status, h, body = request("GET", f.url)
    assert.equal(200, status)
    assert.equal("direct!", body)
    assert.equal("7", h["content-length"])
    assert.equal('attachment; filename="n\195\169e \\"q\\".txt"; filename*=UTF-8\'\'n%C3%A9e%20%22q%22.txt',
      h["content-disposition"])
    assert.equal(0, #log_of("storage"))
  end)

  it("redirects through the alt origin with download_mode = redirect_foreign", function()
    sandbox.config({ download_mode = "redirect_foreign" })
    local _, f = make_file({ user_id = 3, name = "far.txt", content = "far away" })
    local status, h = request("GET", f.url)
    assert.equal(302, status)
    assert.equal(sandbox.alt .. "/files/" .. f.id .. "/download?download_frd=1&verifier=" .. f.uuid, h.location)
    status, h = request("GET", h.location)
    assert.equal(302, status)
    assert.matches("^" .. esc(sandbox.storage) .. "/", h.location)
    local body
    status, _, body = request("GET", h.location)
    assert.equal(200, status)
    assert.equal("far away", body)
    local alt = log_of("alt")
    assert.equal(1, #alt)
    assert.is_nil(alt[1].headers.authorization)
  end)

  it("waits download_delay_ms before the storage answer", function()
    sandbox.config({ download_delay_ms = 400 })
    local _, f = make_file({ user_id = 3, name = "slow.txt", content = "slow" })
    local t0 = socket.gettime()
    local _, h = request("GET", f.url)
    assert.is_true(socket.gettime() - t0 < 0.3)   -- the redirect is not delayed
    t0 = socket.gettime()
    local status, _, body = request("GET", h.location)
    assert.is_true(socket.gettime() - t0 >= 0.35)
    assert.equal(200, status)
    assert.equal("slow", body)
  end)

  it("makes files in the user's root folder, renaming a taken name, and refuses bad bodies", function()
    local status, f = make_file({ user_id = 3, name = "notes.txt", content = "mine" })
    assert.equal(200, status)
    assert.equal("notes-1.txt", f.display_name)   -- the seed has a notes.txt there
    local _, _, body = request("GET", sandbox.url .. "/api/v1/users/3/folders/by_path", admin())
    assert.equal(json.decode(body)[1].id, f.folder_id)
    assert.equal(404, (make_file({ user_id = 999999, name = "a", size = 1 })))
    assert.equal(400, (make_file({ user_id = 3, name = "a", size = 1, content = "x" })))
    assert.equal(400, (make_file({ user_id = 3, name = "a" })))
    assert.equal(400, (make_file({ user_id = 3, name = "a", size = -1 })))
    assert.equal(400, (make_file({ user_id = 3, size = 1 })))
  end)
end)
