public import LinearAlgebra
public import RealModule

/// A general linear SDE with matrix drift and noise on a noise schedule,
///
///     dX = β(t)·(F X + c) dt + √β(t)·L dW,
///
/// with a `d × d` drift matrix `F`, an offset vector `c`, a `d × d` noise factor `L` and any
/// ``NoiseSchedule`` `β(t)`. Coupled, anisotropic Ornstein–Uhlenbeck processes, the VP SDE
/// (`F = −½I`, `L = I`, `c = 0`) and critically-damped Langevin diffusion on `(x, v)`
/// (Dockhorn, Vahdat & Kreis 2022) are all of this form.
///
/// **Kernel.** The time change `s = B(t) = ∫₀ᵗ β` makes the process time-homogeneous,
/// `dX = (F X + c) ds + L dW̃(s)`, so (Särkkä & Solin 2019, §6.2–6.3)
///
///     p_t(x | x₀) = N(Φ(t) x₀ + m(t), Σ(t)),   Φ = e^{B F},
///     m = ∫₀^B e^{F u} c du,   Σ = ∫₀^B e^{F u} L Lᵀ e^{Fᵀ u} du,
///
/// all three from one Van Loan block exponential (``LinearTransition``, Higham's Padé
/// exponential over LAPACKE solves). Kernels are computed in `Double` at each call (one
/// `(2d+1) × (2d+1)` exponential and one Cholesky factorisation per distinct time).
///
/// **Prior.** For a stable `F` (all eigenvalues with negative real part) and a controllable
/// pair `(F, L)`, the stationary law `N(μ_∞, Σ_∞)` with `μ_∞ = −F⁻¹c` and `F Σ_∞ + Σ_∞ Fᵀ + L Lᵀ
/// = 0` (a Lyapunov solve, ``Matrix/lyapunovSolution(drift:noiseCovariance:)``);
/// this is what `p_T` approaches as `B(T)` grows, and for the VP SDE it is `N(0, I)`. When the
/// Lyapunov solution is not positive definite (`F` not stable, as for the variance-exploding
/// `F = 0`), the prior is the kernel at `T` from `x₀ = 0`, `N(m(T), Σ(T))`
/// (``hasStationaryPrior`` is then `false`), as ``VESDE`` uses `N(0, σ_max²I)`.
///
/// **Batching.** Drift, prior sampling and prior densities are one GEMM on the batch. The
/// perturbation and conditional scores with one time for the whole batch are GEMMs too; with
/// per-row times each distinct time gets its kernel once and each row a `d × d` product.
///
/// ```swift
/// let f = Matrix<Double>([[-1, 2, 0], [-0.5, -0.3, 0.4], [0.2, 0, -2.5]])
/// let sde = try LinearSDE(drift: f, noise: .identity(3), schedule: .linear(betaMin: 0.1, betaMax: 20))
/// let kernel = sde.marginalKernel(at: 0.5)                  // Φ, m, Σ at t = 0.5
/// let x = sde.samplePrior(count: 100, dimension: 3, using: &rng)
/// ```
public struct LinearSDE<Scalar: BLASScalar>: LinearGaussianSDE, Equatable {
  /// The noise rate `β(t)`, its integral `B(t)` and the inverse.
  public let schedule: AnyNoiseSchedule<Scalar>
  /// The end time `T`.
  public let endTime: Scalar
  /// `F`, `d × d`.
  public let driftMatrix: Matrix<Scalar>
  /// `c`, `d` entries.
  public let offset: [Scalar]
  /// `L`, `d × d`, as given.
  public let noise: Matrix<Scalar>
  /// `L`, or `nil` when `L = I` (so that samplers take the scalar path, bit for bit that of the
  /// VP SDE).
  public let noiseFactor: Matrix<Scalar>?
  /// `L Lᵀ`, or `nil` when `L = I`.
  public let noiseCovariance: Matrix<Scalar>?
  /// The prior mean (`μ_∞ = −F⁻¹c`, or `m(T)`).
  public let priorMean: [Scalar]
  /// The prior covariance (`Σ_∞`, or `Σ(T)`).
  public let priorCovariance: Matrix<Scalar>
  /// Whether the prior is the stationary law (see the type's documentation).
  public let hasStationaryPrior: Bool
  /// The lower Cholesky factor `C` of the prior covariance.
  @usableFromInline let priorFactor: Matrix<Scalar>
  /// `C⁻¹`.
  @usableFromInline let priorWhitening: Matrix<Scalar>
  /// `log det Σ_prior`.
  @usableFromInline let priorLogDeterminant: Scalar
  /// `Q = L Lᵀ` (always stored, for the kernels).
  @usableFromInline let fullNoiseCovariance: Matrix<Scalar>

