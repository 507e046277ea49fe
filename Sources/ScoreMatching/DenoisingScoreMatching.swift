public import DiffusionProcesses
public import LinearAlgebra
import RealModule

/// Denoising score matching for any ``GaussianSDE`` (Vincent 2011; Song et
/// al. 2021, eq. 7): sample `t`, perturb `x₀` with the closed-form kernel, and regress the
/// network's output on the kernel's target.
///
/// The objective, for the score `s_θ` the network output implies (see ``LossWeighting``):
///
///     J(θ) = E_{t ~ U[ε, T]} λ(t) · E ‖s_θ(x_t, t) − (−z/σ(t))‖²,   x_t = a(t)x₀ + shift(t) + σ(t)z.
///
/// With times drawn from a proposal `q` (``TimeProposal``), each row is weighted by
/// `λ(t)/(q(t)(T − ε))`, so the estimate is unbiased for `J` whatever the proposal. Writing the
/// score error in the network's own output space, `s_θ − (−z/σ) = c_out·(f − target)`, every
/// combination reduces to a weighted squared error per row,
///
///     L = (1/n) Σᵢ κᵢ ‖fᵢ − targetᵢ‖²,   κᵢ = λ(tᵢ)·c_out(tᵢ)² / (q(tᵢ)(T − ε)),
///     ∂L/∂fᵢ = (2κᵢ/n)·(fᵢ − targetᵢ),
///
/// with `c_out² = 1/σ²` (ε), `1` (score), `a²/σ⁴` (x₀). The factors are arranged so that they
/// cancel exactly where they should: ε-prediction with `λ = σ²` and uniform times has `κ = 1`
/// (the loss of `torch_ref.py`: mean over the batch of the sum over dimensions of `(ε̂ − z)²`),
/// and the likelihood weighting with importance sampling has the constant `κ = Z/(T − ε)` for
/// ε-prediction.
///
/// At the exact score (`ε̂ = −σ·∇log p_t`), for data `N(μ, Σ)` with eigenvalues `λ_k`, the
/// per-time minimum is `E‖s* + z/σ‖² = d/σ² − tr Σ_t⁻¹ = Σ_k a²λ_k / (σ²(a²λ_k + σ²))`, i.e.
/// `Σ_k a²λ_k/(a²λ_k + σ²)` for the ε-loss.
///
/// **Matrix kernels.** For a ``LinearGaussianSDE`` without an isotropic kernel (``LinearSDE``,
/// ``CriticallyDampedLangevin``; ``LinearGaussianSDE/isotropicMarginal(at:)`` is `nil`) the
/// batch is ``LinearGaussianSDE/denoisingPerturbation(_:at:noise:into:)``'s
/// `u_t = A x₀ + m + C z` (`C Cᵀ = Σ_t`, the kernel of each row's time, computed once per distinct
/// time) and the network predicts `z`, the score being `s = K(t) f` with `K = −C⁻ᵀ`
/// (``LinearGaussianSDE/noisePredictionScoreMatrix(at:dimension:)``). The weighting is the kernel's
/// own metric, `λ‖s − s*‖²_Σ = ‖Cᵀ(s − s*)‖² = ‖f − z‖²`, which for `Σ = σ²I` is the ε-loss's
/// `λ = σ²`: so `κ = 1` with uniform times, and the target is `z` on the
/// ``LinearGaussianSDE/learnedScoreColumns(stateDimension:)`` (all, or the velocities of
/// critically-damped Langevin diffusion, whose position columns the loss ignores: hybrid score
/// matching, Dockhorn et al. 2022). Only `.noise` parameterisation, `.noise` weighting and uniform
/// times are defined there (``unsupportedOptions(process:options:)``). At the exact score the
/// per-time minimum is `E‖Cᵀ s*(u_t) + z‖² = D − tr(Σ_t Σ_{u_t}⁻¹)` over the learned block, with
/// `Σ_{u_t}` the covariance of `u_t` (for Gaussian data).
///
/// ```swift
/// let dsm = DenoisingScoreMatching(process: VPSDE<Float>())        // the W1 loss
/// var batch = DenoisingBatch<Float>()
/// dsm.prepare(x0, into: &batch, using: &rng)                       // t, z, x_t, targets, κ
/// network.forward(batch.perturbed, times: .perRow(batch.times), into: &f, workspace: &ws)
/// let loss = dsm.loss(output: f, batch: batch, gradient: &dLdf)    // feed dLdf to backward
/// ```
public struct DenoisingScoreMatching<Process: LinearGaussianSDE>: Sendable {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The forward process.
  public let process: Process
  /// The loss's settings.
  public let options: DenoisingOptions
  /// The time distribution.
  public let timeSampler: TimeSampler<Process>

