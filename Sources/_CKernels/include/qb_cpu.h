// CPU feature detection (CPUID + XGETBV). The only place the process asks the CPU what it supports;
// kernel dispatch (qb_dispatch.c) and `qbench doctor` both read it from here.
#ifndef QB_CPU_H
#define QB_CPU_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Feature bits of the running CPU, already masked by what the OS saves in XSAVE state.
typedef struct qb_cpu_features {
    int sse42, avx, avx2, fma, f16c;
    int avx512f, avx512bw, avx512vl, avx512dq, avx512_vnni, avx_vnni;
} qb_cpu_features;

/// Fills `out` from CPUID; all zero on non-x86 builds.
void qb_cpu_detect(qb_cpu_features *out);

/// Writes the CPUID brand string (e.g. "AMD EPYC 9654 96-Core Processor") into buf (at least 49 bytes).
void qb_cpu_brand(char *buf, int len);

#ifdef __cplusplus
}
#endif
#endif
