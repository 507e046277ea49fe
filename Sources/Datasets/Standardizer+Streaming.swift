extension Standardizer {
  /// Fits a ``Standardizer`` in one pass over rows that arrive one at a time, holding only a
  /// chunk of rows and O(log n) partial fits: how data larger than memory (a memory-mapped
  /// ``MappedNumPyFile``) is standardised.
  ///
  /// It fits what ``Standardizer/init(fitting:source:)`` fits — the column means μⱼ and the
  /// population standard deviations σⱼ (divisor n), in `Double` — with the same refusals, and the
  /// same protection against overflow and underflow. The rows are taken in chunks of
  /// ``chunkRows``. Column j is shifted by its first value Kⱼ, so that a large offset (1e9 +
  /// N(0, 1)) does not cost the chunk means their precision; each chunk's column is scaled
  /// exactly by the power of two 2^−e that brings its largest magnitude (and |Kⱼ|) into [1, 2),
  /// so that yᵢ = xᵢ·2^−e − Kⱼ·2^−e lies in (−4, 4), and fitted by the corrected two-pass
  /// formulas of ``Standardizer/init(fitting:source:)``:
  ///
  ///     m = Σᵢ yᵢ / k,   m ← m + Σᵢ (yᵢ − m) / k,   M₂ = Σᵢ (yᵢ − m)²
  ///
  /// Two partial fits (n_a, m_a, M₂a) and (n_b, m_b, M₂b), first brought to the larger of their
  /// two scales (exact powers of two), merge as in Chan, Golub & LeVeque (1979, "Updating
  /// formulae and a pairwise algorithm for computing sample variances"):
  ///
  ///     δ = m_b − m_a,   m = m_a + δ·n_b/n,   M₂ = M₂a + M₂b + δ²·n_a·n_b/n,   n = n_a + n_b
  ///
  /// and equal-sized partial fits are merged pairwise (a binary counter), so the rounding error
  /// grows with log₂(n / ``chunkRows``), not n. At the end μⱼ = Kⱼ + m·2^e and σⱼ = √(M₂/n)·2^e. The
  /// result agrees with ``Standardizer/init(fitting:source:)`` to rounding, not bit for bit.
  ///
  /// ```swift
  /// var fit = Standardizer.Accumulator(columns: file.columns)
  /// var row = [Double](repeating: 0, count: file.columns)
  /// for i in 0..<file.rows {
  ///   row.withUnsafeMutableBufferPointer { file.loadRow(i, into: $0) }
  ///   row.withUnsafeBufferPointer { fit.add($0, row: i) }
  /// }
  /// let scaler = try fit.standardizer(source: "big.npy")
  /// ```
  public struct Accumulator: Sendable {
    /// The rows held before they are folded into a partial fit.
    public static let chunkRows = 4096

    /// The number of columns.
    public let columns: Int
    /// The number of rows added.
    public private(set) var count = 0

    /// A fit of some rows: per column, the mean less the shift Kⱼ and the sum of squared
    /// deviations, in units of 2^e.
    struct Partial: Sendable {
      var rows: Int
      var exponents: [Int]
      var means: [Double]
      var squares: [Double]
    }

    /// The rows of the chunk being filled, row-major.
    var chunk: [Double]
    var chunkCount = 0
    /// Partial fits; entry `k` covers `chunkRows · 2^level[k]` rows (a binary counter).
    var partials: [(level: Int, fit: Partial)] = []
    /// Per column: the first value, and whether every value so far equals it.
    var firstValues: [Double]
    var constant: [Bool]
    /// The first NaN or infinite entry (row label, column, value) and how many there were.
    var firstNonFinite: (row: Int, column: Int, value: Double)? = nil
    var nonFiniteCount = 0

    /// An empty fit of `columns`-column rows.
    ///
    /// - Parameter columns: the number of columns, at least 1.
    public init(columns: Int) {
      precondition(columns >= 1, "Standardizer.Accumulator needs at least one column, got \(columns)")
      self.columns = columns
      chunk = [Double](repeating: 0, count: Self.chunkRows * columns)
      firstValues = [Double](repeating: 0, count: columns)
      constant = [Bool](repeating: true, count: columns)
    }

    /// Adds one row.
    ///
    /// - Parameters:
    ///   - values: the row, ``columns`` entries.
    ///   - row: the row's 0-based number in the data, for an error about a non-finite entry.
    public mutating func add(_ values: UnsafeBufferPointer<Double>, row: Int) {
      precondition(
        values.count == columns, "Standardizer.Accumulator: \(values.count) values for \(columns) columns")
      for j in 0..<columns {
        let x = values[j]
        if !x.isFinite {
          if firstNonFinite == nil { firstNonFinite = (row, j, x) }
          nonFiniteCount += 1
        }
        if count == 0 {
          firstValues[j] = x
        } else if x != firstValues[j] {
          constant[j] = false
        }
      }
      count += 1
      // Non-finite rows are counted, not fitted: the fit is refused at the end anyway.
      guard nonFiniteCount == 0 else { return }
      let c = columns
      chunk.withUnsafeMutableBufferPointer { b in
        for j in 0..<c { b[chunkCount * c + j] = values[j] }
      }
      chunkCount += 1
      if chunkCount == Self.chunkRows { foldChunk() }
    }

    /// Fits the rows of the chunk and merges the fit into the counter.
    mutating func foldChunk() {
      guard chunkCount > 0 else { return }
      let (k, c) = (chunkCount, columns)
      var fit = Partial(
        rows: k, exponents: [Int](repeating: 0, count: c), means: [Double](repeating: 0, count: c),
        squares: [Double](repeating: 0, count: c))
      let shifts = firstValues
      chunk.withUnsafeBufferPointer { e in
        for j in 0..<c {
          // The scale covers the shift too, so that both lie in (−2, 2).
          var largest = shifts[j].magnitude
          for i in 0..<k { largest = Swift.max(largest, e[i * c + j].magnitude) }
          // An all-zero chunk (with a zero shift) has mean 0 and no spread at any scale.
          let exponent = largest == 0 ? Standardizer.Accumulator.zeroExponent : Int(largest.exponent)
          let shift = Double(sign: .plus, exponent: -exponent, significand: shifts[j])
          func scaled(_ i: Int) -> Double {
            Double(sign: .plus, exponent: -exponent, significand: e[i * c + j]) - shift
          }
          fit.exponents[j] = exponent
          (fit.means[j], fit.squares[j]) = Standardizer.correctedTwoPassMoments(count: k, scaled)
        }
      }
      chunkCount = 0
      var level = 0
      while let last = partials.last, last.level == level {
        partials.removeLast()
        fit = Self.merged(last.fit, fit)
        level += 1
      }
      partials.append((level, fit))
    }

    /// The exponent of an all-zero chunk: below every finite `Double`'s, so any other scale wins.
    static let zeroExponent = -1100

    /// The fit of the rows of `a` and `b` together (Chan, Golub & LeVeque), at the larger scale.
    static func merged(_ a: Partial, _ b: Partial) -> Partial {
      let n = a.rows + b.rows
      var out = a
      out.rows = n
      let (na, nb, total) = (Double(a.rows), Double(b.rows), Double(n))
      for j in a.means.indices {
        let e = Swift.max(a.exponents[j], b.exponents[j])
        // Powers of two: exact, unless a value is so much smaller than the other scale that it
        // underflows, and then it is negligible beside it.
        let (sa, sb) = (a.exponents[j] - e, b.exponents[j] - e)
        let ma = Double(sign: .plus, exponent: sa, significand: a.means[j])
        let mb = Double(sign: .plus, exponent: sb, significand: b.means[j])
        let qa = Double(sign: .plus, exponent: 2 * sa, significand: a.squares[j])
        let qb = Double(sign: .plus, exponent: 2 * sb, significand: b.squares[j])
        let delta = mb - ma
        out.exponents[j] = e
        out.means[j] = ma + delta * (nb / total)
        out.squares[j] = qa + qb + delta * delta * (na * nb / total)
      }
      return out
    }

    /// The fitted standardiser.
    ///
    /// - Parameter source: a name for the data in error messages, such as the file name.
    /// - Returns: μ and σ of every column.
    /// - Throws: as ``Standardizer/init(fitting:source:)``:
    ///   ``DataError/tooFewRows(source:needed:actual:)`` for fewer than 2 rows,
    ///   ``DataError/nonFinite(source:row:column:value:count:)`` naming the first NaN or
    ///   infinite entry (its row as given to ``add(_:row:)``),
    ///   ``DataError/constantColumn(source:column:value:)`` for the first column whose rows are
    ///   all equal, ``DataError/spreadOutOfRange(source:column:)`` when σ underflows to 0 or
    ///   overflows.
    public func standardizer(source: String = "data") throws(DataError) -> Standardizer {
      guard count >= 2 else { throw DataError.tooFewRows(source: source, needed: 2, actual: count) }
      if let bad = firstNonFinite {
        throw DataError.nonFinite(
          source: source, row: bad.row, column: bad.column, value: bad.value, count: nonFiniteCount)
      }
      var state = self
      state.foldChunk()
      var fit = state.partials.removeLast().fit
      while let next = state.partials.popLast() { fit = Self.merged(next.fit, fit) }
      var means = [Double](repeating: 0, count: columns)
      var deviations = [Double](repeating: 0, count: columns)
      for j in 0..<columns {
        if constant[j] { throw DataError.constantColumn(source: source, column: j, value: firstValues[j]) }
        let e = fit.exponents[j]
        means[j] = firstValues[j] + Double(sign: .plus, exponent: e, significand: fit.means[j])
        deviations[j] = Double(
          sign: .plus, exponent: e, significand: (fit.squares[j] / Double(fit.rows)).squareRoot())
        guard deviations[j] > 0 && deviations[j].isFinite && means[j].isFinite else {
          throw DataError.spreadOutOfRange(source: source, column: j)
        }
      }
      return Standardizer(means: means, standardDeviations: deviations)
    }
  }
}
