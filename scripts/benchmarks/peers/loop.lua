-- (b) loop_sum_sq: s = sum of i*i for i = 0 .. 4,999,999 in a while loop, float accumulator.
-- Prints s in the shortest %g form that reads back exactly (Lua has no repr).
local function shortest(v)
  for p = 15, 17 do
    local s = string.format("%." .. p .. "g", v)
    if tonumber(s) == v then return s end
  end
end

local n = 5000000
local i = 0
local s = 0.0
while i < n do
  s = s + i * i
  i = i + 1
end
print(shortest(s))
