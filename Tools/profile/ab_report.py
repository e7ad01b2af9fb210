#!/usr/bin/env python3
"""Medians and ratios of ab.sh rows: usage ab_report.py /tmp/qb-ab-NAME"""
import sys, statistics as st, collections
name = sys.argv[1]
rows = collections.defaultdict(list)
examples = {}
for line in open(f'{name}/rows'):
    parts = line.split()
    binname, rnd = parts[0], parts[1]
    cells = [c.strip() for c in line.split('|')[1:-1]]
    var, thr, med, msx, _, cpu, _ = cells
    rows[(binname, var, int(thr))].append((float(med), float(msx), float(cpu)))
print(f"| {name} | threads | old ms/ex (median) | new ms/ex (median) | new/old wall speed-up | old CPU s | new CPU s | CPU speed-up | n |")
print("|---|---|---|---|---|---|---|---|---|")
for var in ['fp32', 'pytorch-dynamic']:
    for t in [1, 2]:
        o, n = rows.get(('old', var, t), []), rows.get(('new', var, t), [])
        if not o or not n: continue
        om, nm = st.median([x[1] for x in o]), st.median([x[1] for x in n])
        oc, nc = st.median([x[2] for x in o]), st.median([x[2] for x in n])
        # per-round paired ratio (alternation)
        pr = st.median([a[1] / b[1] for a, b in zip(o, n)])
        print(f"| {var} | {t} | {om:.1f} | {nm:.1f} | {pr:.2f}x (paired median; ratio of medians {om/nm:.2f}x) | {oc:.2f} | {nc:.2f} | {oc/nc:.2f}x | {len(o)} |")
# int8 vs fp32 within binary
for b in ['old', 'new']:
    for t in [1, 2]:
        f, q = rows.get((b, 'fp32', t), []), rows.get((b, 'pytorch-dynamic', t), [])
        if f and q:
            print(f"{b} t{t}: pytorch-dynamic vs fp32 (same binary, same round) wall {st.median([a[1]/c[1] for a, c in zip(f, q)]):.2f}x, CPU {st.median([a[2]/c[2] for a, c in zip(f, q)]):.2f}x")
