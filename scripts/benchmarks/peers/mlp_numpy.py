"""(g) mlp_digits: 64 -> 32 tanh -> 10 softmax on digits, minibatch SGD (lr 0.1, batch 32,
50 epochs), hand-written backprop (numpy).  Data --digits PATH (label, 64 pixels 0..16); input =
pixel / 16; row r is test when r % 5 == 0.  Initial weights and batch orders from splitmix64(7)
(common.mlp_init_and_orders).  Timed: the 50 epochs.  Prints final train loss, train accuracy and
test accuracy (argmax, ties to the lowest class): 0.057808 0.9910 0.9667 at the spec's precision."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from common import arg, blas_info, emit, info, load_digits, mlp_init_and_orders  # noqa: E402

HIDDEN, CLASSES, EPOCHS, BATCH, LR = 32, 10, 50, 32, 0.1


def forward(X, W1, b1, W2, b2):
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return h, e / e.sum(axis=1, keepdims=True)


def main():
    info(f"numpy {np.__version__}")
    xtr, ytr, xte, yte = load_digits(arg("digits"))
    Xtr, Xte, ytr, yte = np.array(xtr), np.array(xte), np.array(ytr), np.array(yte)
    Ttr = np.eye(CLASSES)[ytr]
    w1, w2, orders = mlp_init_and_orders(len(ytr), hidden=HIDDEN, classes=CLASSES, epochs=EPOCHS)
    W1, W2 = np.array(w1), np.array(w2)
    b1, b2 = np.zeros(HIDDEN), np.zeros(CLASSES)
    orders = [np.array(o) for o in orders]
    blas_info("numpy BLAS")

    t = time.perf_counter()
    for order in orders:
        for s in range(0, len(order), BATCH):
            idx = order[s:s + BATCH]
            xb, tb = Xtr[idx], Ttr[idx]
            h, p = forward(xb, W1, b1, W2, b2)
            dz = (p - tb) / len(idx)
            dW2 = h.T @ dz
            db2 = dz.sum(axis=0)
            da = (dz @ W2.T) * (1.0 - h * h)
            dW1 = xb.T @ da
            db1 = da.sum(axis=0)
            W1 -= LR * dW1
            b1 -= LR * db1
            W2 -= LR * dW2
            b2 -= LR * db2
    secs = time.perf_counter() - t

    _, ptr = forward(Xtr, W1, b1, W2, b2)
    _, pte = forward(Xte, W1, b1, W2, b2)
    loss = float(-np.mean(np.log(ptr[np.arange(len(ytr)), ytr])))
    acc_tr = float(np.mean(ptr.argmax(axis=1) == ytr))
    acc_te = float(np.mean(pte.argmax(axis=1) == yte))
    emit("mlp_digits.numpy", secs, EPOCHS, "epoch", loss, acc_tr, acc_te)


if __name__ == "__main__":
    main()
