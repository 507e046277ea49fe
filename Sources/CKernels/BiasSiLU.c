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


static inline float exp_f32(float x) {
  const float upper = 88.029691931113054f, lower = -87.336544750553102f;
  float y = x < lower ? lower : (x > upper ? upper : x);
  const float shifter = 12582912.0f;  // 1.5·2²³
  float k = y * 1.442695040888963407359924681001892137f + shifter;
  float n = k - shifter;
  float r = (y - n * 0.693359375f) - n * -2.12194440054690582768e-4f;
  float p = 1.98412698412698412698e-4f;
  p = p * r + 1.38888888888888888889e-3f;
  p = p * r + 8.33333333333333333333e-3f;
  p = p * r + 4.16666666666666666667e-2f;
  p = p * r + 1.66666666666666666667e-1f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  uint32_t bits;
  memcpy(&bits, &k, sizeof bits);
  uint32_t biased = (bits & 0x7fffffu) - (1u << 22) + 127u;
  uint32_t scaleBits = (biased & 0xffu) << 23;
  float scale;
  memcpy(&scale, &scaleBits, sizeof scale);
  return p * scale;
}

static inline double exp_f64(double x) {
  const double upper = 709.089565712824051, lower = -708.396418532264106;
  double y = x < lower ? lower : (x > upper ? upper : x);
  const double shifter = 6755399441055744.0;  // 1.5·2⁵²
  double k = y * 1.442695040888963407359924681001892137 + shifter;
  double n = k - shifter;
  double r = (y - n * 0.693147180369123816490) - n * 1.90821492927058770002e-10;
  double p = 1.60590438368216145994e-10;
  p = p * r + 2.08767569878680989792e-9;
  p = p * r + 2.50521083854417187751e-8;
  p = p * r + 2.75573192239858906526e-7;
  p = p * r + 2.75573192239858906526e-6;
  p = p * r + 2.48015873015873015873e-5;
  p = p * r + 1.98412698412698412698e-4;
  p = p * r + 1.38888888888888888889e-3;
  p = p * r + 8.33333333333333333333e-3;
  p = p * r + 4.16666666666666666667e-2;
  p = p * r + 1.66666666666666666667e-1;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  uint64_t bits;
  memcpy(&bits, &k, sizeof bits);
  uint64_t biased = (bits & 0xfffffffffffffull) - (1ull << 51) + 1023ull;
  uint64_t scaleBits = (biased & 0x7ffull) << 52;
  double scale;
  memcpy(&scale, &scaleBits, sizeof scale);
  return p * scale;
}

// One body for both precisions: T is the scalar type, EXP its exponential.
#define SCORESDE_BIAS_SILU(NAME, T, EXP)                                                          \
  SCORESDE_CLONES                                                                                 \
  void NAME(T *restrict values, T *restrict derivative, const T *restrict bias,                   \
            const T *restrict residual, long rows, long columns) {                                \
    for (long i = 0; i < rows; i++) {                                                             \
      T *restrict v = values + i * columns;                                                       \
      if (derivative && residual) {                                                               \
        T *restrict d = derivative + i * columns;                                                 \
        const T *restrict q = residual + i * columns;                                             \
        for (long j = 0; j < columns; j++) {                                                      \
          T z = v[j] + bias[j];                                                                   \
          T s = 1 / (1 + EXP(-z));                                                                \
          v[j] = z * s + q[j];                                                                    \
          d[j] = s * (1 + z * (1 - s));                                                           \
        }                                                                                         \
      } else if (derivative) {                                                                    \
        T *restrict d = derivative + i * columns;                                                 \
        for (long j = 0; j < columns; j++) {                                                      \
          T z = v[j] + bias[j];                                                                   \
          T s = 1 / (1 + EXP(-z));                                                                \
          v[j] = z * s;                                                                           \
          d[j] = s * (1 + z * (1 - s));                                                           \
        }                                                                                         \
      } else if (residual) {                                                                      \
        const T *restrict q = residual + i * columns;                                             \
        for (long j = 0; j < columns; j++) {                                                      \
          T z = v[j] + bias[j];                                                                   \
          v[j] = z * (1 / (1 + EXP(-z))) + q[j];                                                  \
        }                                                                                         \
      } else {                                                                                    \
        for (long j = 0; j < columns; j++) {                                                      \
          T z = v[j] + bias[j];                                                                   \
          v[j] = z * (1 / (1 + EXP(-z)));                                                         \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }

SCORESDE_BIAS_SILU(scoresde_bias_silu_f32, float, exp_f32)
SCORESDE_BIAS_SILU(scoresde_bias_silu_f64, double, exp_f64)
