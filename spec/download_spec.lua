-- Downloads (Client:download, File:download, download_to_string): a File's
-- url on the Canvas origin redirects to the sandbox's storage origin, which
-- sends the bytes and refuses the Canvas token. The client follows the
-- redirect itself, never sends the token off Canvas's origin, streams into
-- a temporary file renamed into place, and leaves nothing on a failure.
local lcanvas = require "lcanvas"
local sandbox = require "helper"

-- byte i of a sandbox file made with {size = n}
local function pattern(n)
  local t = {}
  for i = 0, n - 1 do t[#t + 1] = string.char((i * 31 + 7) % 256) end
  return table.concat(t)
end

local by_origin = sandbox.by_origin

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- Files in dir whose names start with base (a temporary file left behind).
local function leftovers(dir, base)
  local p = io.popen("ls -A " .. sandbox.quote(dir))
  local out = {}
  for name in p:lines() do
    if name:sub(1, #base) == base then out[#out + 1] = name end
  end
  p:close()
  return out
end

describe("downloads", function()
  local c, dir
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_retries = 0 })
    dir = sandbox.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. sandbox.quote(dir)))
  end)
  after_each(function()
    c:close()
    os.execute("rm -rf " .. sandbox.quote(dir))
  end)

  it("follows the redirect to storage without the token, streaming the exact bytes to a file", function()
    local f = sandbox.make_file({ user_id = 3, name = "grades.csv", size = 300000 })
    assert.matches("^" .. sandbox.url:gsub("%p", "%%%0") .. "/files/%d+/download%?", f.url)
    sandbox.clear_requests()
    local path, size = c:download(f, dir .. "/grades.csv")
    assert.equal(dir .. "/grades.csv", path)
    assert.equal(300000, size)
    assert.equal(pattern(300000), sandbox.read_file(path))
    -- Canvas's origin was asked with the token, storage without
    local main = by_origin("main")
    assert.equal(1, #main)
    assert.matches("^/files/%d+/download$", main[1].path)
    local storage = by_origin("storage")
    assert.equal(1, #storage)
    assert.is_nil(storage[1].headers.authorization)
    assert.equal(200, storage[1].status)
    assert.same({ "grades.csv" }, leftovers(dir, "grades.csv"))
  end)

  it("downloads from a File object, a url string and into a string", function()
    sandbox.make_file({ user_id = 3, name = "spec-dl-notes.txt", content = "hello, files\n" })
    local file = c:get_user(3):get_files({ search_term = "spec-dl-notes" }):first()
    assert.equal("File", file:typename())
    local path, size = file:download(dir .. "/notes.txt")
    assert.equal(13, size)
    assert.equal("hello, files\n", sandbox.read_file(path))
    assert.equal("hello, files\n", c:download_to_string(file.url))
    assert.equal("hello, files\n", file:download_to_string())
  end)

  it("never sends the token to another origin the redirect names", function()
    sandbox.config({ download_mode = "redirect_foreign" })
    local f = sandbox.make_file({ user_id = 3, name = "a.bin", size = 1000 })
    sandbox.clear_requests()
    local _, size = c:download(f, dir .. "/a.bin")
    assert.equal(1000, size)
    local alt, storage = by_origin("alt"), by_origin("storage")
    assert.is_true(#alt >= 1 and #storage >= 1)
    for _, r in ipairs(alt) do assert.is_nil(r.headers.authorization) end
    for _, r in ipairs(storage) do assert.is_nil(r.headers.authorization) end
  end)

  it("stops an oversized download with LimitExceeded and leaves no file", function()
    local f = sandbox.make_file({ user_id = 3, name = "big.bin", size = 200000 })
    local err = sandbox.raises("LimitExceeded", function()
      c:download(f, dir .. "/big.bin", { max_size = 100000 })
    end)
    assert.equal("max_download_size", err.limit)
    assert.same({}, leftovers(dir, "big.bin"))
    -- the client's option too
    local small = lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_download_size = 50000 })
    err = sandbox.raises("LimitExceeded", function() small:download(f, dir .. "/big.bin") end)
    assert.equal("max_download_size", err.limit)
    assert.same({}, leftovers(dir, "big.bin"))
    small:close()
  end)

  it("never overwrites an existing file with a failed download", function()
    sandbox.write_file(dir .. "/keep.csv", "old contents\n")
    local err = sandbox.raises("ResourceDoesNotExist", function()
      c:download(sandbox.url .. "/files/999999/download?download_frd=1&verifier=x", dir .. "/keep.csv")
    end)
    assert.is_true(lcanvas.is_error(err))
    assert.equal("old contents\n", sandbox.read_file(dir .. "/keep.csv"))
    assert.same({ "keep.csv" }, leftovers(dir, "keep.csv"))
  end)

  it("writes the dry-run name under a dry run, downloading for real", function()
    local f = sandbox.make_file({ user_id = 3, name = "r.csv", content = "a,b\n" })
    local dry = lcanvas.new(sandbox.url, sandbox.tokens.admin, { dry_run = true })
    local path = dry:download(f, dir .. "/r.csv")
    assert.equal(dir .. "/r.dry-run.csv", path)
    assert.equal("a,b\n", sandbox.read_file(path))
    assert.is_false(exists(dir .. "/r.csv"))
    dry:close()
  end)

  it("lets other tasks run while a download waits for its bytes", function()
    sandbox.config({ download_delay_ms = 500 })
    local f = sandbox.make_file({ user_id = 3, name = "slow.bin", size = 5000 })
    local order = {}
    lcanvas.gather(
      function() c:download(f, dir .. "/slow.bin"); order[#order + 1] = "download" end,
      function() c:get_user(3); c:get_user(4); order[#order + 1] = "reads" end)
    assert.same({ "reads", "download" }, order)
    assert.equal(pattern(5000), sandbox.read_file(dir .. "/slow.bin"))
  end)

  it("refuses what it cannot download before sending anything", function()
    sandbox.clear_requests()
    assert.error_matches(function() c:download({ name = "x" }, dir .. "/x") end, "has no url to download")
    assert.error_matches(function() c:download(42, dir .. "/x") end, "a URL, a File or a table with a url")
    assert.error_matches(function() c:download("https://x.test/f", nil) end, "a file path expected")
    assert.error_matches(function() c:download("https://x.test/f", "/nonexistent-dir/x") end, "cannot write")
    assert.same({}, sandbox.requests())
  end)
end)

describe("downloads under the lcanvas host", function()
  setup(function() sandbox.start() end)

  it("shows its bytes on the status line (a terminal, or LCANVAS_PROGRESS=1) and erases it", function()
    sandbox.reset()
    local f = sandbox.make_file({ user_id = 3, name = "shown.bin", size = 400000 })
    local dir = sandbox.tmpname()
    os.remove(dir)
    os.execute("mkdir -p " .. sandbox.quote(dir))
    local exe = sandbox.root .. "/" .. (os.getenv("LCANVAS_BUILD") or "build") .. "/lcanvas"
    local code = string.format("local p, n = canvas:download(%q, %q); print(p, n)", f.url, dir .. "/shown.bin")
    local cmd = string.format("LCANVAS_PROGRESS=1 CANVAS_API_URL=%s CANVAS_API_TOKEN=%s %s -e %s >%s 2>%s",
      sandbox.quote(sandbox.url), sandbox.tokens.admin, sandbox.quote(exe), sandbox.quote(code),
      sandbox.quote(dir .. "/out"), sandbox.quote(dir .. "/err"))
    assert.is_true(os.execute(cmd))
    assert.equal(dir .. "/shown.bin\t400000\n", sandbox.read_file(dir .. "/out"))
    local err = sandbox.read_file(dir .. "/err")
    assert.matches("\rdownloading shown%.bin [%d.]+ of 0%.4 MB %(%d+%%%)", err, nil, false, string.format("%q", err))
    assert.matches("\rdownloading shown%.bin 0%.4 of 0%.4 MB %(100%%%)", err, nil, false, string.format("%q", err))
    assert.is_nil(err:find("shown.bin 0.0 MB", 1, true))   -- nothing drawn for the redirect step
    assert.matches("\r *\r$", err)   -- erased at the end
    os.execute("rm -rf " .. sandbox.quote(dir))
  end)

  it("Ctrl-C during a download exits 130 and leaves no file", function()
    sandbox.reset()
    sandbox.config({ download_delay_ms = 3000 })
    local f = sandbox.make_file({ user_id = 3, name = "slow.bin", size = 1000 })
    local dir = sandbox.tmpname()
    os.remove(dir)
    os.execute("mkdir -p " .. sandbox.quote(dir))
    local script = dir .. "/dl.lua"
    sandbox.write_file(script, string.format([[
      io.stderr:write("started\n")
      canvas:download(%q, %q)
    ]], f.url, dir .. "/out.bin"))
    local exe = sandbox.root .. "/" .. (os.getenv("LCANVAS_BUILD") or "build") .. "/lcanvas"
    local cmd = string.format("CANVAS_API_URL=%s CANVAS_API_TOKEN=%s %s %s 2>%s & echo $!",
      sandbox.quote(sandbox.url), sandbox.tokens.admin, sandbox.quote(exe), sandbox.quote(script),
      sandbox.quote(dir .. "/err"))
    local p = io.popen(cmd)
    local pid = p:read("l")
    p:close()
    for _ = 1, 100 do
      local e = sandbox.read_file(dir .. "/err") or ""
      if e:find("started") then break end
      os.execute("sleep 0.05")
    end
    os.execute("sleep 0.3")   -- the download is waiting for its bytes
    os.execute("kill -INT " .. pid)
    local code
    for _ = 1, 100 do
      local st = io.popen("kill -0 " .. pid .. " 2>/dev/null && echo alive"):read("a")
      if st == "" then code = true break end
      os.execute("sleep 0.05")
    end
    assert.is_true(code, "lcanvas did not stop")
    assert.matches("interrupted", sandbox.read_file(dir .. "/err"))
    assert.same({}, leftovers(dir, "out.bin"))
    os.execute("rm -rf " .. sandbox.quote(dir))
  end)
end)
