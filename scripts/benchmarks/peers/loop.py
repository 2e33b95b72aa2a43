# (b) loop_sum_sq: s = sum of i*i for i = 0 .. 4,999,999 in a while loop, double accumulator
# (i*i is an exact integer below 2^53; every addition rounds, in order).  Prints repr(s), the
# shortest round-trip form, as psearch prints numbers.  Locals in a function, as idiomatic Python.
def main():
    n = 5000000
    i = 0
    s = 0.0
    while i < n:
        s = s + i * i
        i = i + 1
    print(repr(s))


main()
