--- Sandbox routes: users_api (filled in by its own change).
return function(app)
  local _ = app
end
