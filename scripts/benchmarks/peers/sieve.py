# (l) list_sieve: the sieve of Eratosthenes on a list of 2^22 bools, read and written by index.
def main():
    n = 4194304
    flags = [True]
    while len(flags) < n:
        flags = flags + flags
    flags[0] = False
    flags[1] = False
    count = 0
    for i in range(2, n):
        if flags[i]:
            count = count + 1
            j = i * i
            while j < n:
                flags[j] = False
                j = j + i
    print(count)


main()
