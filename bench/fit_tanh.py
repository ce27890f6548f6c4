#!/usr/bin/python3
"""Derives the float tanh approximation of include/ctnn/kernels/activation.hpp.

    tanh(x) ~ x P(x^2) / Q(x^2) on |x| <= 9 (clamped beyond: 1 - tanh(9) < 3e-8),
    P and Q of degree 4, Q(0) = 1.

A minimax fit of the rational function (iteratively reweighted linearised least squares),
then Q is rounded to float and P refitted against it, rounding one coefficient at a time,
so that the printed float coefficients are the ones the fit was finished with.
The float evaluation error (about 2.8e-7 absolute, measured by
tests/unit/kernels.cpp) is dominated by rounding in the nine FMAs, not by the fit (3e-8).

Run: /usr/bin/python3 bench/fit_tanh.py   (needs numpy, which python3-torch brings)
"""
import numpy as np

DEGREE_P, DEGREE_Q, CLAMP = 4, 4, 9.0
x = np.linspace(0.0, CLAMP, 40001)[1:]
s, t = x * x, np.tanh(x)


def rational_fit(iterations=60):
    weight, q_values, best = np.ones_like(x), np.ones_like(x), None
    for _ in range(iterations):
        a = np.hstack([np.stack([x * s**k for k in range(DEGREE_P + 1)], 1),
                       np.stack([-t * s**k for k in range(1, DEGREE_Q + 1)], 1)])
        scale = weight / q_values
        coef, *_ = np.linalg.lstsq(a * scale[:, None], t * scale, rcond=None)
        p, q = coef[:DEGREE_P + 1], np.concatenate([[1.0], coef[DEGREE_P + 1:]])
        q_values = sum(q[k] * s**k for k in range(DEGREE_Q + 1))
        err = x * sum(p[k] * s**k for k in range(DEGREE_P + 1)) / q_values - t
        worst = np.abs(err).max()
        if best is None or worst < best[0]:
            best = (worst, p.copy(), q.copy())
        weight = weight * np.sqrt(np.abs(err) / worst + 1e-3)
        weight /= weight.max()
    return best


def linear_minimax(basis, target, iterations=200):
    weight, best = np.ones(len(target)), None
    for _ in range(iterations):
        root = np.sqrt(weight)
        coef, *_ = np.linalg.lstsq(basis * root[:, None], target * root, rcond=None)
        err = basis @ coef - target
        worst = np.abs(err).max()
        if best is None or worst < best[0]:
            best = (worst, coef)
        weight = weight * np.abs(err)
        weight /= weight.sum()
    return best


def main():
    worst, p, q = rational_fit()
    q = q.astype(np.float32).astype(np.float64)
    q_values = sum(q[k] * s**k for k in range(DEGREE_Q + 1))
    fixed = {}
    for k in range(DEGREE_P + 1):
        free = [j for j in range(DEGREE_P + 1) if j not in fixed]
        rest = t - sum(c * x * s**j / q_values for j, c in fixed.items())
        worst, coef = linear_minimax(np.stack([x * s**j / q_values for j in free], 1), rest)
        fixed[k] = float(np.float32(coef[0]))
    print(f"// fit error {worst:.2e} on [0, {CLAMP}]")
    print("P:", ", ".join(f"{np.float32(fixed[k]).item()!r}f" for k in range(DEGREE_P + 1)))
    print("Q:", ", ".join(f"{np.float32(c).item()!r}f" for c in q))


if __name__ == "__main__":
    main()
