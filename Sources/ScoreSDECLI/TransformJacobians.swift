import Datasets
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

/// Where `nll` and `density` meet a model's `--transform`: the data-unit points are checked
/// against the transforms' domains, and each point's log-Jacobian `Σⱼ log Tⱼ′(xⱼ)` joins the
/// standardisation's `−Σⱼ log σⱼ`, so that every reported density is in the data's units.
extension TrainedModel {
  /// `log |det ∂z/∂x|` at each data-unit row of `x` (``logDensityCorrections(at:)``), after
  /// checking the rows against the transforms' domains.
  ///
  /// - Parameters:
  ///   - x: data-unit rows, `d` columns.
  ///   - source: the points' name in an error.
  ///   - firstRow: the rows before `x` in `source`.
  /// - Throws: a one-line ``CLIError`` naming the row, the column (0-based) and the domain.
  func checkedLogDensityCorrections(at x: Matrix<Double>, source: String, firstRow: Int) throws -> [Double] {
    try columnTransforms.map { try $0.checkDomainForCommandLine(of: x, source: source, firstRow: firstRow) }
    return logDensityCorrections(at: x)
  }

  /// Throws when a point of `grid` lies outside a transform's domain (a log-density there is −∞).
  func checkTransformDomain(of grid: DensityGrid<Double>, option: String) throws {
    guard let columnTransforms else { return }
    for first in stride(from: 0, to: grid.pointCount, by: 4096) {
      try columnTransforms.checkDomainForCommandLine(
        of: grid.points(first..<min(grid.pointCount, first + 4096)), source: option, firstRow: first)
    }
  }

  /// `density` with each grid point's `Σⱼ log Tⱼ′(xⱼ)` added (the standardisation's constant is
  /// already in it); `density` itself without transforms.
  func addingTransformJacobians(to density: GridLogDensity<Double>) -> GridLogDensity<Double> {
    guard let columnTransforms else { return density }
    let points = density.grid.points(0..<density.grid.pointCount)
    let values = zip(density.logDensities, columnTransforms.logAbsJacobians(of: points)).map { $0 + $1 }
    return GridLogDensity(grid: density.grid, logDensities: values, statistics: density.statistics)
  }
}

extension ColumnTransforms {
  /// ``checkDomain(of:source:firstRow:)`` with its error as one command-line sentence that
  /// counts the column from 0, as `--transform` does.
  func checkDomainForCommandLine(of x: Matrix<Double>, source: String, firstRow: Int) throws {
    do {
      try checkDomain(of: x, source: source, firstRow: firstRow)
    } catch {
      guard case .outsideDomain(let source, let row, let column, let value, let transform, let domain) = error
      else {
        throw CLIError(error.description)
      }
      throw CLIError(
        "\(source): row \(row + 1) holds \(value) in column \(column), outside the domain of the model's "
          + "--transform \(transform) on that column (\(domain))")
    }
  }
}
