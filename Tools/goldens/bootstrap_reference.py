#!/usr/bin/env python3
"""An independent Python implementation of QuantBench's paired bootstrap (Sources/Datasets/PairedBootstrap.swift)
and exact McNemar test, for the constants pasted in Tests/DatasetsTests/PairedBootstrapTests.swift.

    python3 Tools/goldens/bootstrap_reference.py

Bootstrap: SplitMix64 (TensorCore SeededRandom.next), indices below n by Lemire's multiply-shift with rejection
(SeededRandom.index(below:)), n draws per replicate shared by every classifier, F1 and accuracy from the integer
confusion counts, percentile interval = numpy.quantile's default ("linear") at 2.5% and 97.5%. McNemar: exact
two-sided binomial, p = min(1, 2 * P[X <= min(b, c)]), X ~ Bin(b + c, 1/2), in exact rational arithmetic.
"""
from fractions import Fraction
from math import comb

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def index_below(self, n):
        m = self.next() * n
        if (m & MASK) < n:
            threshold = ((1 << 64) - n) % n
            while (m & MASK) < threshold:
                m = self.next() * n
        return m >> 64


def quantile(sorted_values, q):
    h = (len(sorted_values) - 1) * q
    lo = int(h)
    if lo + 1 >= len(sorted_values):
        return sorted_values[-1]
    frac = h - lo
    return sorted_values[lo] if frac == 0 else sorted_values[lo] + frac * (sorted_values[lo + 1] - sorted_values[lo])


def bootstrap(labels, predictions, replicates, seed):
    n = len(labels)
    rng = SplitMix64(seed)
    f1 = [[] for _ in predictions]
    acc = [[] for _ in predictions]
    for _ in range(replicates):
        weight = [0] * n
        for _ in range(n):
            weight[rng.index_below(n)] += 1
        for s, pred in enumerate(predictions):
            tp = sum(w for w, p, l in zip(weight, pred, labels) if p == 1 and l == 1)
            fp = sum(w for w, p, l in zip(weight, pred, labels) if p == 1 and l != 1)
            fn = sum(w for w, p, l in zip(weight, pred, labels) if p != 1 and l == 1)
            tn = n - tp - fp - fn
            d = 2 * tp + fp + fn
            f1[s].append(0.0 if d == 0 else (2 * tp) / d)
            acc[s].append((tp + tn) / n)
    return f1, acc


def interval(values, confidence=0.95):
    tail = (1 - confidence) / 2
    v = sorted(values)
    return quantile(v, tail), quantile(v, 1 - tail)


def mcnemar(b, c):
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0
    return float(min(Fraction(1), 2 * Fraction(sum(comb(n, i) for i in range(k + 1)), 2 ** n)))


if __name__ == "__main__":
    # The data set of PairedBootstrapTests.testMatchesTheIndependentPythonImplementation.
    n = 60
    labels = [1 if (i * 7) % 11 < 6 else 0 for i in range(n)]
    a = [1 - l if i % 5 == 0 else l for i, l in enumerate(labels)]
    b = [1 - l if i % 3 == 0 else l for i, l in enumerate(labels)]
    f1, acc = bootstrap(labels, [a, b], replicates=200, seed=7)
    rng = SplitMix64(7)
    print("first indices below 408, seed 7:", [rng.index_below(408) for _ in range(5)])
    print("f1 a:", [repr(x) for x in interval(f1[0])])
    print("accuracy b:", [repr(x) for x in interval(acc[1])])
    print("delta f1 b - a:", [repr(x) for x in interval([y - x for x, y in zip(f1[0], f1[1])])])
    for bc in [(10, 2), (0, 5), (30, 45), (300, 380), (3000, 3200), (100, 300)]:
        print("mcnemar", bc, repr(mcnemar(*bc)))
