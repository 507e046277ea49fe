public import LinearAlgebra
import RealModule

/// The fixed part of a ``ParameterEncodingConfiguration`` (the unit-box map, Fourier frequencies,
/// hash-grid geometry) and the encoding's forward and backward passes; the learnable hash tables
/// are passed in, since they belong to the trained parameters (``EncodedConditionParameters``).
///
/// For a condition row `[θ ‖ m]` (k parameters, p passthrough columns) the output row is
/// `[φ(z) ‖ m]` with `zⱼ = (θⱼ − aⱼ)/(bⱼ − aⱼ)` and `φ` as in ``ParameterEncoding``. The hash
/// grid's output for level `l` and feature `f` is the d-linear interpolation
/// `φ_{l,f}(z) = Σ_s w_s(t) · T_l[index(c + s), f]` over the `2ᵏ` corners of `z`'s cell (see
/// ``HashGridGeometry``), so `∂φ_{l,f}/∂T_l[r, f] = Σ_{s: index(c+s) = r} w_s`: the table
/// gradient is a scatter-add of the interpolation weights times `∂L/∂φ_{l,f}`.
///
/// ```swift
/// var rng = Xoshiro256(seed: 1)
/// let encoder = ParameterEncoder<Double>(
///   configuration: .init(encoding: .defaultHashGrid, lowerBounds: [0, 0], upperBounds: [1, 2]), using: &rng)
/// let tables = encoder.makeTables(using: &rng)
/// var features = Matrix<Double>(rows: 1, columns: encoder.configuration.outputColumns)
/// encoder.encode(Matrix([[0.5, 1.0]]), tables: tables, into: &features)
/// ```
public struct ParameterEncoder<Scalar: BLASScalar>: Sendable {
  /// The encoding and its ranges.
  public let configuration: ParameterEncodingConfiguration
  /// `B`, `m × k` (Fourier features only; `0 × 0` otherwise). Fixed, not trained.
  public var frequencies: Matrix<Scalar>
  /// The grids (hash encoding only).
  public let grid: HashGridGeometry?
  @usableFromInline let lower: [Scalar]
  @usableFromInline let inverseWidths: [Scalar]

  /// The encoder of `configuration`; for Fourier features draws `B` row by row from `rng`,
  /// `Bᵢⱼ = σ ξᵢⱼ`, ξ ~ N(0, 1).
  ///
  /// - Parameters:
  ///   - configuration: a valid configuration (``ParameterEncodingConfiguration/validationFailure`` is `nil`).
  ///   - rng: the generator of the frequencies.
  public init<G: RandomNumberGenerator>(configuration: ParameterEncodingConfiguration, using rng: inout G) {
    if let failure = configuration.validationFailure {
      preconditionFailure("ParameterEncoder: \(failure)")
    }
    self.configuration = configuration
    let k = configuration.parameterCount
    if case .fourier(let m, let scale) = configuration.encoding {
      frequencies = .randomNormal(rows: m, columns: k, standardDeviation: Scalar(scale), using: &rng)
    } else {
      frequencies = Matrix(rows: 0, columns: 0)
    }
    grid = HashGridGeometry(configuration.encoding, dimension: k)
    lower = configuration.lowerBounds.map { Scalar($0) }
    inverseWidths = (0..<k).map {
      Scalar(1 / (configuration.upperBounds[$0] - configuration.lowerBounds[$0]))
    }
  }

  /// The PyTorch shapes of the learnable tables: `[T_l, F]` per level (none unless a hash grid).
  public var tableShapes: [[Int]] {
    guard let grid else { return [] }
    return grid.tableSizes.map { [$0, grid.featuresPerLevel] }
  }

