#!/usr/bin/env python3
"""Buckets `perf script` output of a qbench run by kernel; prints a Markdown table (share, CPU s, ms/example).

usage: perf script -i perf.data | perf_buckets.py [sampling_hz] [examples]
"""
import collections
import sys


def bucket(stack):
    """Bucket of one sample from its call stack (leaf first), or None for samples outside the forward pass."""
    leaf, s = stack[0], ' '.join(stack)
    if 'ZEN' in leaf or 'HASWELL' in leaf or 'SKYLAKEX' in leaf or 'sgemm' in leaf or 'openblas' in s:
        return 'sgemm (linear layers; attention before qb_attention; OpenBLAS has no frame pointers)'
    if 'BertModelV7forward' not in s and 'BertModelV11forwardBody' not in s:
        return None
    if 'softmax' in leaf: return 'attention softmax'
    if 'qb_attention' in leaf or 'qb_attn_' in leaf: return 'attention matmuls (fused qb_attention: QK^T, PV, K transpose)'
    if 'qb_avx2_driver' in leaf or 'qb_qgemm' in leaf or 'qb_avx2_' in leaf or 'vnni' in leaf: return 'int8 GEMM'
    if 'memmove' in leaf and 'qb_qgemm' in s: return 'int8 GEMM (A block copy)'
    if 'minmax' in leaf: return 'activation quantization: min/max'
    if 'quantize' in leaf: return 'activation quantization: quantize'
    if 'requant' in leaf: return 'requantization epilogue (separate pass)'
    if 'layernorm' in leaf.lower() or 'layerNorm' in leaf: return 'LayerNorm (+ residual add)'
    if 'gelu' in leaf.lower(): return 'GELU'
    if '[kernel' in leaf or leaf.startswith('0xffff'): return 'kernel (page faults, scheduling)'
    if any(w in leaf for w in ('memmove', 'memset', 'malloc', 'free', 'repeating')): return 'allocation / copies'
    if any(w in leaf for w in ('dispatch', 'pthread', 'futex', 'sched')): return 'threading'
    if 'BertModel' in leaf: return 'embeddings / forward glue'
    return 'other'


def main():
    hz = float(sys.argv[1]) if len(sys.argv) > 1 else 999
    examples = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    counts, stack = collections.Counter(), []
    for line in list(sys.stdin) + ['\n']:
        if not line.strip():
            if stack and (b := bucket(stack)):
                counts[b] += 1
            stack = []
        elif line.startswith((' ', '\t')):
            parts = line.strip().split(None, 1)
            stack.append(parts[1] if len(parts) > 1 else parts[0])
    total = sum(counts.values()) or 1
    print('| bucket | share | CPU s |' + (' ms/example |' if examples else ''))
    print('|---|---|---|' + ('---|' if examples else ''))
    for b, n in counts.most_common():
        print(f'| {b} | {100 * n / total:.1f}% | {n / hz:.2f} |' + (f' {1000 * n / hz / examples:.1f} |' if examples else ''))
    print(f'| total | 100% | {total / hz:.2f} |' + (f' {1000 * total / hz / examples:.1f} |' if examples else ''))


if __name__ == '__main__':
    main()
