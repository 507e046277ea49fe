import RealModule

extension BLASScalar {
  /// A uniform variate in the half-open interval (0, 1], with the full precision of the type
  /// (24 random bits for `Float`, 53 for `Double`). Never 0, so its logarithm is finite.
  @inlinable
  public static func randomOpenUnit<G: RandomNumberGenerator>(using rng: inout G) -> Self {
    let bits = Self.significandBitCount + 1
    let k = rng.next() >> UInt64(64 - bits)
    return (Self(k) + 1) * Self(sign: .plus, exponent: Self.Exponent(-bits), significand: 1)
  }

  /// A pair of independent standard normal variates (Box–Muller: `√(−2 log u₁)·(cos, sin)(2πu₂)`).
  @inlinable
  public static func randomNormalPair<G: RandomNumberGenerator>(using rng: inout G) -> (Self, Self) {
    let u1 = randomOpenUnit(using: &rng)
    let u2 = randomOpenUnit(using: &rng)
    let r = (-2 * Self.log(u1)).squareRoot()
    let theta = 2 * Self.pi * u2
    return (r * Self.cos(theta), r * Self.sin(theta))
  }

  /// A standard normal variate N(0, 1).
  @inlinable
  public static func randomNormal<G: RandomNumberGenerator>(using rng: inout G) -> Self {
    randomNormalPair(using: &rng).0
  }
}

extension UnsafeMutableBufferPointer where Element: BLASScalar {
  /// Fills the buffer with independent N(mean, standardDeviation²) variates, two per
  /// Box–Muller draw.
  @inlinable
  public func fillNormal<G: RandomNumberGenerator>(
    mean: Element = 0, standardDeviation: Element = 1, using rng: inout G
  ) {
    var i = 0
    while i + 1 < count {
      let (a, b) = Element.randomNormalPair(using: &rng)
      self[i] = mean + standardDeviation * a
      self[i + 1] = mean + standardDeviation * b
      i += 2
    }
    if i < count { self[i] = mean + standardDeviation * Element.randomNormal(using: &rng) }
  }

  /// Fills the buffer with independent uniform variates on `[lower, upper)`.
  @inlinable
  public func fillUniform<G: RandomNumberGenerator>(
    lower: Element = 0, upper: Element = 1, using rng: inout G
  ) {
    let width = upper - lower
    for i in indices {
      // randomOpenUnit is in (0, 1]; 1 − u is in [0, 1).
      self[i] = lower + width * (1 - Element.randomOpenUnit(using: &rng))
    }
  }
}

extension Matrix {
  /// Overwrites every entry with an independent N(mean, standardDeviation²) variate.
  @inlinable
  public mutating func fillNormal<G: RandomNumberGenerator>(
    mean: Scalar = 0, standardDeviation: Scalar = 1, using rng: inout G
  ) {
    withUnsafeMutableBufferPointer {
      $0.fillNormal(mean: mean, standardDeviation: standardDeviation, using: &rng)
    }
  }

  /// Overwrites every entry with an independent uniform variate on `[lower, upper)`.
  @inlinable
  public mutating func fillUniform<G: RandomNumberGenerator>(
    lower: Scalar = 0, upper: Scalar = 1, using rng: inout G
  ) {
    withUnsafeMutableBufferPointer { $0.fillUniform(lower: lower, upper: upper, using: &rng) }
  }

  /// A `rows × columns` matrix of independent standard normal variates.
  @inlinable
  public static func randomNormal<G: RandomNumberGenerator>(
    rows: Int, columns: Int, mean: Scalar = 0, standardDeviation: Scalar = 1, using rng: inout G
  ) -> Matrix {
    filled(rows: rows, columns: columns) {
      $0.fillNormal(mean: mean, standardDeviation: standardDeviation, using: &rng)
    }
  }

  /// A `rows × columns` matrix of independent uniform variates on `[lower, upper)`.
  @inlinable
  public static func randomUniform<G: RandomNumberGenerator>(
    rows: Int, columns: Int, lower: Scalar = 0, upper: Scalar = 1, using rng: inout G
  ) -> Matrix {
    filled(rows: rows, columns: columns) { $0.fillUniform(lower: lower, upper: upper, using: &rng) }
  }

  /// A new `rows × columns` matrix overwritten by `fill`: the allocating form of the `fill…`
  /// methods above.
  @inlinable
  static func filled(rows: Int, columns: Int, by fill: (inout Matrix) -> Void) -> Matrix {
    var m = Matrix(rows: rows, columns: columns)
    fill(&m)
    return m
  }
}
