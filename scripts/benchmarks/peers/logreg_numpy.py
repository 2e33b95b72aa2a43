"""(f) logreg: full-batch gradient descent for logistic regression, hand-written gradient (numpy).
Data --data PATH (logreg.csv: y, x0..x19; 100,000 rows).  w = 0, b = 0, lr = 0.5, 200 epochs of
z = X w + b; r = sigmoid(z) - y; w -= lr X^T r / n; b -= lr sum(r) / n.  Timed: the epochs.
Prints loss = mean(log(1 + exp(z)) - y z), accuracy ((z > 0) == y), b, w0, w19."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from common import arg, blas_info, emit, info  # noqa: E402

EPOCHS, LR = 200, 0.5


def main():
    info(f"numpy {np.__version__}")
    data = np.loadtxt(arg("data", "logreg.csv"), delimiter=",")
    y = np.ascontiguousarray(data[:, 0])
    X = np.ascontiguousarray(data[:, 1:])
    n, d = X.shape
    blas_info("numpy BLAS")

    w = np.zeros(d)
    b = 0.0
    t = time.perf_counter()
    for _ in range(EPOCHS):
        z = X @ w + b
        r = 1.0 / (1.0 + np.exp(-z)) - y
        w -= LR * (X.T @ r) / n
        b -= LR * r.sum() / n
    secs = time.perf_counter() - t

    z = X @ w + b
    loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
    acc = float(np.mean((z > 0) == (y > 0.5)))
    emit("logreg.numpy", secs, EPOCHS, "epoch", loss, acc, float(b), float(w[0]), float(w[-1]))


if __name__ == "__main__":
    main()