  /// Fresh tables, entries `U(−10⁻⁴, 10⁻⁴)` as in Müller et al. 2022 (§4), drawn level by level.
  public func makeTables<G: RandomNumberGenerator>(using rng: inout G) -> [Matrix<Scalar>] {
    tableShapes.map { shape in
      var t = Matrix<Scalar>(rows: shape[0], columns: shape[1])
      t.withUnsafeMutableBufferPointer { e in
        for i in e.indices { e[i] = Scalar(2e-4 * Double.randomOpenUnit(using: &rng) - 1e-4) }
      }
      return t
    }
  }

  /// Checks `condition` (`n × (k + p)`) and sizes `out` to `n × outputColumns`.
  @inlinable
  func prepare(_ condition: Matrix<Scalar>, _ out: inout Matrix<Scalar>, _ caller: String) {
    precondition(
      condition.columns == configuration.inputColumns,
      "ParameterEncoder.\(caller): condition \(condition.shapeDescription), the encoding takes "
        + "\(configuration.inputColumns) columns")
    if out.rows != condition.rows || out.columns != configuration.outputColumns {
      out.resize(rows: condition.rows, columns: configuration.outputColumns)
    }
  }

  /// `z = (θ − a)/(b − a)` for column `j` of a row; stops on NaN (a condition must be a number).
  @inlinable
  func unit(_ theta: Scalar, column j: Int) -> Scalar {
    precondition(!theta.isNaN, "ParameterEncoder: condition parameter \(j) is NaN")
    return (theta - lower[j]) * inverseWidths[j]
  }

  /// Writes `[φ(z) ‖ m]` for every row of `condition` into `out` (resized to `n × outputColumns`).
  ///
  /// - Parameters:
  ///   - condition: `n × (k + p)` rows `[θ ‖ m]`.
  ///   - tables: the hash tables (``tableShapes``), empty for the other encodings.
  ///   - out: receives the features.
  @inlinable
  public func encode(_ condition: Matrix<Scalar>, tables: [Matrix<Scalar>], into out: inout Matrix<Scalar>) {
    prepare(condition, &out, "encode")
    let (n, k, p) = (condition.rows, configuration.parameterCount, configuration.passthroughColumns)
    let (width, features) = (configuration.inputColumns, configuration.outputColumns - p)
    let outWidth = configuration.outputColumns
    condition.withUnsafeBufferPointer { c in
      out.withUnsafeMutableBufferPointer { o in
        for i in 0..<n {
          let row = c.baseAddress! + i * width
          let target = o.baseAddress! + i * outWidth
          for q in 0..<p { target[features + q] = row[k + q] }
          switch configuration.encoding {
          case .identity:
            for j in 0..<k { target[j] = unit(row[j], column: j) }
          case .fourier:
            encodeFourier(row, into: target)
          case .hashGrid:
            for f in 0..<features { target[f] = 0 }
            forEachCorner(of: row) { level, index, weight, _ in
              let f = grid!.featuresPerLevel
              tables[level].withUnsafeBufferPointer { table in
                for e in 0..<f { target[level * f + e] += weight * table[index * f + e] }
              }
            }
          }
        }
      }
    }
  }

  /// `[sin 2πBz, cos 2πBz]` of one row.
  @inlinable
  func encodeFourier(_ row: UnsafePointer<Scalar>, into target: UnsafeMutablePointer<Scalar>) {
    let (m, k) = (frequencies.rows, frequencies.columns)
    frequencies.withUnsafeBufferPointer { b in
      for r in 0..<m {
        var angle: Scalar = 0
        for j in 0..<k { angle += b[r * k + j] * unit(row[j], column: j) }
        angle *= 2 * Scalar.pi
        target[r] = Scalar.sin(angle)
        target[m + r] = Scalar.cos(angle)
      }
    }
  }

