-- (c) rosenbrock_gd: hand-written gradient descent on the Rosenbrock function, the spec's
-- operation order, lr = 0.001, 200,000 steps from (-1.5, 2).  Prints x y f, shortest %g form.
local function shortest(v)
  for p = 15, 17 do
    local s = string.format("%." .. p .. "g", v)
    if tonumber(s) == v then return s end
  end
end

local x = -1.5
local y = 2.0
local lr = 0.001
for _ = 1, 200000 do
  local t = y - x * x
  local gx = -2.0 * (1.0 - x) - 400.0 * x * t
  local gy = 200.0 * t
  x = x - lr * gx
  y = y - lr * gy
end
local a = 1.0 - x
local b = y - x * x
local f = a * a + 100.0 * b * b
print(shortest(x) .. " " .. shortest(y) .. " " .. shortest(f))
