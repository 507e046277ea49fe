public import LinearAlgebra

extension GaussianSDE {
  /// Perturbs a batch of data with the forward kernel, one time per row:
  ///
  ///     x_tᵢ = scale(tᵢ)·x₀ᵢ + shift(tᵢ) + std(tᵢ)·zᵢ,
  ///
  /// and writes `std(tᵢ)` into `standardDeviations[i]` (for the target `−zᵢ/std(tᵢ)` and the
  /// loss weighting of denoising score matching, Song et al. 2021 eq. 7). This is the
  /// allocation-free form a training step uses: the caller draws `noise` (for instance with
  /// ``RowStreams``) into a preallocated matrix.
  ///
  /// ```swift
  /// streams.fillNormal(&noise)
  /// sde.perturb(x0, at: times, noise: noise, into: &xt, standardDeviations: &stds)
  /// ```
  ///
  /// - Parameters:
  ///   - x0: clean data, `n × d`.
  ///   - times: `n` times in `[0, endTime]`, one per row.
  ///   - noise: standard normal `z`, `n × d`.
  ///   - xt: the perturbed batch, `n × d` (overwritten).
  ///   - standardDeviations: `n` entries, overwritten with `std(tᵢ)`.
  @inlinable
  public func perturb(
    _ x0: Matrix<Scalar>, at times: [Scalar], noise: Matrix<Scalar>, into xt: inout Matrix<Scalar>,
    standardDeviations: inout [Scalar]
  ) {
    precondition(
      standardDeviations.count == x0.rows,
      "perturb: \(standardDeviations.count) standard deviations for \(x0.rows) rows")
    standardDeviations.withUnsafeMutableBufferPointer { stds in
      perturbRows(x0, at: times, noise: noise, into: &xt) { i, s in stds[i] = s }
    }
  }

  /// ``perturb(_:at:noise:into:standardDeviations:)`` without the standard deviations.
  @inlinable
  public func perturb(
    _ x0: Matrix<Scalar>, at times: [Scalar], noise: Matrix<Scalar>, into xt: inout Matrix<Scalar>
  ) {
    perturbRows(x0, at: times, noise: noise, into: &xt) { _, _ in }
  }

  /// Perturbs `x0` at per-row `times` with fresh noise drawn from `rng`, returning the perturbed
  /// batch and the noise `z` (convenient; allocates).
  ///
  /// - Returns: `(perturbed, noise)` with `perturbed = scale(tᵢ)·x₀ᵢ + shift(tᵢ) + std(tᵢ)·noiseᵢ`.
  @inlinable
  public func perturb<G: RandomNumberGenerator>(
    _ x0: Matrix<Scalar>, at times: [Scalar], using rng: inout G
  ) -> (perturbed: Matrix<Scalar>, noise: Matrix<Scalar>) {
    let noise = Matrix<Scalar>.randomNormal(rows: x0.rows, columns: x0.columns, using: &rng)
    var xt = Matrix<Scalar>(rows: x0.rows, columns: x0.columns)
    perturb(x0, at: times, noise: noise, into: &xt)
    return (xt, noise)
  }

  /// Perturbs every row of `x0` at the same time `t` (convenient; allocates).
  @inlinable
  public func perturb<G: RandomNumberGenerator>(
    _ x0: Matrix<Scalar>, at t: Scalar, using rng: inout G
  ) -> (perturbed: Matrix<Scalar>, noise: Matrix<Scalar>) {
    perturb(x0, at: [Scalar](repeating: t, count: x0.rows), using: &rng)
  }

  /// The score of the kernel at the perturbed point, `∇ log p_tᵢ(x_tᵢ | x₀ᵢ) = −zᵢ / std(tᵢ)`,
  /// the regression target of denoising score matching, from the noise that made `x_t`.
  ///
  /// - Parameters:
  ///   - noise: the `z` passed to ``perturb(_:at:noise:into:)``, `n × d`.
  ///   - times: the `n` per-row times (all `> 0`).
  ///   - out: `n × d`, overwritten with `−zᵢ/std(tᵢ)`.
  @inlinable
  public func conditionalScore(noise: Matrix<Scalar>, at times: [Scalar], into out: inout Matrix<Scalar>) {
    forEachRowKernel("conditionalScore", at: times, reading: noise, into: &out) { _, row, z, o, a, s, _ in
      let c = Parameterization.coefficients(from: .noise, to: .score, scale: a, standardDeviation: s)
        .prediction
      for j in row { o[j] = c * z[j] }
    }
  }