  /// Calls `body(level, row, weight, corner)` for the `2ᵏ` corners of the cell of one condition
  /// row at every level, with `z` clamped to `[0, 1]ᵏ`; `corner`'s bit j says whether coordinate
  /// j is the cell's upper one. `local` receives the local coordinates `t` of the last level.
  @inlinable
  func forEachCorner(
    of row: UnsafePointer<Scalar>, local: UnsafeMutablePointer<Scalar>? = nil,
    _ body: (Int, Int, Scalar, Int) -> Void
  ) {
    guard let grid else { return }
    let k = configuration.parameterCount
    withUnsafeTemporaryAllocation(of: Int.self, capacity: k) { cell in
      withUnsafeTemporaryAllocation(of: Scalar.self, capacity: k) { t in
        for level in 0..<grid.levels {
          let resolution = grid.resolutions[level]
          let scale = Scalar(resolution)
          for j in 0..<k {
            let z = Swift.min(Swift.max(unit(row[j], column: j), 0), 1)
            let x = z * scale
            let c = Swift.min(Int(x.rounded(.down)), resolution - 1)
            cell[j] = c
            t[j] = x - Scalar(c)
          }
          if let local { for j in 0..<k { local[j + level * k] = t[j] } }
          for corner in 0..<(1 << k) {
            var weight: Scalar = 1
            for j in 0..<k { weight *= (corner >> j) & 1 == 1 ? t[j] : 1 - t[j] }
            body(
              level, grid.index(of: UnsafePointer(cell.baseAddress!), offset: corner, level: level), weight,
              corner)
          }
        }
      }
    }
  }

  /// The table gradient `∂L/∂T_l[r, f] = Σ_{rows, corners s → r} w_s · ∂L/∂φ_{l,f}` (a
  /// scatter-add of the interpolation weights), added to `tableGradients` or written over them.
  ///
  /// - Parameters:
  ///   - condition: the `n × (k + p)` rows of the forward pass.
  ///   - featureGradient: `∂L/∂[φ ‖ m]`, `n × outputColumns`.
  ///   - tableGradients: one matrix per table (``tableShapes``).
  ///   - accumulate: add instead of overwriting.
  @inlinable
  public func tableGradients(
    _ condition: Matrix<Scalar>, featureGradient: Matrix<Scalar>, into tableGradients: inout [Matrix<Scalar>],
    accumulate: Bool
  ) {
    precondition(
      tableGradients.count == tableShapes.count,
      "ParameterEncoder.tableGradients: \(tableGradients.count) gradients for \(tableShapes.count) tables")
    if !accumulate { for l in tableGradients.indices { tableGradients[l].fill(with: 0) } }
    guard let grid else { return }
    let (n, width, outWidth, f) = (
      condition.rows, configuration.inputColumns, configuration.outputColumns, grid.featuresPerLevel
    )
    precondition(
      featureGradient.rows == n && featureGradient.columns == outWidth,
      "ParameterEncoder.tableGradients: feature gradient \(featureGradient.shapeDescription) for condition "
        + "\(condition.shapeDescription)")
    condition.withUnsafeBufferPointer { c in
      featureGradient.withUnsafeBufferPointer { g in
        for i in 0..<n {
          let upstream = g.baseAddress! + i * outWidth
          forEachCorner(of: c.baseAddress! + i * width) { level, index, weight, _ in
            tableGradients[level].withUnsafeMutableBufferPointer { dt in
              for e in 0..<f { dt[index * f + e] += weight * upstream[level * f + e] }
            }
          }
        }
      }
    }
  }

