// Element-wise kernels of the score network, in C so that the compiler can build AVX2 and
// AVX-512 versions of them beside the baseline x86-64 one and pick one when the library loads
// (Swift code is compiled for the baseline only). Each computes exactly what the generic Swift
// code computes, operation for operation, so the results are the same bits on every CPU.
#ifndef SCORESDE_CKERNELS_H
#define SCORESDE_CKERNELS_H

/// vᵢⱼ ← silu(vᵢⱼ + bⱼ) (+ rᵢⱼ) and, when `derivative` is not NULL, dᵢⱼ ← silu′(vᵢⱼ + bⱼ), over
/// a row-major `rows × columns` buffer; `residual` (may be NULL) has the same shape.
void scoresde_bias_silu_f32(float *values, float *derivative, const float *bias, const float *residual,
                            long rows, long columns);
/// The double-precision twin of `scoresde_bias_silu_f32`.
void scoresde_bias_silu_f64(double *values, double *derivative, const double *bias,
                            const double *residual, long rows, long columns);

/// One Adam step on `count` entries (Kingma & Ba 2015; decoupled decay of Loshchilov & Hutter
/// 2019): gᵢ ← gᵢ + l2·pᵢ, mᵢ ← β₁mᵢ + (1 − β₁)gᵢ, vᵢ ← β₂vᵢ + (1 − β₂)gᵢ², and
/// pᵢ ← pᵢ·shrink − stepSize·mᵢ / (√vᵢ·inverseRootCorrection2 + ε).
void scoresde_adam_f32(float *parameters, const float *gradients, float *firstMoments, float *secondMoments,
                       long count, float l2, float beta1, float beta2, float epsilon, float shrink, float stepSize,
                       float inverseRootCorrection2);
/// The double-precision twin of `scoresde_adam_f32`.
void scoresde_adam_f64(double *parameters, const double *gradients, double *firstMoments,
                       double *secondMoments, long count, double l2, double beta1, double beta2,
                       double epsilon, double shrink, double stepSize, double inverseRootCorrection2);

#endif