  /// The linear SDE `dX = β(t)(F X + c) dt + √β(t) L dW` on `[0, endTime]`.
  /// - Parameters:
  ///   - drift: `F`, `d × d`.
  ///   - offset: `c`, `d` entries (zero when empty, the default).
  ///   - noise: `L`, `d × d`.
  ///   - schedule: `β(t)`, the linear VP schedule `β ∈ [0.1, 20]` by default.
  ///   - endTime: `T`, 1 by default.
  /// - Throws: `LinearAlgebraError` when `F`, `c` or `L` are not finite, or when neither the
  ///   stationary covariance nor `Σ(T)` is positive definite (noise that never reaches some
  ///   direction).
  public init(
    drift: Matrix<Scalar>, offset: [Scalar] = [], noise: Matrix<Scalar>,
    schedule: AnyNoiseSchedule<Scalar> = .linear(betaMin: 0.1, betaMax: 20), endTime: Scalar = 1
  ) throws {
    let d = drift.rows
    precondition(drift.columns == d, "LinearSDE: drift \(drift.shapeDescription) is not square")
    precondition(
      noise.rows == d && noise.columns == d,
      "LinearSDE: drift \(drift.shapeDescription) but noise \(noise.shapeDescription)")
    precondition(offset.isEmpty || offset.count == d, "LinearSDE: \(offset.count) offsets for dimension \(d)")
    checkEndTime(endTime, of: "LinearSDE")
    guard drift.isFinite, noise.isFinite, offset.allSatisfy(\.isFinite) else {
      throw LinearAlgebraError.nonFinite(operation: "LinearSDE")
    }
    self.schedule = schedule
    self.endTime = endTime
    self.driftMatrix = drift
    self.offset = offset.isEmpty ? [Scalar](repeating: 0, count: d) : offset
    self.noise = noise
    let q = Matrix.product(noise, noise, transposingB: true)
    self.fullNoiseCovariance = q
    let isIdentity = noise == Matrix.identity(d)
    self.noiseFactor = isIdentity ? nil : noise
    self.noiseCovariance = isIdentity ? nil : q

    let fd = drift.converted(to: Double.self)
    let qd = q.converted(to: Double.self)
    let cd = self.offset.map(Double.init)
    var mean: [Double]
    var covariance: Matrix<Double>
    var stationary = false
    if let sigma = try? Matrix.lyapunovSolution(drift: fd, noiseCovariance: qd),
      (try? sigma.cholesky()) != nil,
      let m = try? fd.solve(Matrix(rows: d, columns: 1, elements: cd))
    {
      covariance = sigma
      mean = m.elements.map { -$0 }
      stationary = true
    } else {
      let k = try LinearTransition(
        drift: fd, offset: cd, noiseCovariance: qd, duration: Double(schedule.integratedBeta(at: endTime)))
      covariance = k.covariance
      mean = k.shift
    }
    let chol = try Cholesky(covariance)
    self.hasStationaryPrior = stationary
    self.priorMean = mean.map { Scalar($0) }
    self.priorCovariance = covariance.converted(to: Scalar.self)
    self.priorFactor = chol.lower.converted(to: Scalar.self)
    self.priorWhitening = chol.solveLower(.identity(d)).converted(to: Scalar.self)
    self.priorLogDeterminant = Scalar(chol.logDeterminant)
  }

  /// The dimension `d`.
  @inlinable public var dimension: Int { driftMatrix.rows }

  /// `β(t)`.
  @inlinable
  public func beta(at t: Scalar) -> Scalar { schedule.beta(at: t) }

  // MARK: SDE

  /// `f(xᵢ, t) = β(t)(F xᵢ + c)`, as `out = β X Fᵀ + β𝟙cᵀ` (one GEMM).
  @inlinable
  public func drift(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    checkDimension(x, "drift")
    let b = beta(at: t)
    out.formProduct(x, driftMatrix, transposingB: true, alpha: b)
    if offset.contains(where: { $0 != 0 }) {
      let d = dimension
      out.withUnsafeMutableBufferPointer { o in
        for i in 0..<x.rows { for j in 0..<d { o[i * d + j] += b * offset[j] } }
      }
    }
  }

  /// The scalar factor `g(t) = √β(t)` of the diffusion `G(t) = √β(t)·L` (``noiseFactor`` is
  /// `L`).
  @inlinable
  public func diffusion(at t: Scalar) -> Scalar { beta(at: t).squareRoot() }

