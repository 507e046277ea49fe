// SCORESDE_CLONES: build a function for baseline x86-64, x86-64-v3 (AVX2, FMA) and x86-64-v4
// (AVX-512), and let the dynamic loader pick one through an ifunc resolver.
//
// Not under a sanitizer or coverage instrumentation: the resolver runs while the loader
// relocates the program, before any sanitizer runtime is initialised, and an instrumented
// resolver crashes there (seen with -sanitize=thread). Those builds get the baseline version,
// which computes the same bits.
#ifndef SCORESDE_CLONES_H
#define SCORESDE_CLONES_H

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer) || \
    __has_feature(memory_sanitizer) || __has_feature(coverage_sanitizer)
#define SCORESDE_INSTRUMENTED 1
#endif
#endif

#if defined(__x86_64__) && defined(__clang__) && defined(__ELF__) && !defined(SCORESDE_INSTRUMENTED)
#define SCORESDE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SCORESDE_CLONES
#endif

#endif
