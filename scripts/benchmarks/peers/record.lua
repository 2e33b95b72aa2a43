-- (i) record_fields: a table's fields read and written 5,000,000 times in a while loop.
local p = {x = 0.0, y = 0.0, n = 0.0}
local i = 0
while i < 5000000 do
  p.x = p.x + i
  p.y = p.y + 2 * i
  p.n = p.n + 1
  i = i + 1
end
print(string.format("%d %d %d", p.x, p.y, p.n))