  /// `∂L/∂[θ ‖ m]` from `∂L/∂[φ ‖ m]`: through the unit-box map, the Fourier features
  /// (`∂/∂zⱼ sin 2πbᵣ·z = 2π bᵣⱼ cos 2πbᵣ·z`) or the hash grid's interpolation weights
  /// (`∂w_s/∂tⱼ = ±Π_{i≠j}(…)`, `∂tⱼ/∂zⱼ = N_l`, and 0 where z was clamped); the passthrough
  /// columns' gradient is copied.
  ///
  /// - Parameters:
  ///   - condition: the `n × (k + p)` rows of the forward pass.
  ///   - featureGradient: `n × outputColumns`.
  ///   - tables: the hash tables of the forward pass.
  ///   - conditionGradient: receives `n × (k + p)`.
  @inlinable
  public func conditionGradient(
    _ condition: Matrix<Scalar>, featureGradient: Matrix<Scalar>, tables: [Matrix<Scalar>],
    into conditionGradient: inout Matrix<Scalar>
  ) {
    let (n, k, p) = (condition.rows, configuration.parameterCount, configuration.passthroughColumns)
    let (width, outWidth) = (configuration.inputColumns, configuration.outputColumns)
    let features = outWidth - p
    precondition(
      featureGradient.rows == n && featureGradient.columns == outWidth && conditionGradient.rows == n
        && conditionGradient.columns == width,
      "ParameterEncoder.conditionGradient: feature gradient \(featureGradient.shapeDescription), output "
        + "\(conditionGradient.shapeDescription) for condition \(condition.shapeDescription)")
    let levels = grid?.levels ?? 0
    withUnsafeTemporaryAllocation(of: Scalar.self, capacity: max(1, levels * k)) { local in
      condition.withUnsafeBufferPointer { c in
        featureGradient.withUnsafeBufferPointer { g in
          conditionGradient.withUnsafeMutableBufferPointer { out in
            for i in 0..<n {
              let row = c.baseAddress! + i * width
              let upstream = g.baseAddress! + i * outWidth
              let target = out.baseAddress! + i * width
              for q in 0..<p { target[k + q] = upstream[features + q] }
              for j in 0..<k { target[j] = 0 }
              switch configuration.encoding {
              case .identity:
                for j in 0..<k { target[j] = upstream[j] }
              case .fourier:
                let m = frequencies.rows
                frequencies.withUnsafeBufferPointer { b in
                  for r in 0..<m {
                    var angle: Scalar = 0
                    for j in 0..<k { angle += b[r * k + j] * unit(row[j], column: j) }
                    angle *= 2 * Scalar.pi
                    let dAngle = upstream[r] * Scalar.cos(angle) - upstream[m + r] * Scalar.sin(angle)
                    for j in 0..<k { target[j] += 2 * Scalar.pi * b[r * k + j] * dAngle }
                  }
                }
              case .hashGrid:
                hashConditionGradient(
                  row, upstream: upstream, tables: tables, local: local.baseAddress!, into: target)
              }
              for j in 0..<k { target[j] *= inverseWidths[j] }
            }
          }
        }
      }
    }
  }

  /// `∂L/∂z` of one row through the hash grid (before the factor `1/(b − a)`).
  @inlinable
  func hashConditionGradient(
    _ row: UnsafePointer<Scalar>, upstream: UnsafePointer<Scalar>, tables: [Matrix<Scalar>],
    local: UnsafeMutablePointer<Scalar>, into target: UnsafeMutablePointer<Scalar>
  ) {
    guard let grid else { return }
    let (k, f) = (configuration.parameterCount, grid.featuresPerLevel)
    forEachCorner(of: row, local: local) { level, index, _, corner in
      let t = local + level * k
      let scale = Scalar(grid.resolutions[level])
      // ∂L/∂(corner's weight) = Σ_f ∂L/∂φ_{l,f} · T_l[index, f].
      var dWeight: Scalar = 0
      tables[level].withUnsafeBufferPointer { table in
        for e in 0..<f { dWeight += upstream[level * f + e] * table[index * f + e] }
      }
      for j in 0..<k {
        let z = unit(row[j], column: j)
        guard z > 0 && z < 1 else { continue }
        var partial: Scalar = (corner >> j) & 1 == 1 ? 1 : -1
        for i in 0..<k where i != j { partial *= (corner >> i) & 1 == 1 ? t[i] : 1 - t[i] }
        target[j] += dWeight * partial * scale
      }
    }
  }
}
