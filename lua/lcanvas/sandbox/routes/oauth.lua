--- OAuth2 token endpoint (canvas-lms app/controllers/oauth2_provider_controller.rb:
-- token): POST /login/oauth2/token, outside /api/v1, with the refresh_token
-- grant, as Canvas answers it for a developer key. Issued access tokens
-- live in store:area("oauth") =
-- { clients = {[client_id] = secret}, refresh = {[refresh_token] =
-- {user_id=, client_id=}}, issued = {[access_token] = {user_id=, expires=}} }
-- and authenticate API requests (App:token_user) until they expire.
local http = require "lcanvas.sandbox.http"
local params = require "lcanvas.sandbox.params"
local answers = require "lcanvas.sandbox.answers"
local util = require "lcanvas.sandbox.util"

local DEFAULT = {
  clients = { ["sandbox-client"] = "sandbox-secret" },
  refresh_tokens = {
    ["sandbox-refresh-token"] = { user_id = 1, client_id = "sandbox-client" },
    ["sandbox-teacher-refresh-token"] = { user_id = 2, client_id = "sandbox-client" },
  },
  -- Tokens that were issued once and have expired: they answer 401 with
  -- WWW-Authenticate, as Canvas does for an expired token.
  expired_tokens = { ["sandbox-expired-token"] = 1 },
}

-- Fresh, unguessable tokens: Canvas's look like "<id>~<64 chars>".
local function random_token()
  local f = io.open("/dev/urandom", "rb")
  local bytes = f and f:read(24)
  if f then f:close() end
  if not bytes or #bytes < 24 then
    bytes = tostring(http.now()) .. tostring(math.random()) .. tostring({})
  end
  return "1~" .. util.hex(bytes)
end

return function(app)
  local store = app.store

  local function state()
    return store:area("oauth", function(_, seed)
      local s = seed.oauth or DEFAULT
      local st = { clients = {}, refresh = {}, issued = {} }
      for id, secret in pairs(s.clients or {}) do st.clients[id] = secret end
      for t, r in pairs(s.refresh_tokens or {}) do
        st.refresh[t] = { user_id = r.user_id, client_id = r.client_id }
      end
      for t, user_id in pairs(s.expired_tokens or {}) do
        st.issued[t] = { user_id = user_id, expires = -math.huge }
      end
      return st
    end)
  end

  --- The user an issued, unexpired access token belongs to, or nil.
  function app.issued_token_user(_, token)
    local t = state().issued[token]
    if t and http.now() < t.expires then return t.user_id end
    return nil
  end

  local answer = answers.json

  local function invalid_grant(description)
    return answer(400, { error = "invalid_grant", error_description = description })
  end

  -- Outside /api/v1 and without a bearer token; the alt origin has none.
  app:route("POST", "/login/oauth2/token", function(_, req)
    local p = params.request_params(req) or {}
    local st = state()
    if p.grant_type ~= "refresh_token" then
      return answer(400, { error = "unsupported_grant_type",
        error_description = "only the refresh_token grant is supported here" })
    end
    for _, k in ipairs({ "client_id", "client_secret", "refresh_token" }) do
      if type(p[k]) ~= "string" or p[k] == "" then
        return answer(400, { error = "invalid_request", error_description = k .. " is required" })
      end
    end
    local secret = st.clients[p.client_id]
    if not secret or secret ~= p.client_secret then
      return invalid_grant("invalid client")
    end
    local r = st.refresh[p.refresh_token]
    if not r or r.client_id ~= p.client_id then
      return invalid_grant("refresh_token not found")
    end
    local ttl = tonumber(app.config.access_token_ttl) or 3600
    local token = random_token()
    st.issued[token] = { user_id = r.user_id, expires = http.now() + ttl }
    local u = store.users[r.user_id]
    -- Canvas sends no new refresh token on this grant: the old one stays valid.
    return answer(200, { access_token = token, token_type = "Bearer", expires_in = ttl,
      user = { id = r.user_id, name = u and u.name, global_id = tostring(r.user_id) } })
  end, { outside = true })
end
