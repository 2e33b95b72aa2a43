-- (j) closure_calls: 4,000,000 calls of closures taken from a list by index.
local function adder(k)
  return function(x) return x + k end
end
local fs = {adder(1), adder(2), adder(3), adder(4)}
local s = 0
for i = 0, 3999999 do
  s = fs[i % 4 + 1](s)
end
print(s)
