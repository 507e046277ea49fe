// The Adam update of ScoreNetworks' `Adam.update(_:along:)`, with the same operations in the
// same order, built for baseline x86-64, AVX2 and AVX-512 and picked when the library loads.
#include "CKernels.h"
#include "Clones.h"

// No fused multiply-adds, so that every version rounds like the Swift code (see BiasSiLU.c).
#pragma clang fp contract(off)


// __builtin_elementwise_sqrt is the correctly rounded square root without errno, so the loop
// vectorises (sqrt/sqrtf may set errno).
#define SCORESDE_ADAM(NAME, T)                                                                     \
  SCORESDE_CLONES                                                                                 \
  void NAME(T *restrict p, const T *restrict g, T *restrict m, T *restrict v, long count, T l2, T b1,  \
            T b2, T eps, T shrink, T stepSize, T inverseRootCorrection2) {                        \
    for (long i = 0; i < count; i++) {                                                            \
      T gi = g[i] + l2 * p[i];                                                                    \
      T mi = b1 * m[i] + (1 - b1) * gi;                                                           \
      T vi = b2 * v[i] + (1 - b2) * gi * gi;                                                      \
      m[i] = mi;                                                                                  \
      v[i] = vi;                                                                                  \
      p[i] = p[i] * shrink - stepSize * mi / (__builtin_elementwise_sqrt(vi) * inverseRootCorrection2 + eps); \
    }                                                                                             \
  }

SCORESDE_ADAM(scoresde_adam_f32, float)
SCORESDE_ADAM(scoresde_adam_f64, double)
