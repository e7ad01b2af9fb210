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
    /// CPUID.(EAX=7,ECX=1):EAX bit 5 (vdpbf16ps, vcvtne2ps2bf16), with the OS saving zmm state.
    int avx512_bf16;
    /// CPUID.(EAX=7,ECX=0):EDX bits 24 (AMX-TILE), 25 (AMX-INT8), 22 (AMX-BF16), masked by XCR0 bits 17–18
    /// (XTILECFG, XTILEDATA). Using the tiles also needs the OS permission below.
    int amx_tile, amx_int8, amx_bf16;
} qb_cpu_features;

/// Fills `out` from CPUID; all zero on non-x86 builds.
void qb_cpu_detect(qb_cpu_features *out);

/// Linux: asks once (pthread_once) for permission to use AMX tile data, arch_prctl(ARCH_REQ_XCOMP_PERM,
/// XFEATURE_XTILEDATA = 18), then reads it back with ARCH_GET_XCOMP_PERM. Returns 1 if granted, 0 if the kernel
/// refused (or is older than Linux 5.16, or this is not Linux), -1 if not asked because the CPU has no AMX-TILE.
/// The dispatcher calls it before choosing the AMX family; `qbench doctor` prints it.
int qb_cpu_amx_permission(void);

/// Writes the CPUID brand string (e.g. "AMD EPYC 9654 96-Core Processor") into buf (at least 49 bytes).
void qb_cpu_brand(char *buf, int len);

/// The spin-wait hint (x86 PAUSE; nothing elsewhere): what a thread polling a flag executes between two reads
/// (TensorCore's WorkerPool), so it leaves the core's resources to others while it waits.
void qb_cpu_relax(void);

#ifdef __cplusplus
}
#endif
#endif
