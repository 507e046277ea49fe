// silu(z) = z·s(z), s(z) = 1/(1 + e⁻ᶻ), silu′(z) = s(z)·(1 + z·(1 − s(z))), with e⁻ᶻ from the
// same vectorisable exponential as ScoreNetworks' `BLASScalar.vectorizableExp` (Cody–Waite
// reduction, Taylor polynomial of degree 7 for float and 13 for double, 2ⁿ from exponent bits),
// written with the same operations in the same order.
#include "CKernels.h"
#include "Clones.h"

#include <stdint.h>
#include <string.h>

// No fused multiply-adds: every version (baseline, AVX2, AVX-512) then rounds each operation
// alike, and all agree bit for bit with the Swift code, which never fuses.
#pragma clang fp contract(off)


// One exponential for both precisions: T is the scalar, U the unsigned integer of its width.
// y = x clamped to the finite range; n = round(y/ln 2) by adding the shifter 1.5·2^MANT (n lands
// in k's low significand bits); r = y − n·ln 2 with ln 2 in two parts (Cody–Waite); eʳ by
// Horner's rule on the Taylor coefficients 1/N!, …, 1/2, 1, 1 (highest first, a constant-length
// loop the compiler unrolls); 2ⁿ from those bits moved into the exponent field.
#define SCORESDE_EXP(NAME, T, U, MANT, BIAS, EXPMASK, UPPER, LOWER, SHIFTER, LOG2E, LN2HI, LN2LO, ...)    \
  static inline T NAME(T x) {                                                                     \
    static const T taylor[] = {__VA_ARGS__};                                                      \
    const T upper = UPPER, lower = LOWER;                                                         \
    T y = x < lower ? lower : (x > upper ? upper : x);                                            \
    const T shifter = SHIFTER;                                                                    \
    T k = y * LOG2E + shifter;                                                                    \
    T n = k - shifter;                                                                            \
    T r = (y - n * LN2HI) - n * LN2LO;                                                            \
    T p = taylor[0];                                                                              \
    for (unsigned i = 1; i < sizeof taylor / sizeof taylor[0]; i++) p = p * r + taylor[i];        \
    U bits;                                                                                       \
    memcpy(&bits, &k, sizeof bits);                                                               \
    U biased = (bits & (((U)1 << MANT) - 1)) - ((U)1 << (MANT - 1)) + BIAS;                       \
    U scaleBits = (biased & EXPMASK) << MANT;                                                     \
    T scale;                                                                                      \
    memcpy(&scale, &scaleBits, sizeof scale);                                                     \
    return p * scale;                                                                             \
  }

// Degree 7 for float (1.5·2²³), degree 13 for double (1.5·2⁵²).
SCORESDE_EXP(exp_f32, float, uint32_t, 23, 127u, 0xffu, 88.029691931113054f, -87.336544750553102f,
             12582912.0f, 1.442695040888963407359924681001892137f, 0.693359375f,
             -2.12194440054690582768e-4f, 1.98412698412698412698e-4f, 1.38888888888888888889e-3f,
             8.33333333333333333333e-3f, 4.16666666666666666667e-2f, 1.66666666666666666667e-1f, 0.5f,
             1.0f, 1.0f)
SCORESDE_EXP(exp_f64, double, uint64_t, 52, 1023ull, 0x7ffull, 709.089565712824051, -708.396418532264106,
             6755399441055744.0, 1.442695040888963407359924681001892137, 0.693147180369123816490,
             1.90821492927058770002e-10, 1.60590438368216145994e-10, 2.08767569878680989792e-9,
             2.50521083854417187751e-8, 2.75573192239858906526e-7, 2.75573192239858906526e-6,
             2.48015873015873015873e-5, 1.98412698412698412698e-4, 1.38888888888888888889e-3,
             8.33333333333333333333e-3, 4.16666666666666666667e-2, 1.66666666666666666667e-1, 0.5, 1.0,
             1.0)

// One body for both precisions: T is the scalar type, EXP its exponential. NAME##_row is the one
// loop over a row; the kernel calls it with constant flags for the four combinations of a
// derivative and a residual, so each inlined copy is its own branch-free, vectorisable loop.
#define SCORESDE_BIAS_SILU(NAME, T, EXP)                                                          \
  static inline __attribute__((always_inline)) void NAME##_row(                                   \
      T *restrict v, T *restrict d, const T *restrict bias, const T *restrict q, long columns,     \
      const int withDerivative, const int withResidual) {                                         \
    for (long j = 0; j < columns; j++) {                                                          \
      T z = v[j] + bias[j];                                                                       \
      T s = 1 / (1 + EXP(-z));                                                                    \
      v[j] = withResidual ? z * s + q[j] : z * s;                                                 \
      if (withDerivative) d[j] = s * (1 + z * (1 - s));                                           \
    }                                                                                             \
  }                                                                                               \
                                                                                                  \
  SCORESDE_CLONES                                                                                 \
  void NAME(T *restrict values, T *restrict derivative, const T *restrict bias,                   \
            const T *restrict residual, long rows, long columns) {                                \
    for (long i = 0; i < rows; i++) {                                                             \
      T *restrict v = values + i * columns;                                                       \
      T *restrict d = derivative ? derivative + i * columns : 0;                                  \
      const T *restrict q = residual ? residual + i * columns : 0;                                \
      if (d && q) NAME##_row(v, d, bias, q, columns, 1, 1);                                       \
      else if (d) NAME##_row(v, d, bias, q, columns, 1, 0);                                       \
      else if (q) NAME##_row(v, d, bias, q, columns, 0, 1);                                       \
      else NAME##_row(v, d, bias, q, columns, 0, 0);                                              \
    }                                                                                             \
  }

SCORESDE_BIAS_SILU(scoresde_bias_silu_f32, float, exp_f32)
SCORESDE_BIAS_SILU(scoresde_bias_silu_f64, double, exp_f64)
