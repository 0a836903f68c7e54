-- A first automation script: who am I, how many users does the account
-- have, and who matches a search. Run it against the sandbox:
--   build/lcanvas --sandbox scripts/examples/account-summary.lua [SEARCH]
-- or against your Canvas with CANVAS_API_URL and CANVAS_API_TOKEN set.
local search = arg[1] or "avery"

local me = canvas:get_current_user()
print(("Connected as %s"):format(tostring(me)))

local users = canvas:list("accounts/1/users", { search_term = search }, { type = "User" })
print(("Users matching %q:"):format(search))
for user in users do
  print(("  %-28s login=%-28s sis=%s"):format(tostring(user), user.login_id or "-",
    user.sis_user_id or "-"))
end
print(("%d found in %d request(s)"):format(users:count(), select(2, users:loaded())))

local everyone = canvas:list("accounts/1/users", nil, { type = "User" })
print(("The account has %d users."):format(everyone:count()))
local remaining = canvas:rate_limit()
print(("Rate limit remaining: %.1f"):format(remaining or 0))
