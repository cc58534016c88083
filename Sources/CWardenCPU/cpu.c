#include "warden_cpu.h"

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

int warden_cpu_features(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, movbe = (c >> 22) & 1, popcnt = (c >> 23) & 1;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return 0;
    unsigned long long xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return 0;  // XMM and YMM state
    unsigned int a7, b7, c7, d7;
    if (!__get_cpuid_count(7, 0, &a7, &b7, &c7, &d7)) return 0;
    unsigned int ae, be, ce, de;
    int lzcnt = 0;
    if (__get_cpuid(0x80000001, &ae, &be, &ce, &de)) lzcnt = (ce >> 5) & 1;
    int avx2 = (b7 >> 5) & 1, bmi1 = (b7 >> 3) & 1, bmi2 = (b7 >> 8) & 1;
    int result = 0;
    if (fma && movbe && popcnt && f16c && avx2 && bmi1 && bmi2 && lzcnt) result |= WARDEN_CPU_AVX2;
    int f = (b7 >> 16) & 1, dq = (b7 >> 17) & 1, cd = (b7 >> 28) & 1, bw = (b7 >> 30) & 1, vl = (b7 >> 31) & 1;
    if ((result & WARDEN_CPU_AVX2) && f && dq && cd && bw && vl && (xcr0 & 0xE0) == 0xE0) result |= WARDEN_CPU_AVX512;
    return result;
}
#else
int warden_cpu_features(void) { return 0; }
#endif
