public import LinearAlgebra

/// The forward model `A: ℝᵈ → ℝᵐ` of an inverse problem `y = A(x) + n`, applied to a batch of
/// points (rows are samples), with its vector–Jacobian product for posterior sampling
/// (``DiffusionPosteriorScore`` needs `∇ₓ ½‖A(x) − y‖² = A'(x)ᵀ(A(x) − y)`).
///
/// ```swift
/// let blur = LinearObservation(matrix: Matrix<Double>([[0.5, 0.5, 0], [0, 0.5, 0.5]]))
/// var y = Matrix<Double>(rows: x.rows, columns: blur.outputDimension)
/// blur.apply(x, into: &y)                                         // yᵢ = A xᵢ
/// blur.vectorJacobianProduct(at: x, cotangent: w, into: &g)       // gᵢ = Aᵀ wᵢ
/// ```
public protocol ObservationOperator<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar

  /// `d`, the dimension of a point `x`.
  var inputDimension: Int { get }
  /// `m`, the dimension of an observation `y`.
  var outputDimension: Int { get }

  /// Writes `A(xᵢ)` into row `i` of `out` (`x.rows × outputDimension`).
  func apply(_ x: Matrix<Scalar>, into out: inout Matrix<Scalar>)

  /// Writes `A'(xᵢ)ᵀ wᵢ` (the row vector `wᵢᵀ ∂A/∂x` at `xᵢ`) into row `i` of `out`
  /// (`x.rows × inputDimension`), where `wᵢ` is row `i` of `cotangent` (`x.rows × outputDimension`).
  func vectorJacobianProduct(at x: Matrix<Scalar>, cotangent: Matrix<Scalar>, into out: inout Matrix<Scalar>)

  /// The matrix `A` when the operator is linear (`A(x) = A x`), else `nil` (the default).
  /// ``PosteriorLikelihoodApproximation/pseudoinverse(observationNoise:dataVariance:)`` needs it.
  var linearMatrix: Matrix<Scalar>? { get }
}

extension ObservationOperator {
  /// `nil`: the operator is not known to be linear.
  @inlinable public var linearMatrix: Matrix<Scalar>? { nil }

  /// Checks the shapes of ``apply(_:into:)``: `x` is `n × d`, `out` is `n × m`; `caller` names
  /// the method in the message.
  @inlinable
  public func checkApplyShapes(_ x: Matrix<Scalar>, _ out: Matrix<Scalar>, _ caller: String) {
    precondition(
      x.columns == inputDimension && out.rows == x.rows && out.columns == outputDimension,
      "\(caller): \(inputDimension) → \(outputDimension), x \(x.shapeDescription), out \(out.shapeDescription)"
    )
  }

  /// Checks the shapes of ``vectorJacobianProduct(at:cotangent:into:)``: `x` has `n` rows,
  /// `cotangent` is `n × m`, `out` is `n × d`; `caller` names the method in the message.
  @inlinable
  public func checkVectorJacobianProductShapes(
    _ x: Matrix<Scalar>, _ cotangent: Matrix<Scalar>, _ out: Matrix<Scalar>, _ caller: String
  ) {
    precondition(
      cotangent.rows == x.rows && cotangent.columns == outputDimension && out.rows == x.rows
        && out.columns == inputDimension,
      "\(caller): \(inputDimension) → \(outputDimension), x \(x.shapeDescription), cotangent "
        + "\(cotangent.shapeDescription), out \(out.shapeDescription)")
  }

  /// `A(xᵢ)` for every row, as a new matrix (convenient, allocates).
  @inlinable
  public func apply(_ x: Matrix<Scalar>) -> Matrix<Scalar> {
    var out = Matrix<Scalar>(rows: x.rows, columns: outputDimension)
    apply(x, into: &out)
    return out
  }
}

/// A linear observation `y = A x` with an `m × d` matrix `A`: a coordinate selection
/// (inpainting), a blur, a projection. The vector–Jacobian product is `Aᵀw` for every point.
///
/// ```swift
/// let firstCoordinate = LinearObservation(matrix: Matrix<Double>([[1, 0]]))   // y = x₁
/// ```
public struct LinearObservation<Scalar: BLASScalar>: ObservationOperator, Equatable {
  /// `A`, `m × d`.
  public let matrix: Matrix<Scalar>

  /// The observation `y = A x`.
  /// - Precondition: `A` is non-empty and finite.
  @inlinable
  public init(matrix: Matrix<Scalar>) {
    precondition(
      matrix.rows > 0 && matrix.columns > 0 && matrix.isFinite,
      "LinearObservation: the matrix must be non-empty and finite, got \(matrix.shapeDescription)")
    self.matrix = matrix
  }

