# (d) bsearch: a[k] = 3k + 1 for k < 1,000,000, built by a loop; for j < 200,000,
# key = (7919 j + 13) mod 3,000,000 and pos = lower_bound(a, key) by the spec's loop.
# Prints `found checksum` (keys present, sum of positions) = 66667 99988233333.
def lower_bound(a, key):
    lo = 0
    hi = len(a)
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


def main():
    n = 1000000
    a = []
    for k in range(n):
        a.append(3 * k + 1)
    found = 0
    checksum = 0
    for j in range(200000):
        key = (j * 7919 + 13) % 3000000
        pos = lower_bound(a, key)
        checksum = checksum + pos
        if pos < n and a[pos] == key:
            found = found + 1
    print(found, checksum)


main()
