-- User:upload: the three steps of a Canvas file upload against the sandbox,
-- whose storage origin takes the multipart POST and answers with a 3xx or a
-- 201 (sandbox.config{ upload_mode = ... }).
local lcanvas = require "lcanvas"
local sandbox = require "helper"
local params = require "lcanvas.sandbox.params"
local http = require "socket.http"

local function temp_file(content)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(content)
  f:close()
  return path
end

local by_origin = sandbox.by_origin

-- The parts of a logged multipart body, in order: {name=, filename=, data=}.
local function parts_of(r)
  local boundary = r.headers["content-type"]:match("boundary=([^;%s]+)")
  local out = {}
  local body = r.body
  local delim = "--" .. boundary
  local pos = body:find(delim, 1, true) + #delim
  while body:sub(pos, pos + 1) ~= "--" do
    local head_end = body:find("\r\n\r\n", pos, true)
    local nxt = body:find("\r\n" .. delim, head_end, true)
    local head = body:sub(pos + 2, head_end - 1)
    out[#out + 1] = { name = head:match('name="([^"]*)"'), filename = head:match('filename="([^"]*)"'),
      data = body:sub(head_end + 4, nxt - 1) }
    pos = nxt + 2 + #delim
  end
  return out
end

local raises = sandbox.raises

