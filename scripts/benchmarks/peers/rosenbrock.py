# (c) rosenbrock_gd: gradient descent on f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 with the
# hand-written gradient, lr = 0.001, from (-1.5, 2); the operation order is the spec's, so the
# result is bit-identical across languages.  Steps: argv[1], default 200,000.  Prints x y f.
import sys


def main(steps):
    x = -1.5
    y = 2.0
    lr = 0.001
    for _ in range(steps):
        t = y - x * x
        gx = -2.0 * (1.0 - x) - 400.0 * x * t
        gy = 200.0 * t
        x = x - lr * gx
        y = y - lr * gy
    a = 1.0 - x
    b = y - x * x
    f = a * a + 100.0 * b * b
    print(repr(x), repr(y), repr(f))


main(int(sys.argv[1]) if len(sys.argv) > 1 else 200000)
