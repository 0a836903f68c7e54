-- Runs the sandbox with a stock lua5.4: `lua5.4 lua/lcanvas/sandbox/cli.lua`.
-- (The lcanvas executable runs the same thing as `lcanvas sandbox`.)
local here = debug.getinfo(1, "S").source:match("^@(.*)/lcanvas/sandbox/cli%.lua$") or "."
package.path = here .. "/?.lua;" .. here .. "/?/init.lua;" .. package.path
os.exit(require("lcanvas.sandbox").main(arg), true)
