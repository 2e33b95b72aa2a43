-- (l) list_sieve: the sieve of Eratosthenes on a list of 2^22 bools, read and written by index
-- (0-based like the others: flags[i + 1] holds i).
local n = 4194304
local flags = {}
for i = 1, n do flags[i] = true end
flags[1] = false
flags[2] = false
local count = 0
for i = 2, n - 1 do
  if flags[i + 1] then
    count = count + 1
    local j = i * i
    while j < n do
      flags[j + 1] = false
      j = j + i
    end
  end
end
print(count)
