"""(c') rosenbrock_autograd: workload c with the gradient from torch autograd on 0-d float64
tensors, 20,000 steps.  Timed: the steps.  Prints x y f (the spec gives
0.999822282595 0.999643885544 3.16341e-08 at %.12g %.12g %.6g)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
from common import emit, info  # noqa: E402

STEPS, LR = 20_000, 0.001


def rosen(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def main():
    info(f"torch {torch.__version__} threads={torch.get_num_threads()}")
    x = torch.tensor(-1.5, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    t = time.perf_counter()
    for _ in range(STEPS):
        gx, gy = torch.autograd.grad(rosen(x, y), (x, y))
        with torch.no_grad():
            x -= LR * gx
            y -= LR * gy
    secs = time.perf_counter() - t
    with torch.no_grad():
        f = rosen(x, y).item()
    emit("rosenbrock_autograd.torch", secs, STEPS, "step", x.item(), y.item(), f)


if __name__ == "__main__":
    main()
