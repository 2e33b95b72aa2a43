/* (c, 2M) rosenbrock_gd compiled from C: the spec's loop and operation order, lr = 0.001,
   from (-1.5, 2), argv[1] steps (default 2,000,000).  Built with -O2 -ffp-contract=off so no
   fused multiply-add changes the bits.  Prints x y f, %.17g. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long steps = argc > 1 ? atol(argv[1]) : 2000000;
    double x = -1.5, y = 2.0, lr = 0.001;
    for (long s = 0; s < steps; s++) {
        double t = y - x * x;
        double gx = -2.0 * (1.0 - x) - 400.0 * x * t;
        double gy = 200.0 * t;
        x = x - lr * gx;
        y = y - lr * gy;
    }
    double a = 1.0 - x, b = y - x * x;
    double f = a * a + 100.0 * b * b;
    printf("%.17g %.17g %.17g\n", x, y, f);
    return 0;
}