  /// The loss for `process` with `options`.
  ///
  /// - Parameters:
  ///   - process: the forward SDE.
  ///   - options: parameterisation, weighting, time sampling (the W1 loss by default).
  /// - Precondition: ``unsupportedOptions(process:options:)`` is `nil`.
  public init(process: Process, options: DenoisingOptions = DenoisingOptions()) {
    if let reason = Self.unsupportedOptions(process: process, options: options) {
      preconditionFailure("DenoisingScoreMatching: \(reason)")
    }
    self.process = process
    self.options = options
    self.timeSampler = TimeSampler(
      process: process, proposal: options.resolvedProposal, smallTimeCutoff: Scalar(options.smallTimeCutoff))
  }

  /// Why `options` cannot train `process`, or `nil`: a process without an isotropic kernel
  /// supports the `.noise` parameterisation and weighting with uniform times only (see the type).
  ///
  /// - Parameters:
  ///   - process: the forward process.
  ///   - options: the loss's settings.
  /// - Returns: the reason, or `nil`.
  public static func unsupportedOptions(process: Process, options: DenoisingOptions) -> String? {
    guard process.isotropicMarginal(at: process.endTime) == nil else { return nil }
    if options.parameterization != .noise {
      return
        "a matrix-kernel process trains a noise (ε) prediction only, not \(options.parameterization.fileName)"
    }
    if options.weighting != .noise {
      return "a matrix-kernel process trains with the noise weighting only, not \(options.weighting.rawValue)"
    }
    if options.resolvedProposal != .uniform {
      return "a matrix-kernel process draws uniform times only, not \(options.resolvedProposal.rawValue)"
    }
    return nil
  }

  /// The columns of the network's state (`D`) for data of `dataDimension` columns.
  @inlinable
  public func stateDimension(dataDimension: Int) -> Int {
    process.stateDimension(dataDimension: dataDimension)
  }

  /// Draws the batch's times and noise from `rng` and forms the perturbed points, targets and
  /// weights (no allocation once `batch` has this size).
  ///
  /// The draws come in a fixed order: the times (``TimeSampler/sample(into:sampling:using:)``),
  /// then the noise row by row (``Matrix/fillNormal(mean:standardDeviation:using:)``).
  ///
  /// - Parameters:
  ///   - x0: clean data, `n × d`.
  ///   - batch: receives the batch.
  ///   - rng: the source of randomness.
  @inlinable
  public func prepare<G: RandomNumberGenerator>(
    _ x0: Matrix<Scalar>, into batch: inout DenoisingBatch<Scalar>, using rng: inout G
  ) {
    batch.prepare(rows: x0.rows, dimension: stateDimension(dataDimension: x0.columns))
    timeSampler.sample(into: &batch.timeBuffer, sampling: options.timeSampling, using: &rng)
    batch.noiseBuffer.fillNormal(using: &rng)
    formBatch(x0, into: &batch)
  }

