# (j) closure_calls: 4,000,000 calls of closures taken from a list by index.
def adder(k):
    def add(x):
        return x + k
    return add


def main():
    fs = [adder(1), adder(2), adder(3), adder(4)]
    s = 0
    for i in range(4000000):
        s = fs[i % 4](s)
    print(s)


main()
