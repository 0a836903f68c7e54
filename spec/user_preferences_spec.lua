-- Users API endpoints canvasapi has no method for, through lcanvas's User
-- methods against the sandbox: the editor and files UI preferences and
-- logging a user out of the mobile apps (UsersController
-- #set_text_editor_preference, #set_files_ui_version_preference,
-- #expire_mobile_sessions). What was sent, what came back, each refusal.
local http = require "socket.http"
local ltn12 = require "ltn12"
local lcanvas = require "lcanvas"
local sandbox = require "helper"
local params = require "lcanvas.sandbox.params"

local raises = sandbox.raises

local function last() return sandbox.last_api_request() end

describe("User preferences and mobile sessions", function()
  local admin, sam
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    admin = lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_retries = 0 })
    sam = admin:get_user(3)
    sandbox.clear_requests()
  end)

  local function as(token, id)
    return lcanvas.core.object("User", { id = id }, lcanvas.new(sandbox.url, token, { max_retries = 0 }))
  end

  describe("update_text_editor_preference", function()
    it("sets and clears the preference, answering what Canvas stored", function()
      assert.same({ text_editor_preference = "block_editor" }, sam:update_text_editor_preference("block_editor"))
      local r = last()
      assert.equal("PUT", r.method)
      assert.equal("/api/v1/users/3/text_editor_preference", r.path)
      assert.same({ text_editor_preference = "block_editor" }, params.parse_query(r.body))
      assert.equal(200, r.status)
      assert.equal("PUT /users/:user/text_editor_preference", r.route)
      assert.same({ text_editor_preference = "rce" }, sam:update_text_editor_preference("rce"))
      -- "" clears it: Canvas answers the preference now unset, null (nil here)
      local cleared = sam:update_text_editor_preference("")
      assert.equal("text_editor_preference=", last().body)
      assert.is_table(cleared)
      assert.is_nil(cleared.text_editor_preference)
      local body = {}
      local _, status = http.request({ url = sandbox.url .. "/api/v1/users/3/text_editor_preference",
        method = "PUT", source = ltn12.source.string("text_editor_preference="), sink = ltn12.sink.table(body),
        headers = { authorization = "Bearer " .. sandbox.tokens.admin, ["content-length"] = 23,
          ["content-type"] = "application/x-www-form-urlencoded" } })
      assert.equal(200, status)
      assert.equal('{"text_editor_preference":null}', table.concat(body))
    end)

    it("lets users set their own; refuses another user's caller and a missing user", function()
      local me = as(sandbox.tokens.student, "self")
      assert.same({ text_editor_preference = "rce" }, me:update_text_editor_preference("rce"))
      assert.equal("/api/v1/users/self/text_editor_preference", last().path)
      local err = raises("Unauthorized", as(sandbox.tokens.teacher, 3).update_text_editor_preference,
        as(sandbox.tokens.teacher, 3), "rce")
      assert.equal(401, err.status)
      err = raises("ResourceDoesNotExist", as(sandbox.tokens.admin, 999999).update_text_editor_preference,
        as(sandbox.tokens.admin, 999999), "rce")
      assert.equal(404, err.status)
    end)

    it("answers a value Canvas does not know (or none) with a bare 422", function()
      local err = raises("UnprocessableEntity", sam.update_text_editor_preference, sam, "tinymce")
      assert.equal(422, err.status)
      local r = last()
      assert.equal("text_editor_preference=tinymce", r.body)
      assert.equal(422, r.status)
      -- nil sends no parameter at all, which Canvas refuses the same way
      raises("UnprocessableEntity", sam.update_text_editor_preference, sam, nil)
      assert.equal("", last().body)
      -- the permission comes first
      raises("Unauthorized", as(sandbox.tokens.teacher, 3).update_text_editor_preference,
        as(sandbox.tokens.teacher, 3), "tinymce")
    end)
  end)

  describe("update_files_ui_version_preference", function()
    it("sets v1 or v2, answering it", function()
      assert.same({ files_ui_version = "v2" }, sam:update_files_ui_version_preference("v2"))
      local r = last()
      assert.equal("PUT", r.method)
      assert.equal("/api/v1/users/3/files_ui_version_preference", r.path)
      assert.same({ files_ui_version = "v2" }, params.parse_query(r.body))
      assert.equal("PUT /users/:user/files_ui_version_preference", r.route)
      assert.same({ files_ui_version = "v1" }, as(sandbox.tokens.student, 3):update_files_ui_version_preference("v1"))
    end)

    it("refuses another value with Canvas's 400 {message}, and another user's caller", function()
      local err = raises("BadRequest", sam.update_files_ui_version_preference, sam, "v3")
      assert.equal(400, err.status)
      assert.matches("Invalid files_ui_version provided", tostring(err), 1, true)
      assert.equal(400, last().status)
      raises("Unauthorized", as(sandbox.tokens.teacher, 3).update_files_ui_version_preference,
        as(sandbox.tokens.teacher, 3), "v2")
      raises("ResourceDoesNotExist", as(sandbox.tokens.admin, 999999).update_files_ui_version_preference,
        as(sandbox.tokens.admin, 999999), "v2")
    end)
  end)

  describe("expire_mobile_sessions", function()
    it("answers Canvas's bare ok to an admin, sending nothing else", function()
      assert.equal("ok", sam:expire_mobile_sessions())
      local r = last()
      assert.equal("DELETE", r.method)
      assert.equal("/api/v1/users/3/mobile_sessions", r.path)
      assert.equal("", r.body)
      assert.equal("", r.query)
      assert.equal(200, r.status)
      assert.equal("DELETE /users/:id/mobile_sessions", r.route)
      -- no sandbox token is a mobile app's: Sam's still works
      assert.equal(3, lcanvas.new(sandbox.url, sandbox.tokens.student):get_current_user().id)
    end)

    it("needs an admin (manage_user_logins) before it looks for the user", function()
      local err = raises("Unauthorized", as(sandbox.tokens.student, "self").expire_mobile_sessions,
        as(sandbox.tokens.student, "self"))
      assert.equal(401, err.status)
      -- a user who does not exist: still 401 for a non-admin, 404 for an admin
      raises("Unauthorized", as(sandbox.tokens.teacher, 999999).expire_mobile_sessions,
        as(sandbox.tokens.teacher, 999999))
      raises("ResourceDoesNotExist", as(sandbox.tokens.admin, 999999).expire_mobile_sessions,
        as(sandbox.tokens.admin, 999999))
    end)

    it("has the route without an id too (everyone in the account), for admins", function()
      local function delete(token)
        local body = {}
        local _, status = http.request({ url = sandbox.url .. "/api/v1/users/mobile_sessions", method = "DELETE",
          headers = { authorization = "Bearer " .. token }, sink = ltn12.sink.table(body) })
        return status, table.concat(body)
      end
      local status, body = delete(sandbox.tokens.admin)
      assert.equal(200, status)
      assert.equal("ok", body)
      assert.equal("DELETE /users/mobile_sessions", last().route)
      assert.equal(401, (delete(sandbox.tokens.student)))
    end)
  end)
end)