  /// Forms a batch at given times with given noise (for evaluation with common random numbers,
  /// and for tests).
  ///
  /// - Parameters:
  ///   - x0: clean data, `n × d`.
  ///   - times: `n` times in `[ε, T]`.
  ///   - noise: `n × D` standard normal noise (`D` = ``stateDimension(dataDimension:)``, `d`
  ///     for every process but critically-damped Langevin's `2d`).
  ///   - batch: receives the batch.
  @inlinable
  public func prepare(
    _ x0: Matrix<Scalar>, at times: [Scalar], noise: Matrix<Scalar>, into batch: inout DenoisingBatch<Scalar>
  ) {
    precondition(times.count == x0.rows, "DenoisingScoreMatching: \(times.count) times for \(x0.rows) rows")
    let width = stateDimension(dataDimension: x0.columns)
    precondition(
      noise.rows == x0.rows && noise.columns == width,
      "DenoisingScoreMatching: data \(x0.shapeDescription) but noise \(noise.shapeDescription)")
    batch.prepare(rows: x0.rows, dimension: width)
    batch.timeBuffer.withUnsafeMutableBufferPointer { t in
      for i in t.indices { t[i] = times[i] }
    }
    batch.noiseBuffer.assign(noise)
    formBatch(x0, into: &batch)
  }

  /// `κ(t)`, the weight of a row's squared error at time `t` (see the type's discussion).
  @inlinable
  public func weight(at t: Scalar) -> Scalar {
    guard let (a, s, _) = process.isotropicMarginal(at: t) else { return 1 }
    return weight(at: t, scale: a, standardDeviation: s)
  }

  @inlinable
  func weight(at t: Scalar, scale a: Scalar, standardDeviation s: Scalar) -> Scalar {
    let variance = s * s
    // m = λ/(σ²·q·(T − ε)), so that κ = m·(σ²·c_out²). The pairs whose factors cancel are
    // written out, so that they cancel exactly.
    let m: Scalar
    switch (timeSampler.proposal, options.weighting) {
    case (.uniform, .noise): m = 1
    case (.uniform, .likelihood):
      let g = process.diffusion(at: t)
      m = g * g / variance
    case (.uniform, .uniform): m = 1 / variance
    case (.importance, .likelihood):
      // q(t)(T − ε) = g²/(σ²·c) with c = Z/(T − ε).
      m = timeSampler.importanceNormalizer / timeSampler.length
    case (.logNormal, .edm): m = edmDataWeight(scale: a, standardDeviation: s) * variance / (a * a)
    default:
      m =
        lambda(at: t, scale: a, standardDeviation: s)
        / (variance * timeSampler.density(at: t) * timeSampler.length)
    }
    // κ = m·σ²·c², c the score's coefficient on the network output (the table's `.score` column),
    // written out so that the ε-loss's κ = 1 is exact.
    switch options.parameterization {
    case .noise: return m
    case .score: return m * variance
    case .data: return m * (a * a / variance)
    case .edm:
      let cOut = options.parameterization.edmCoefficients(scale: a, standardDeviation: s).output
      return m * (a * a * cOut * cOut / variance)
    }
  }

  /// `λ(t)`, the weighting on the score error (``LossWeighting``).
  @inlinable
  public func lambda(at t: Scalar, scale a: Scalar, standardDeviation s: Scalar) -> Scalar {
    switch options.weighting {
    case .noise: return s * s
    case .likelihood:
      let g = process.diffusion(at: t)
      return g * g
    case .uniform: return 1
    case .edm:
      let s2 = s * s
      return timeSampler.logNormal.density(at: t) * timeSampler.length
        * edmDataWeight(scale: a, standardDeviation: s) * s2 * s2 / (a * a)
    }
  }

  /// EDM's `λ_D(σ̃) = (σ̃² + σ_d²)/(σ̃·σ_d)² = 1/c_out²`, the weight of `‖D − x₀‖²`.
  @inlinable
  func edmDataWeight(scale a: Scalar, standardDeviation s: Scalar) -> Scalar {
    let sd = Scalar(options.parameterization.dataStandardDeviation ?? 1)
    let sigma = s / a
    return (sigma * sigma + sd * sd) / (sigma * sigma * sd * sd)
  }

