# (d') search_builtin peer: the workload-d lookups done by the library's binary search,
# bisect.bisect_left, called 200,000 times from a Python loop.  Timed: the lookup loop only
# (the array is built first, untimed).  Prints `found checksum` = 66667 99988233333.
import time
from bisect import bisect_left


def main():
    n = 1000000
    a = [3 * k + 1 for k in range(n)]
    found = 0
    checksum = 0
    t = time.perf_counter()
    for j in range(200000):
        key = (j * 7919 + 13) % 3000000
        pos = bisect_left(a, key)
        checksum = checksum + pos
        if pos < n and a[pos] == key:
            found = found + 1
    secs = time.perf_counter() - t
    print(f"@ search_builtin.python {secs:.6f} 200000 call {found} {checksum}")


main()
