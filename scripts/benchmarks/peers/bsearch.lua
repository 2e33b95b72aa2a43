-- (d) bsearch: the spec's lower_bound loop on a[k] = 3k + 1 (k < 1,000,000, built by a loop),
-- 200,000 keys (7919 j + 13) mod 3,000,000.  Lua tables are 1-based: a[k + 1] holds element k;
-- positions are reported 0-based.  Prints `found checksum` = 66667 99988233333.
local function lower_bound(a, n, key)
  local lo, hi = 1, n + 1
  while lo < hi do
    local mid = (lo + hi) // 2
    if a[mid] < key then lo = mid + 1 else hi = mid end
  end
  return lo - 1
end

local n = 1000000
local a = {}
for k = 0, n - 1 do
  a[k + 1] = 3 * k + 1
end
local found, checksum = 0, 0
for j = 0, 199999 do
  local key = (j * 7919 + 13) % 3000000
  local pos = lower_bound(a, n, key)
  checksum = checksum + pos
  if pos < n and a[pos + 1] == key then found = found + 1 end
end
print(found .. " " .. checksum)
