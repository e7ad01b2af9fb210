"""NumPy goldens for the outlier-aware activation quantizers (issue 15): per-token dynamic (torchao
Int8DynamicActivationInt8WeightConfig, version 2) and per-embedding-group (PEG, Bondarenko et al. 2021).

Each formula is written here directly in NumPy float32, independently of QuantBench:

  per token (torchao quant_primitives._choose_qparams_affine SYMMETRIC + _quantize_affine_no_dtype_cast, int8):
      s_r = max(max(-min(min_k x[r,k], 0), max(max_k x[r,k], 0)) / 127.5, finfo(float32).eps)
      q[r,k] = clip(rint(x[r,k] * (1 / s_r)), -128, 127)

  PEG (asymmetric uint8, torch.ao observer rule, static min/max per group of K/G columns):
      per column k: m_k = min over calibration rows, M_k = max; order = stable argsort of (M_k - m_k) if permuted
      group g = positions [g*K/G, (g+1)*K/G) of order; lo_g = min m, hi_g = max M over its columns
      s_g = max((max(hi_g, 0) - min(lo_g, 0)) / 255, eps);  z_g = clip(0 - rint(min(lo_g, 0) / s_g), 0, 255)
      q[r,j] = clip(rint(x[r, order[j]] * (1 / s_g)) + z_g, 0, 255),  g = group of position j

Floats are stored as their IEEE-754 bit patterns (uint32) so the Swift test reads them exactly.
Run:  /tmp/goldenv/bin/python Tools/goldens/make_outlier_goldens.py
Writes Tests/Fixtures/outlier-quantizers/quantizers.json.
"""
import json
import os
import sys

import numpy as np

F = np.float32
EPS = F(np.finfo(np.float32).eps)


def bits(a):
    return np.asarray(a, dtype=np.float32).reshape(-1).view(np.uint32).tolist()


def per_token(x):
    x = np.asarray(x, dtype=np.float32)
    mn = np.minimum(x.min(axis=1), F(0))
    mx = np.maximum(x.max(axis=1), F(0))
    s = np.maximum(np.maximum(-mn, mx) / F(127.5), EPS).astype(np.float32)
    inv = (F(1) / s).astype(np.float32)
    q = np.clip(np.rint((x * inv[:, None]).astype(np.float32)), -128, 127).astype(np.int64)
    return s, q


def peg(cal, x, groups, permute):
    cal = np.asarray(cal, dtype=np.float32)
    x = np.asarray(x, dtype=np.float32)
    k = cal.shape[1]
    assert k % groups == 0
    m = cal.min(axis=0)
    M = cal.max(axis=0)
    order = np.argsort((M - m).astype(np.float32), kind="stable") if permute else np.arange(k)
    w = k // groups
    lo = np.array([m[order[g * w:(g + 1) * w]].min() for g in range(groups)], dtype=np.float32)
    hi = np.array([M[order[g * w:(g + 1) * w]].max() for g in range(groups)], dtype=np.float32)
    lo = np.minimum(lo, F(0))
    hi = np.maximum(hi, F(0))
    s = np.maximum((hi - lo) / F(255), EPS).astype(np.float32)
    z = np.clip(0 - np.rint((lo / s).astype(np.float32)), 0, 255).astype(np.int64)
    inv = (F(1) / s).astype(np.float32)
    xp = x[:, order]
    g_of = np.arange(k) // w
    v = (xp * inv[g_of][None, :]).astype(np.float32)
    q = np.clip(np.rint(v) + z[g_of][None, :], 0, 255).astype(np.int64)
    return order, s, z, q


def main():
    rng = np.random.default_rng(20211215)
    cases_tok = []

    def add_tok(name, x):
        x = np.asarray(x, dtype=np.float32)
        s, q = per_token(x)
        cases_tok.append({"name": name, "rows": x.shape[0], "cols": x.shape[1], "x_bits": bits(x),
                          "scale_bits": bits(s), "codes": q.reshape(-1).tolist()})

    x = rng.standard_normal((16, 48)).astype(np.float32)
    x[:, 5] *= 30  # an outlier dimension
    add_tok("random-with-outlier-dim", x)
    special = np.zeros((6, 8), dtype=np.float32)
    special[0] = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 127.5, -3.5]         # s = 1: exact ties, 127.5 -> 128 -> 127
    special[1] = [1.0, 3.0, 5.0, -1.0, -3.0, 255.0, -255.0, 7.0]        # s = 2: ties at x / 2 = .5
    special[2] = 0.0                                                    # zeros: s = eps
    special[3] = 3.0                                                    # all equal, positive
    special[4] = -3.0                                                   # all equal, negative
    special[5] = [-127.5, 0.25, 0.75, 63.5, -63.5, 1e-3, -1e-3, 0.0]    # s = 1, min side
    add_tok("ties-zeros-all-equal", special)
    add_tok("wide-random", (rng.standard_normal((5, 200)) * rng.uniform(1e-3, 1e3, (5, 1))).astype(np.float32))

    cases_peg = []

    def add_peg(name, cal, x, groups, permute):
        cal = np.asarray(cal, dtype=np.float32)
        x = np.asarray(x, dtype=np.float32)
        order, s, z, q = peg(cal, x, groups, permute)
        cases_peg.append({"name": name, "groups": groups, "permute": permute, "cols": x.shape[1],
                          "calibration_rows": cal.shape[0], "calibration_bits": bits(cal),
                          "rows": x.shape[0], "x_bits": bits(x), "order": [int(i) for i in order],
                          "scale_bits": bits(s), "zero_points": z.tolist(), "codes": q.reshape(-1).tolist()})

    cal = rng.standard_normal((40, 48)).astype(np.float32)
    cal[:, [7, 30]] *= 25  # outlier dimensions
    cal[:, 11] += 4
    xt = rng.standard_normal((12, 48)).astype(np.float32) * 1.5
    xt[:, [7, 30]] *= 25
    xt[0] = 0
    xt[1] = 0.75
    for permute in (False, True):
        for groups in (1, 3, 6):
            add_peg(f"random-g{groups}-{'permuted' if permute else 'plain'}", cal, xt, groups, permute)
    # s = 1, z = 100 in every group: exact ties, zeros, all-equal rows, clamping
    tcal = np.zeros((2, 8), dtype=np.float32)
    tcal[0] = -100
    tcal[1] = 155
    tx = np.array([[0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, -3.5],
                   [0, 0, 0, 0, 0, 0, 0, 0],
                   [7.25] * 8,
                   [300, -300, 155.5, -100.5, 154.5, -99.5, 1e9, -1e9]], dtype=np.float32)
    add_peg("ties-zeros-all-equal-clamp", tcal, tx, 2, False)
    # equal ranges everywhere: the stable sort keeps column order
    ecal = np.tile(np.array([[-1.0], [1.0]], dtype=np.float32), (1, 6))
    add_peg("equal-ranges-stable-order", ecal, rng.standard_normal((3, 6)).astype(np.float32), 3, True)

    out = {
        "generator": "Tools/goldens/make_outlier_goldens.py",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "per_token": cases_tok,
        "peg": cases_peg,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    dest = os.path.join(here, "..", "..", "Tests", "Fixtures", "outlier-quantizers", "quantizers.json")
    with open(dest, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(dest, len(cases_tok), "per-token cases,", len(cases_peg), "PEG cases")


if __name__ == "__main__":
    main()
