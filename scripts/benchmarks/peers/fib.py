# (a) fib27: naive recursive Fibonacci on integers; prints fib(27) = 196418 (635,621 calls).
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


print(fib(27))
