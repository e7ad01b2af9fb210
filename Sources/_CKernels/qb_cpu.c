#include "qb_cpu.h"
#include <pthread.h>
#include <string.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t qb_xgetbv0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

void qb_cpu_detect(qb_cpu_features *f) {
    memset(f, 0, sizeof(*f));
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    f->sse42 = (c >> 20) & 1;
    int osxsave = (c >> 27) & 1;
    int avx = (c >> 28) & 1;
    f->fma = (c >> 12) & 1;
    f->f16c = (c >> 29) & 1;
    uint64_t xcr0 = osxsave ? qb_xgetbv0() : 0;
    int ymm_ok = (xcr0 & 0x6) == 0x6;          // SSE + AVX state
    int zmm_ok = (xcr0 & 0xE6) == 0xE6;        // + opmask, ZMM_Hi256, Hi16_ZMM
    int tile_ok = (xcr0 & 0x60000) == 0x60000; // XTILECFG (17) + XTILEDATA (18)
    f->avx = avx && ymm_ok;
    if (!f->avx) { f->fma = 0; f->f16c = 0; return; }
    unsigned max_leaf = __get_cpuid_max(0, 0);
    if (max_leaf < 7) return;
    __cpuid_count(7, 0, a, b, c, d);
    f->avx2 = (b >> 5) & 1;
    if (zmm_ok) {
        f->avx512f = (b >> 16) & 1;
        f->avx512dq = (b >> 17) & 1;
        f->avx512bw = (b >> 30) & 1;
        f->avx512vl = (b >> 31) & 1;
        f->avx512_vnni = (c >> 11) & 1;
    }
    if (tile_ok) {
        f->amx_bf16 = (d >> 22) & 1;
        f->amx_tile = (d >> 24) & 1;
        f->amx_int8 = (d >> 25) & 1;
    }
    __cpuid_count(7, 1, a, b, c, d);
    f->avx_vnni = (a >> 4) & 1;
    if (zmm_ok) f->avx512_bf16 = (a >> 5) & 1; // CPUID.(EAX=7,ECX=1):EAX bit 5
}

void qb_cpu_brand(char *buf, int len) {
    if (len <= 0) return;
    buf[0] = 0;
    unsigned a, b, c, d;
    if (__get_cpuid_max(0x80000000, 0) < 0x80000004 || len < 49) return;
    unsigned regs[12];
    for (unsigned i = 0; i < 3; i++) {
        __cpuid(0x80000002 + i, a, b, c, d);
        regs[i * 4 + 0] = a; regs[i * 4 + 1] = b; regs[i * 4 + 2] = c; regs[i * 4 + 3] = d;
    }
    memcpy(buf, regs, 48);
    buf[48] = 0;
}

static int qb_amx_perm = -1;
static pthread_once_t qb_amx_perm_once = PTHREAD_ONCE_INIT;

static void qb_amx_request(void) {
    qb_cpu_features f;
    qb_cpu_detect(&f);
    if (!f.amx_tile) { qb_amx_perm = -1; return; }
#if defined(__linux__) && defined(SYS_arch_prctl)
    enum { ARCH_GET_XCOMP_PERM_ = 0x1022, ARCH_REQ_XCOMP_PERM_ = 0x1023, XFEATURE_XTILEDATA_ = 18 };
    unsigned long bitmask = 0;
    if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM_, XFEATURE_XTILEDATA_) == 0 &&
        syscall(SYS_arch_prctl, ARCH_GET_XCOMP_PERM_, &bitmask) == 0 && (bitmask >> XFEATURE_XTILEDATA_) & 1)
        qb_amx_perm = 1;
    else
        qb_amx_perm = 0;
#else
    qb_amx_perm = 0;
#endif
}

int qb_cpu_amx_permission(void) {
    pthread_once(&qb_amx_perm_once, qb_amx_request);
    return qb_amx_perm;
}
void qb_cpu_relax(void) { __builtin_ia32_pause(); }
#else
void qb_cpu_relax(void) {}
void qb_cpu_detect(qb_cpu_features *f) { memset(f, 0, sizeof(*f)); }
int qb_cpu_amx_permission(void) { return -1; }
void qb_cpu_brand(char *buf, int len) { if (len > 0) buf[0] = 0; }
#endif