  /// The observation of the coordinates `columns` of a `dimension`-dimensional point: `A` has
  /// one row per observed coordinate, with a 1 in that column (inpainting, as
  /// ``ObservationReplacement`` does it).
  @inlinable
  public init(selecting columns: [Int], dimension: Int) {
    precondition(
      columns.allSatisfy { (0..<dimension).contains($0) },
      "LinearObservation: columns \(columns) outside 0..<\(dimension)")
    var a = Matrix<Scalar>(rows: columns.count, columns: dimension)
    for (k, column) in columns.enumerated() { a[k, column] = 1 }
    self.init(matrix: a)
  }

  /// `d`, the columns of `A`.
  @inlinable public var inputDimension: Int { matrix.columns }
  /// `m`, the rows of `A`.
  @inlinable public var outputDimension: Int { matrix.rows }
  /// `A`.
  @inlinable public var linearMatrix: Matrix<Scalar>? { matrix }

  /// Rows `A xᵢ`: the product `X Aᵀ`.
  @inlinable
  public func apply(_ x: Matrix<Scalar>, into out: inout Matrix<Scalar>) {
    checkApplyShapes(x, out, "LinearObservation.apply")
    out.formProduct(x, matrix, transposingB: true)
  }

  /// Rows `Aᵀ wᵢ`: the product `W A` (the Jacobian is `A` everywhere).
  @inlinable
  public func vectorJacobianProduct(
    at x: Matrix<Scalar>, cotangent: Matrix<Scalar>, into out: inout Matrix<Scalar>
  ) {
    checkVectorJacobianProductShapes(x, cotangent, out, "LinearObservation.vectorJacobianProduct")
    out.formProduct(cotangent, matrix)
  }
}

/// A nonlinear observation given by two Swift functions of one point: `value(x) = A(x)` and
/// `vectorJacobianProduct(x, w) = A'(x)ᵀ w` (for phase retrieval `A(x) = |Fx|`, a product of
/// coordinates, a simulator with hand-written adjoint). The functions are called once per row
/// and allocate their arrays: convenient, not for hot loops.
///
/// ```swift
/// // y = x₁·x₂, ∂y/∂x = (x₂, x₁)
/// let product = ClosureObservation<Double>(inputDimension: 2, outputDimension: 1,
///   value: { x in [x[0] * x[1]] },
///   vectorJacobianProduct: { x, w in [w[0] * x[1], w[0] * x[0]] })
/// ```
public struct ClosureObservation<Scalar: BLASScalar>: ObservationOperator {
  /// `d`.
  public let inputDimension: Int
  /// `m`.
  public let outputDimension: Int
  /// `A(x)` for one point (`d` entries in, `m` out).
  public let value: @Sendable ([Scalar]) -> [Scalar]
  /// `A'(x)ᵀ w` for one point `x` (`d` entries) and cotangent `w` (`m` entries); `d` entries out.
  public let jacobianTransposeProduct: @Sendable ([Scalar], [Scalar]) -> [Scalar]

  /// The observation `y = value(x)` whose vector–Jacobian product is `vectorJacobianProduct(x, w)`.
  @inlinable
  public init(
    inputDimension: Int, outputDimension: Int, value: @escaping @Sendable ([Scalar]) -> [Scalar],
    vectorJacobianProduct: @escaping @Sendable ([Scalar], [Scalar]) -> [Scalar]
  ) {
    precondition(
      inputDimension > 0 && outputDimension > 0,
      "ClosureObservation: dimensions \(inputDimension) → \(outputDimension) must be positive")
    self.inputDimension = inputDimension
    self.outputDimension = outputDimension
    self.value = value
    self.jacobianTransposeProduct = vectorJacobianProduct
  }

  /// Calls `value` on every row.
  @inlinable
  public func apply(_ x: Matrix<Scalar>, into out: inout Matrix<Scalar>) {
    checkApplyShapes(x, out, "ClosureObservation.apply")
    for i in 0..<x.rows {
      let y = value(x.row(i))
      precondition(
        y.count == outputDimension,
        "ClosureObservation: value gave \(y.count) entries, not \(outputDimension)")
      out.setRow(i, to: y)
    }
  }

  /// Calls `vectorJacobianProduct` on every row.
  @inlinable
  public func vectorJacobianProduct(
    at x: Matrix<Scalar>, cotangent: Matrix<Scalar>, into out: inout Matrix<Scalar>
  ) {
    checkVectorJacobianProductShapes(x, cotangent, out, "ClosureObservation.vectorJacobianProduct")
    for i in 0..<x.rows {
      let g = jacobianTransposeProduct(x.row(i), cotangent.row(i))
      precondition(
        g.count == inputDimension,
        "ClosureObservation: vectorJacobianProduct gave \(g.count) entries, not \(inputDimension)")
      out.setRow(i, to: g)
    }
  }
}