  /// The score of the kernel from the clean and the perturbed point,
  /// `∇ log p_tᵢ(x_tᵢ | x₀ᵢ) = −(x_tᵢ − scale(tᵢ)·x₀ᵢ − shift(tᵢ)) / std(tᵢ)²`.
  @inlinable
  public func conditionalScore(
    _ xt: Matrix<Scalar>, given x0: Matrix<Scalar>, at times: [Scalar], into out: inout Matrix<Scalar>
  ) {
    forEachRowKernel("conditionalScore", at: times, reading: x0, xt, into: &out) {
      _, row, p0, pt, o, a, s, b in
      let (c0, cx) = Parameterization.coefficients(from: .data, to: .score, scale: a, standardDeviation: s)
      for j in row { o[j] = c0 * p0[j] + cx * (pt[j] - b) }
    }
  }

  /// The shared loop of the `perturb` forms; `report(i, std(tᵢ))` is called once per row.
  @inlinable
  func perturbRows(
    _ x0: Matrix<Scalar>, at times: [Scalar], noise: Matrix<Scalar>, into xt: inout Matrix<Scalar>,
    report: (Int, Scalar) -> Void
  ) {
    forEachRowKernel("perturb", at: times, reading: x0, noise, into: &xt) { i, row, p0, z, o, a, s, b in
      for j in row { o[j] = a * p0[j] + b + s * z[j] }
      report(i, s)
    }
  }

  /// The loop of the per-row kernel operations that read one `n × d` batch `x` and write another,
  /// `out`: checks that `out` has `x`'s shape and that there is one time per row (naming
  /// `operation` otherwise), then calls `body(i, row, x, out, scale, std, shift)` for every row
  /// `i` with the kernel at `times[i]` and the matrices' storage (see
  /// ``forEachRowKernel(at:columns:_:)``).
  @inlinable
  func forEachRowKernel(
    _ operation: StaticString, at times: [Scalar], reading x: Matrix<Scalar>, into out: inout Matrix<Scalar>,
    _ body: (
      Int, Range<Int>, UnsafeBufferPointer<Scalar>, UnsafeMutableBufferPointer<Scalar>, Scalar, Scalar, Scalar
    ) -> Void
  ) {
    precondition(
      out.hasShape(of: x), "\(operation): input \(x.shapeDescription) but output \(out.shapeDescription)")
    precondition(times.count == x.rows, "\(operation): \(times.count) times for \(x.rows) rows")
    x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { o in
        forEachRowKernel(at: times, columns: x.columns) { i, row, a, s, b in body(i, row, px, o, a, s, b) }
      }
    }
  }

  /// ``forEachRowKernel(_:at:reading:into:_:)`` reading two batches of one shape, `x` and `y`:
  /// `body(i, row, x, y, out, scale, std, shift)`.
  @inlinable
  func forEachRowKernel(
    _ operation: StaticString, at times: [Scalar], reading x: Matrix<Scalar>, _ y: Matrix<Scalar>,
    into out: inout Matrix<Scalar>,
    _ body: (
      Int, Range<Int>, UnsafeBufferPointer<Scalar>, UnsafeBufferPointer<Scalar>,
      UnsafeMutableBufferPointer<Scalar>, Scalar, Scalar, Scalar
    ) -> Void
  ) {
    precondition(y.hasShape(of: x), "\(operation): inputs \(x.shapeDescription) and \(y.shapeDescription)")
    y.withUnsafeBufferPointer { py in
      forEachRowKernel(operation, at: times, reading: x, into: &out) { i, row, px, o, a, s, b in
        body(i, row, px, py, o, a, s, b)
      }
    }
  }

  /// Calls `body(i, row, scale, std, shift)` for every row `i` with the kernel at `times[i]`
  /// (`row` the range of its entries in a row-major `n × columns` matrix): the one per-row loop
  /// of the perturbation, the conditional scores and ``convert(_:from:to:given:at:)-(_,_,_,_,[Self.Scalar])``
  /// (through ``forEachRowKernel(_:at:reading:into:_:)``).
  @inlinable
  func forEachRowKernel(
    at times: [Scalar], columns d: Int, _ body: (Int, Range<Int>, Scalar, Scalar, Scalar) -> Void
  ) {
    for i in 0..<times.count {
      let (a, s) = marginal(at: times[i])
      body(i, (i * d)..<((i + 1) * d), a, s, marginalShift(at: times[i]))
    }
  }
}
