#ifndef WARDEN_CPU_H
#define WARDEN_CPU_H

/// AVX2 + FMA and the rest of what `-target-cpu haswell` may emit (BMI1/2, LZCNT, MOVBE, F16C,
/// POPCNT), with YMM state enabled by the OS.
#define WARDEN_CPU_AVX2 1
/// AVX-512 F/CD/BW/DQ/VL (what `-target-cpu skylake-avx512` may emit), with ZMM and opmask state
/// enabled by the OS (XCR0 bits 5-7).
#define WARDEN_CPU_AVX512 2

/// The instruction sets this CPU and OS support, as WARDEN_CPU_* bits (0 on non-x86 CPUs), from
/// cpuid and xgetbv.
int warden_cpu_features(void);

/// A spin-wait hint (`pause` on x86, `yield` on ARM): lets the sibling hyper-thread run and saves power
/// while a thread polls a flag another thread will set within microseconds.
static inline void warden_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

#endif