describe("User:upload", function()
  local c, me, path
  local content = "first line\nsecond line with ünïcode\n"
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.student)
    me = c:get_current_user()
    path = temp_file(content)
    sandbox.clear_requests()
  end)
  after_each(function() os.remove(path) end)

  it("under a dry run prints step 1, sends nothing and returns a simulated File", function()
    local dry = lcanvas.new(sandbox.url, sandbox.tokens.student, { dry_run = true })
    local ok, file = dry:get_current_user():upload(path)
    assert.is_true(ok)
    assert.is_true(file.dry_run)
    assert.equal(#content, file.size)
    for _, r in ipairs(sandbox.requests()) do
      assert.equal("GET", r.method)              -- only the read of the user
      assert.not_equal("storage", r.origin)
    end
    assert.equal(1, dry:dry_run_counts().POST)
  end)

  it("lets other tasks run while the storage step waits (it yields like any request)", function()
    sandbox.fault({ origin = "storage", path = "/files_api/upload", delay_ms = 600 })
    local uploaded = false
    local t0 = os.clock()
    lcanvas.gather(
      function() uploaded = me:upload(path) end,
      function()
        -- reads go on while the upload is out, until it is done
        for _ = 1, 500 do
          if uploaded then break end
          c:get_user("self")
        end
      end)
    assert.is_true(uploaded)
    assert.is_true(os.clock() - t0 < 0.5, "the wait burned CPU")
    -- reads were answered while the storage held the upload
    local storage = by_origin("storage")[1]
    local during = 0
    for _, r in ipairs(sandbox.requests()) do
      if r.path == "/api/v1/users/self" and r.t_in > storage.t_in and r.t_out < storage.t_out then
        during = during + 1
      end
    end
    assert.is_true(during >= 3, during .. " reads while the storage step was out")
  end)

  it("follows a 3xx: announce, storage POST without the token, authenticated GET of Location", function()
    local ok, file = me:upload(path, { parent_folder_path = "Uploads/Week 1", content_type = "text/plain" })
    assert.is_true(ok)
    assert.equal("table", type(file))
    assert.is_false(lcanvas.is_object(file))
    assert.equal(path:match("[^/]+$"), file.display_name)
    assert.equal(#content, file.size)

    local log = sandbox.requests()
    assert.equal(3, #log)
    -- 1. the announcement, on the Canvas origin
    local announce = log[1]
    assert.equal("main", announce.origin)
    assert.equal("POST", announce.method)
    assert.equal("/api/v1/users/3/files", announce.path)
    assert.same({ name = file.display_name, size = tostring(#content), parent_folder_path = "Uploads/Week 1",
      content_type = "text/plain" }, params.parse_query(announce.body))
    -- 2. the bytes, on the storage origin, with no token
    local store = log[2]
    assert.equal("storage", store.origin)
    assert.equal("POST", store.method)
    assert.is_nil(store.headers.authorization)
    assert.matches("^multipart/form%-data", store.headers["content-type"])
    assert.equal("", store.query)
    -- every upload_param, unchanged, then the file last
    local parts = parts_of(store)
    local file_part = parts[#parts]
    assert.equal("file", file_part.name)
    assert.equal(file.display_name, file_part.filename)
    assert.equal(content, file_part.data)
    local sent = {}
    for i = 1, #parts - 1 do sent[parts[i].name] = parts[i].data end
    assert.equal("text/plain", sent["Content-Type"])
    assert.equal("201", sent.success_action_status)
    assert.matches("^users/3/%x+/" .. file.display_name:gsub("%p", "%%%0") .. "$", sent.key)
    assert.is_nil(sent.file)
    -- 3. the confirmation, back on the Canvas origin with the token
    local confirm = log[3]
    assert.equal("main", confirm.origin)
    assert.equal("GET", confirm.method)
    assert.equal("/api/v1/files/" .. file.id .. "/create_success", confirm.path)
    assert.equal("Bearer " .. sandbox.tokens.student, confirm.headers.authorization)

    -- the file now exists where asked, with its bytes
    local folder = me:resolve_path("Uploads/Week 1"):all()
    assert.equal(3, #folder)
    assert.equal(folder[3].id, file.folder_id)
    assert.equal(1, folder[3].files_count)
    assert.equal(file.id, me:get_file(file.id).id)
    local body = http.request(file.url)
    assert.equal(content, body)
  end)

  it("takes a 201 with the File in its body as done", function()
    sandbox.config({ upload_mode = "created" })
    local ok, file = me:upload(path, { name = "renamed.txt" })
    assert.is_true(ok)
    assert.equal("renamed.txt", file.display_name)
    local log = sandbox.requests()
    assert.equal(2, #log)
    assert.equal("storage", log[2].origin)
    assert.equal(201, log[2].status)
    assert.equal("renamed.txt", me:get_file(file.id).display_name)
  end)

  it("GETs the Location of a 201 without a body", function()
    sandbox.config({ upload_mode = "created_location" })
    local ok, file = me:upload(path)
    assert.is_true(ok)
    local log = sandbox.requests()
    assert.equal(3, #log)
    assert.equal("/api/v1/files/" .. file.id, log[3].path)
    assert.equal("main", log[3].origin)
    assert.equal(#content, file.size)
  end)

  it("refuses a redirect to another origin (ForeignOrigin), sending nothing there", function()
    sandbox.config({ upload_mode = "redirect_foreign" })
    local err = raises("ForeignOrigin", me.upload, me, path)
    assert.matches("refusing to send the token", tostring(err))
    assert.equal(0, #by_origin("alt"))
    assert.equal(1, #by_origin("storage"))
  end)

  it("uploads from an open file handle, whole, named by params", function()
    local fh = assert(io.open(path, "rb"))
    fh:read(5)  -- the position does not matter
    local ok, file = me:upload(fh, { name = "from-handle.txt" })
    fh:close()
    assert.is_true(ok)
    assert.equal("from-handle.txt", file.display_name)
    assert.equal(#content, file.size)
    assert.equal(content, (http.request(file.url)))
  end)

  it("raises before any request for a missing, unreadable or unnamed file", function()
    local ok, err = pcall(me.upload, me, "/nonexistent/dir/file.txt")
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'upload' %(cannot open file", err)
    ok, err = pcall(me.upload, me, "/tmp")
    assert.is_false(ok)
    assert.matches("not a regular file", err)
    ok, err = pcall(me.upload, me, nil)
    assert.is_false(ok)
    assert.matches("expected a file path or an open file handle", err)
    local fh = assert(io.open(path, "rb"))
    raises("RequiredFieldMissing", me.upload, me, fh)
    fh:close()
    ok, err = pcall(me.upload, me, fh)
    assert.is_false(ok)
    assert.matches("closed file", err)
    local log = sandbox.requests()
    assert.equal(0, #log, log[1] and (log[1].method .. " " .. log[1].path))
  end)

  it("raises the typed error of the step that failed", function()
    -- step 1: only the user may upload to their own files
    local admin = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    local sam = admin:get_user(3)
    sandbox.clear_requests()
    local err = raises("Unauthorized", sam.upload, sam, path)
    assert.equal("POST", err.method)
    assert.equal(0, #by_origin("storage"))
    -- step 2: the storage origin fails
    sandbox.fault({ origin = "storage", status = 500, body = '{"errors":[{"message":"disk full"}]}' })
    err = raises("CanvasException", me.upload, me, path)
    assert.equal(500, err.status)
    assert.equal("disk full", err.message)
    assert.matches("/files_api/upload/", err.url)
    sandbox.fault({ origin = "storage", status = 403, body = "AccessDenied", content_type = "text/plain" })
    raises("Forbidden", me.upload, me, path)
    -- answers that are neither a File nor a Location
    sandbox.fault({ origin = "storage", status = 200, body = "stored", content_type = "text/plain" })
    raises("InvalidResponse", me.upload, me, path)
    sandbox.fault({ origin = "storage", status = 302, body = "" })
    err = raises("InvalidResponse", me.upload, me, path)
    assert.matches("302 without a Location", err.message)
    -- nothing was stored by the failed uploads
    for f in me:get_files() do assert.not_equal(path:match("[^/]+$"), f.display_name) end
  end)

  it("has a storage origin that refuses the Canvas token", function()
    local ticket = c:request("POST", "users/self/files", { name = "x.txt", size = 3 })
    assert.equal(sandbox.storage, ticket.upload_url:match("^(http://[^/]+)"))
    local ltn12 = require "ltn12"
    local boundary = "XyZ"
    local parts = {}
    for k, v in pairs(ticket.upload_params) do
      parts[#parts + 1] = string.format('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n',
        boundary, k, v)
    end
    parts[#parts + 1] = string.format(
      '--%s\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\n\r\nabc\r\n--%s--\r\n',
      boundary, boundary)
    local body = table.concat(parts)
    local function post(headers)
      local out = {}
      headers["content-type"] = "multipart/form-data; boundary=" .. boundary
      headers["content-length"] = #body
      local _, code = http.request({ url = ticket.upload_url, method = "POST", headers = headers,
        source = ltn12.source.string(body), sink = ltn12.sink.table(out) })
      return code, table.concat(out)
    end
    local code, answer = post({ authorization = "Bearer " .. sandbox.tokens.student })
    assert.equal(403, code)
    assert.matches("Canvas token", answer)
    assert.equal(0, c:get_current_user():get_files({ search_term = "x.txt" }):count())
    -- the same form without the token is accepted
    code = post({})
    assert.equal(303, code)
  end)

  it("masquerades step 1 but not the storage request", function()
    local admin = lcanvas.new(sandbox.url, sandbox.tokens.admin, { as_user_id = "3" })
    local sam = admin:get_user(3)
    local ok, file = sam:upload(path)
    assert.is_true(ok)
    local log = sandbox.requests()
    assert.matches("as_user_id=3", log[#log - 2].query)
    local store = by_origin("storage")[1]
    assert.equal("", store.query)
    assert.is_nil(store.headers.authorization)
    assert.equal(file.id, c:get_current_user():get_file(file.id).id)
  end)

  it("renames or overwrites a duplicate as asked", function()
    sandbox.config({ upload_mode = "created" })
    local _, a = me:upload(path, { name = "dup.txt" })
    local _, b = me:upload(path, { name = "dup.txt", on_duplicate = "rename" })
    assert.equal("dup-1.txt", b.display_name)
    assert.not_equal(a.id, b.id)
    -- Canvas's overwrite keeps the new attachment and deletes the old one
    -- (the sandbox used to keep the old id; Canvas never does).
    local _, c2 = me:upload(path, { name = "dup.txt", on_duplicate = "overwrite" })
    assert.not_equal(a.id, c2.id)
    assert.equal("dup.txt", c2.display_name)
    assert.equal("ResourceDoesNotExist", sandbox.capture(function() me:get_file(a.id) end).kind)
    local named = {}
    for f in me:get_files({ search_term = "dup" }):iter() do named[#named + 1] = f.display_name .. "#" .. f.id end
    table.sort(named)
    assert.same({ "dup-1.txt#" .. b.id, "dup.txt#" .. c2.id }, named)
  end)

  it("overwrites through the default redirect upload too (the old file goes at create_success)", function()
    local _, a = me:upload(path, { name = "late.txt" })
    local _, b = me:upload(path, { name = "late.txt", on_duplicate = "overwrite" })
    assert.not_equal(a.id, b.id)
    assert.equal(b.id, me:get_file(b.id).id)
    assert.equal("ResourceDoesNotExist", sandbox.capture(function() me:get_file(a.id) end).kind)
  end)

  it("adds an uploaded image to the avatar choices", function()
    local before = me:get_avatars():count()
    local _, file = me:upload(path, { name = "me.png", content_type = "image/png" })
    local avatars = me:get_avatars():all()
    assert.equal(before + 1, #avatars)
    local found = false
    for _, a in ipairs(avatars) do if a.id == file.id then found = true end end
    assert.is_true(found)
  end)

  it("streams a large file", function()
    local chunk = {}
    for i = 0, 255 do chunk[#chunk + 1] = string.char(i) end
    chunk = table.concat(chunk)
    local big = string.rep(chunk, 4 * 4096 + 3)  -- a little over 4 MiB, every byte value
    local big_path = temp_file(big)
    local ok, file = me:upload(big_path, { name = "big.bin" })
    os.remove(big_path)
    assert.is_true(ok)
    assert.equal(#big, file.size)
    local store = by_origin("storage")[1]
    assert.is_true(store.body_size > #big)
    local got = http.request(file.url)
    assert.equal(#big, #got)
    assert.is_true(got == big)
  end)
end)
