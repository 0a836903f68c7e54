--- Sandbox routes: observees (filled in by its own change).
return function(app)
  local _ = app
end