  /// `count` draws `μ + C z` from the prior (`z` drawn row by row, as every process in the
  /// module draws its prior, so that `L = I`, `F = −½I` gives ``VPSDE``'s samples).
  /// - Precondition: `dimension == d`.
  @inlinable
  public func samplePrior<G: RandomNumberGenerator>(count: Int, dimension: Int, using rng: inout G)
    -> Matrix<Scalar>
  {
    precondition(
      dimension == self.dimension,
      "LinearSDE.samplePrior: dimension \(dimension), process has \(self.dimension)")
    let z = Matrix<Scalar>.randomNormal(rows: count, columns: dimension, using: &rng)
    var x = Matrix<Scalar>(rows: count, columns: dimension)
    x.formProduct(z, priorFactor, transposingB: true)
    x.addToEachRow(priorMean)
    return x
  }

  /// `log N(xᵢ; μ, Σ) = −½(d log 2π + log det Σ + ‖C⁻¹(xᵢ − μ)‖²)`, one GEMM for the batch.
  @inlinable
  public func priorLogDensity(_ x: Matrix<Scalar>) -> [Scalar] {
    checkDimension(x, "priorLogDensity")
    var centered = x
    centered.addToEachRow(priorMean.map { -$0 })
    var whitened = Matrix<Scalar>(rows: x.rows, columns: x.columns)
    whitened.formProduct(centered, priorWhitening, transposingB: true)
    let constant = -(Scalar(dimension) * Scalar.log(2 * Scalar.pi) + priorLogDeterminant) / 2
    return whitened.squaredRowNorms().map { constant - $0 / 2 }
  }

  // MARK: Kernel

  /// The kernel from 0 to `t`: `Φ = e^{B(t) F}`, `m`, `Σ` (Van Loan, see the type).
  @inlinable
  public func marginalKernel(at t: Scalar) -> LinearTransition<Scalar> {
    let k = kernelInDouble(duration: Double(schedule.integratedBeta(at: t)))
    return LinearTransition(
      transition: k.transition.converted(to: Scalar.self), shift: k.shift.map { Scalar($0) },
      covariance: k.covariance.converted(to: Scalar.self))
  }

  /// The kernel from 0 to `t` (`dimension` must be `d`).
  @inlinable
  public func marginalKernel(at t: Scalar, dimension: Int) -> LinearTransition<Scalar> {
    precondition(
      dimension == self.dimension,
      "LinearSDE.marginalKernel: dimension \(dimension), process has \(self.dimension)")
    return marginalKernel(at: t)
  }

  /// The kernel from `s` to a later `t`: `x_t | x_s ~ N(e^{ΔB F} x_s + m_{ΔB}, Σ_{ΔB})` with
  /// `ΔB = ∫ₛᵗ β` (the process is time-homogeneous in `B`).
  /// - Precondition: `0 ≤ s ≤ t`.
  @inlinable
  public func transition(from s: Scalar, to t: Scalar) -> LinearTransition<Scalar> {
    checkTransitionTimes(from: s, to: t)
    let k = kernelInDouble(duration: Double(schedule.integratedBeta(from: s, to: t)))
    return LinearTransition(
      transition: k.transition.converted(to: Scalar.self), shift: k.shift.map { Scalar($0) },
      covariance: k.covariance.converted(to: Scalar.self))
  }

  /// `∇ₓ·f = β(t) tr F`.
  @inlinable
  public func driftDivergence(at t: Scalar, dimension: Int) -> Scalar {
    var trace: Scalar = 0
    for i in 0..<self.dimension { trace += driftMatrix[i, i] }
    return beta(at: t) * trace
  }

  /// `out = β(t) P F` (row `i` is `pᵢᵀ ∂f/∂x`).
  @inlinable
  public func driftVectorJacobianProduct(
    _ probe: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>
  ) {
    out.formProduct(probe, driftMatrix, alpha: beta(at: t))
  }

  /// The log-SNR of the isotropic kernel with the same volume change and mean variance,
  ///
  ///     λ(t) = (2/d) log det Φ − log(tr Σ / d) = 2B(t) tr F / d − log(tr Σ(t) / d),
  ///
  /// which is the VP SDE's `log(scale²/std²)` when `F = −½I`, `L = I`. Time grids spaced in it
  /// (``GaussianSDE`` processes' `logSNR` and Karras spacings) then follow the noise level.
  @inlinable
  public func logSignalToNoiseRatio(at t: Scalar) -> Scalar {
    let b = Double(schedule.integratedBeta(at: t))
    let k = kernelInDouble(duration: b)
    var traceF = 0.0
    var traceSigma = 0.0
    for i in 0..<dimension {
      traceF += Double(driftMatrix[i, i])
      traceSigma += k.covariance[i, i]
    }
    let d = Double(dimension)
    return Scalar(2 * b * traceF / d - Double.log(traceSigma / d))
  }