  /// x_t, targets and weights from `x0` and the batch's times and noise, and the network's
  /// conditioned input and times when the parameterisation asks for them (EDM).
  @inlinable
  func formBatch(_ x0: Matrix<Scalar>, into batch: inout DenoisingBatch<Scalar>) {
    guard process.isotropicMarginal(at: process.endTime) != nil else {
      formMatrixKernelBatch(x0, into: &batch)
      return
    }
    batch.scoredColumns = nil
    let (n, d) = (x0.rows, x0.columns)
    let parameterization = options.parameterization
    let conditions = parameterization.conditionsNetworkInput
    if conditions {
      batch.prepareConditionedInput()
    } else if !batch.conditionedTimeBuffer.isEmpty {
      batch.conditionedTimeBuffer.removeAll(keepingCapacity: true)
    }
    // One pass per row: the kernel at tᵢ is computed once for x_t, the target, the weight and
    // (EDM) the conditioned input; the conditioned buffers are empty when not used.
    x0.withUnsafeBufferPointer { p0 in
      batch.noise.withUnsafeBufferPointer { z in
        batch.times.withUnsafeBufferPointer { t in
          batch.weightBuffer.withUnsafeMutableBufferPointer { w in
            batch.perturbedBuffer.withUnsafeMutableBufferPointer { xt in
              batch.targetBuffer.withUnsafeMutableBufferPointer { y in
                batch.conditionedInputBuffer.withUnsafeMutableBufferPointer { u in
                  batch.conditionedTimeBuffer.withUnsafeMutableBufferPointer { tau in
                    for i in 0..<n {
                      let (a, s, b) = process.isotropicMarginal(at: t[i])!
                      w[i] = weight(at: t[i], scale: a, standardDeviation: s)
                      let row = i * d
                      for j in row..<(row + d) { xt[j] = a * p0[j] + b + s * z[j] }
                      // The target c₀·x₀ + c_z·z: z, −z/σ, x₀ or EDM's F (exactly).
                      let (c0, cz) = parameterization.targetCoefficients(scale: a, standardDeviation: s)
                      for j in row..<(row + d) { y[j] = c0 * p0[j] + cz * z[j] }
                      guard conditions else { continue }
                      let input = parameterization.networkInput(
                        at: t[i], scale: a, standardDeviation: s, shift: b)
                      tau[i] = input.time
                      for j in row..<(row + d) { u[j] = input.scale * xt[j] + input.offset }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  /// A matrix kernel's batch (see the type): `u_t` from the process, target `z`, `κ = 1`, and
  /// the learned columns.
  @inlinable
  func formMatrixKernelBatch(_ x0: Matrix<Scalar>, into batch: inout DenoisingBatch<Scalar>) {
    if !batch.conditionedTimeBuffer.isEmpty { batch.conditionedTimeBuffer.removeAll(keepingCapacity: true) }
    process.denoisingPerturbation(
      x0, at: batch.timeBuffer, noise: batch.noiseBuffer, into: &batch.perturbedBuffer)
    batch.targetBuffer.assign(batch.noiseBuffer)
    batch.weightBuffer.withUnsafeMutableBufferPointer { w in
      for i in w.indices { w[i] = 1 }
    }
    let columns = process.learnedScoreColumns(stateDimension: batch.perturbedBuffer.columns)
    batch.scoredColumns = columns.count == batch.perturbedBuffer.columns ? nil : columns
  }

  /// The loss `L = (1/n) Σᵢ κᵢ‖fᵢ − targetᵢ‖²` of the network output `f` on `batch`, and its
  /// gradient `∂L/∂f` (allocation-free; the sum is accumulated in `Double`).
  ///
  /// - Parameters:
  ///   - output: the network's output `f` on `batch.perturbed`, `n × d`.
  ///   - batch: from ``prepare(_:into:using:)``.
  ///   - gradient: receives `∂L/∂f`, `n × d`.
  /// - Returns: `L`.
  @inlinable
  public func loss(
    output: Matrix<Scalar>, batch: DenoisingBatch<Scalar>, gradient: inout Matrix<Scalar>
  ) -> Scalar {
    checkShapes(output, batch)
    precondition(
      gradient.hasShape(of: output),
      "DenoisingScoreMatching.loss: output \(output.shapeDescription) but gradient \(gradient.shapeDescription)"
    )
    let (n, d) = (output.rows, output.columns)
    let scale = 2 / Scalar(n)
    // Only the learned columns count (hybrid score matching); the others get no gradient.
    let columns = batch.scoredColumns ?? 0..<d
    var total = 0.0
    output.withUnsafeBufferPointer { f in
      batch.targets.withUnsafeBufferPointer { y in
        batch.weights.withUnsafeBufferPointer { w in
          gradient.withUnsafeMutableBufferPointer { g in
            for i in 0..<n {
              var row: Scalar = 0
              let c = scale * w[i]
              let (first, end) = (i * d + columns.lowerBound, i * d + columns.upperBound)
              for j in (i * d)..<first { g[j] = 0 }
              for j in first..<end {
                let r = f[j] - y[j]
                row += r * r
                g[j] = c * r
              }
              for j in end..<((i + 1) * d) { g[j] = 0 }
              total += Double(w[i] * row)
            }
          }
        }
      }
    }
    return Scalar(total / Double(n))
  }

  /// The loss of `output` on `batch`, without the gradient (allocation-free).
  ///
  /// - Parameters:
  ///   - output: the network's output `f`, `n × d`.
  ///   - batch: from ``prepare(_:into:using:)``.
  /// - Returns: `L`.
  @inlinable
  public func loss(output: Matrix<Scalar>, batch: DenoisingBatch<Scalar>) -> Scalar {
    checkShapes(output, batch)
    var total = 0.0
    forEachRowLoss(output, batch) { _, value in total += Double(value) }
    return Scalar(total / Double(Swift.max(output.rows, 1)))
  }

  /// Each row's loss `κᵢ‖fᵢ − targetᵢ‖²` (whose mean is the loss), for Monte Carlo error bars.
  ///
  /// - Parameters:
  ///   - output: the network's output `f`, `n × d`.
  ///   - batch: from ``prepare(_:into:using:)``.
  ///   - losses: receives `n` values.
  @inlinable
  public func rowLosses(output: Matrix<Scalar>, batch: DenoisingBatch<Scalar>, into losses: inout [Scalar]) {
    checkShapes(output, batch)
    precondition(losses.count == output.rows, "rowLosses: \(losses.count) entries for \(output.rows) rows")
    losses.withUnsafeMutableBufferPointer { l in
      forEachRowLoss(output, batch) { i, value in l[i] = value }
    }
  }

  /// Calls `body(i, κᵢ‖fᵢ − targetᵢ‖²)` for every row.
  @inlinable
  func forEachRowLoss(
    _ output: Matrix<Scalar>, _ batch: DenoisingBatch<Scalar>, _ body: (Int, Scalar) -> Void
  ) {
    let d = output.columns
    let columns = batch.scoredColumns ?? 0..<d
    output.withUnsafeBufferPointer { f in
      batch.targetBuffer.withUnsafeBufferPointer { y in
        batch.weightBuffer.withUnsafeBufferPointer { w in
          for i in 0..<output.rows {
            var row: Scalar = 0
            for j in (i * d + columns.lowerBound)..<(i * d + columns.upperBound) {
              let r = f[j] - y[j]
              row += r * r
            }
            body(i, w[i] * row)
          }
        }
      }
    }
  }

  @inlinable
  func checkShapes(_ output: Matrix<Scalar>, _ batch: DenoisingBatch<Scalar>) {
    precondition(
      output.hasShape(of: batch.targets),
      "DenoisingScoreMatching.loss: output \(output.shapeDescription) for a batch of "
        + "\(batch.targets.shapeDescription)")
  }
}
