-- (k) string_build: 200,000 strings of 50 pieces each, built by joining with ..
local total = 0
for j = 0, 199999 do
  local s = ""
  for k = 0, 49 do
    s = s .. "ab"
  end
  total = total + #s
end
print(total)