  /// Bisection on `[0, endTime]` for ``logSignalToNoiseRatio(at:)`` `= logSNR` (assumed
  /// decreasing in `t`; the ends when `logSNR` is outside the range).
  @inlinable
  public func time(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar {
    bisect(increasing: { -logSignalToNoiseRatio(at: $0) }, target: -logSNR)
  }

  // MARK: Perturbation and conditional scores

  /// `x_tᵢ = Φ(tᵢ) x₀ᵢ + m(tᵢ) + C(tᵢ) zᵢ` with `C` the lower Cholesky factor of `Σ(tᵢ)`: for a
  /// batch at one time, `X_t = X₀ Φᵀ + Z Cᵀ + 𝟙mᵀ` (two GEMMs).
  @inlinable
  public func perturb(
    _ x0: Matrix<Scalar>, at times: [Scalar], noise: Matrix<Scalar>, into xt: inout Matrix<Scalar>
  ) {
    checkBatch(x0, noise, times, xt, "perturb")
    if let t = times.first, times.allSatisfy({ $0 == t }) {
      let k = factoredKernel(at: t)
      xt.formProduct(x0, k.transition, transposingB: true)
      xt.formProduct(noise, k.factor, transposingB: true, beta: 1)
      xt.addToEachRow(k.shift)
      return
    }
    forEachRow(at: times) { i, k, rowProduct in
      let a = rowProduct(k.transition, x0, i, false)
      let b = rowProduct(k.factor, noise, i, false)
      for j in 0..<dimension { xt[i, j] = a[j] + b[j] + k.shift[j] }
    }
  }

  /// `−C⁻ᵀ zᵢ` (for one time: `−Z C⁻¹`, one GEMM).
  @inlinable
  public func conditionalScore(noise: Matrix<Scalar>, at times: [Scalar], into out: inout Matrix<Scalar>) {
    checkBatch(noise, noise, times, out, "conditionalScore")
    if let t = times.first, times.allSatisfy({ $0 == t }) {
      out.formProduct(noise, factoredKernel(at: t).factorInverse, alpha: -1)
      return
    }
    forEachRow(at: times) { i, k, rowProduct in
      let s = rowProduct(k.factorInverse, noise, i, true)
      for j in 0..<dimension { out[i, j] = -s[j] }
    }
  }

  /// `−Σ(tᵢ)⁻¹(x_tᵢ − Φ(tᵢ) x₀ᵢ − m(tᵢ))`.
  @inlinable
  public func conditionalScore(
    _ xt: Matrix<Scalar>, given x0: Matrix<Scalar>, at times: [Scalar], into out: inout Matrix<Scalar>
  ) {
    checkBatch(x0, xt, times, out, "conditionalScore")
    var residual = xt
    if let t = times.first, times.allSatisfy({ $0 == t }) {
      let k = factoredKernel(at: t)
      residual.formProduct(x0, k.transition, transposingB: true, alpha: -1, beta: 1)
      residual.addToEachRow(k.shift.map { -$0 })
      out.formProduct(residual, k.precision, alpha: -1)
      return
    }
    forEachRow(at: times) { i, k, rowProduct in
      let mean = rowProduct(k.transition, x0, i, false)
      for j in 0..<dimension { residual[i, j] -= mean[j] + k.shift[j] }
      let s = rowProduct(k.precision, residual, i, false)
      for j in 0..<dimension { out[i, j] = -s[j] }
    }
  }

  // MARK: Internals

  /// The Van Loan kernel over `B = duration`, in `Double`.
  @inlinable
  func kernelInDouble(duration: Double) -> LinearTransition<Double> {
    do {
      return try LinearTransition(
        drift: driftMatrix.converted(to: Double.self), offset: offset.map(Double.init),
        noiseCovariance: fullNoiseCovariance.converted(to: Double.self), duration: duration)
    } catch {
      preconditionFailure("LinearSDE: the kernel over B = \(duration) failed: \(error)")
    }
  }

  /// The kernel at `t` with the Cholesky factor `C` of `Σ(t)`, `C⁻¹` and `Σ(t)⁻¹` (NaN when
  /// `Σ(t)` is singular, as at `t = 0`; `C` is then the eigenvalue square root).
  @inlinable
  func factoredKernel(at t: Scalar) -> FactoredLinearKernel<Scalar> {
    let k = kernelInDouble(duration: Double(schedule.integratedBeta(at: t)))
    let d = dimension
    var factor: Matrix<Double>
    var inverse: Matrix<Double>
    if let chol = try? Cholesky(k.covariance) {
      factor = chol.lower
      inverse = chol.solveLower(.identity(d))
    } else {
      // Σ(t) singular (t = 0, or underflow): the symmetric square root of its non-negative part.
      let nan = Matrix<Double>(rows: d, columns: d, repeating: .nan)
      if let (values, vectors) = try? k.covariance.symmetricEigendecomposition() {
        factor = vectors
        factor.scaleColumns(by: values.map { Swift.max(0, $0).squareRoot() })
        factor = factor * vectors.transposed()
      } else {
        factor = nan
      }
      inverse = nan
    }
    return FactoredLinearKernel(
      transition: k.transition.converted(to: Scalar.self), shift: k.shift.map { Scalar($0) },
      factor: factor.converted(to: Scalar.self), factorInverse: inverse.converted(to: Scalar.self),
      precision: Matrix.product(inverse, inverse, transposingA: true).converted(to: Scalar.self))
  }

  /// Calls `body(i, kernel(tᵢ), rowProduct)` for every row, computing each distinct time's
  /// kernel once; `rowProduct(M, X, i, transposed)` is `M xᵢ` (or `Mᵀ xᵢ`) for row `i` of `X`.
  @inlinable
  func forEachRow(
    at times: [Scalar],
    _ body: (Int, FactoredLinearKernel<Scalar>, (Matrix<Scalar>, Matrix<Scalar>, Int, Bool) -> [Scalar]) ->
      Void
  ) {
    let d = dimension
    var cache: [Scalar: FactoredLinearKernel<Scalar>] = [:]
    let rowProduct = { (m: Matrix<Scalar>, x: Matrix<Scalar>, i: Int, transposed: Bool) -> [Scalar] in
      (0..<d).map { j in
        var s: Scalar = 0
        for l in 0..<d { s += (transposed ? m[l, j] : m[j, l]) * x[i, l] }
        return s
      }
    }
    for (i, t) in times.enumerated() {
      let k: FactoredLinearKernel<Scalar>
      if let cached = cache[t] {
        k = cached
      } else {
        k = factoredKernel(at: t)
        cache[t] = k
      }
      body(i, k, rowProduct)
    }
  }

  @inlinable
  func checkDimension(_ x: Matrix<Scalar>, _ operation: String) {
    precondition(
      x.columns == dimension,
      "LinearSDE.\(operation): points \(x.shapeDescription) for dimension \(dimension)")
  }

  @inlinable
  func checkBatch(
    _ a: Matrix<Scalar>, _ b: Matrix<Scalar>, _ times: [Scalar], _ out: Matrix<Scalar>, _ operation: String
  ) {
    checkDimension(a, operation)
    precondition(
      b.hasShape(of: a) && out.hasShape(of: a),
      "LinearSDE.\(operation): inputs \(a.shapeDescription), \(b.shapeDescription), output \(out.shapeDescription)"
    )
    precondition(times.count == a.rows, "LinearSDE.\(operation): \(times.count) times for \(a.rows) rows")
  }
}

/// A ``LinearSDE`` kernel at one time with the factors the perturbation and scores use.
@usableFromInline
struct FactoredLinearKernel<Scalar: BLASScalar>: Sendable {
  /// `Φ`.
  @usableFromInline let transition: Matrix<Scalar>
  /// `m`.
  @usableFromInline let shift: [Scalar]
  /// `C`, `C Cᵀ = Σ`.
  @usableFromInline let factor: Matrix<Scalar>
  /// `C⁻¹`.
  @usableFromInline let factorInverse: Matrix<Scalar>
  /// `Σ⁻¹ = C⁻ᵀ C⁻¹`.
  @usableFromInline let precision: Matrix<Scalar>

  @inlinable
  init(
    transition: Matrix<Scalar>, shift: [Scalar], factor: Matrix<Scalar>, factorInverse: Matrix<Scalar>,
    precision: Matrix<Scalar>
  ) {
    (self.transition, self.shift, self.factor, self.factorInverse, self.precision) =
      (transition, shift, factor, factorInverse, precision)
  }
}
