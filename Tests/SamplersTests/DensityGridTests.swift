import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import Testing

/// The grid: parsing, the point order (first axis fastest, NumPy's `meshgrid` `'xy'` layout),
/// slices, the trapezoid rule, and every malformed specification refused with what and where.
@Suite struct DensityGridTests {
  @Test func axesAreLinspaceNodes() throws {
    let axis = try GridAxis<Double>(parsing: " -4 : 4 : 201 ")
    #expect(axis.count == 201 && axis.lowerBound == -4 && axis.upperBound == 4)
    #expect(abs(axis.spacing - 0.04) < 1e-15)
    #expect(axis.value(at: 0) == -4 && axis.value(at: 200) == 4 && abs(axis.value(at: 100)) < 1e-15)
    #expect(axis.trapezoidWeight(at: 0) == axis.spacing / 2 && axis.trapezoidWeight(at: 7) == axis.spacing)
  }

  /// Point `r = i_y·nₓ + iₓ` is `(x[iₓ], y[i_y])`, with a fixed third coordinate, and the shape is
  /// `(n_y, nₓ)`: values in point order are `V[i_y, iₓ]`, as `np.meshgrid(x, y)`.
  @Test func pointsRunOverTheFirstAxisFastest() throws {
    let grid = try DensityGrid<Double>(parsing: "0:2:3,0.5,10:13:4", dimension: 3)
    #expect(grid.shape == [4, 3] && grid.pointCount == 12 && grid.axisDimensions == [0, 2])
    let points = grid.points(0..<12)
    for r in 0..<12 {
      let (iy, ix) = (r / 3, r % 3)
      #expect(points.row(r) == [Double(ix), 0.5, 10 + Double(iy)], "point \(r)")
      #expect(grid.nodeIndices(ofPoint: r) == [ix, iy])
    }
    #expect(grid.points(4..<6).row(1) == [2, 0.5, 11])
  }

  /// The trapezoid rule integrates a bilinear function exactly and a Gaussian to its
  /// spectral accuracy.
  @Test func trapezoidRuleIntegratesOverTheAxes() throws {
    let grid = try DensityGrid<Double>(parsing: "0:1:5,7,-1:3:9", dimension: 3)
    let bilinear = (0..<grid.pointCount).map { r -> Double in
      let p = grid.points(r..<(r + 1)).row(0)
      return 1 + 2 * p[0] + 3 * p[2] + p[0] * p[2]
    }
    // ∫₀¹∫₋₁³ (1 + 2x + 3y + xy) dy dx = 4 + 4 + 12 + 2 = 22.
    #expect(abs(grid.trapezoidIntegral(of: bilinear) - 22) < 1e-12)
    let normal = try DensityGrid<Double>(parsing: "-8:8:81,-8:8:81", dimension: 2)
    let values = (0..<normal.pointCount).map { r -> Double in
      let p = normal.points(r..<(r + 1)).row(0)
      return Double.exp(-(p[0] * p[0] + p[1] * p[1]) / 2) / (2 * Double.pi)
    }
    #expect(abs(normal.trapezoidIntegral(of: values) - 1) < 1e-12)
  }

  @Test(arguments: [
    ("-4:4", GridSpecificationError.Problem.malformed), ("a:4:10", .malformed), ("-4:4:ten", .malformed),
    ("-4:4:0", .count), ("-4:4:1", .count), ("-4:4:-3", .count), ("4:-4:10", .emptyRange),
    ("1:1:10", .emptyRange),
    ("nan:4:10", .nonFinite), ("-4:inf:10", .nonFinite),
  ])
  func malformedAxesAreRefused(text: String, problem: GridSpecificationError.Problem) {
    #expect(throws: GridSpecificationError.self) { try GridAxis<Double>(parsing: text) }
    do {
      _ = try DensityGrid<Double>(parsing: "\(text),0:1:2", dimension: 2)
      Issue.record("\(text) was accepted")
    } catch {
      #expect(error.problem == problem, "\(text): \(error)")
      #expect(error.description.contains("entry 1 ('\(text)')"), "\(error)")
    }
  }

  @Test func gridsOfTheWrongShapeOrSizeAreRefused() {
    func problem(_ text: String, dimension: Int) -> GridSpecificationError? {
      do {
        _ = try DensityGrid<Double>(parsing: text, dimension: dimension)
        return nil
      } catch { return error }
    }
    #expect(problem("-4:4:10,-4:4:10", dimension: 3)?.problem == .dimension)
    #expect(problem("-4:4:10,-4:4:10", dimension: 3)?.description.contains("3 dimension") == true)
    #expect(problem("-4:4:10", dimension: 2)?.problem == .dimension)
    #expect(problem("0.5,0.2", dimension: 2)?.problem == .dimension)
    #expect(problem("-4:4:10,nan", dimension: 2)?.problem == .nonFinite)
    #expect(problem("-4:4:10,x", dimension: 2)?.problem == .malformed)
    #expect(problem("-4:4:10,", dimension: 2)?.problem == .malformed)
    let big = problem("-4:4:2001,-4:4:2000", dimension: 2)
    #expect(big?.problem == .tooManyPoints)
    #expect(big?.description.contains("2001 × 2000 = 4002000") == true, "\(String(describing: big))")
    #expect(problem("-4:4:2000,-4:4:2000", dimension: 2) == nil)
    #expect(problem("0:1:100000000,0:1:100000000,0:1:100000000", dimension: 3)?.problem == .tooManyPoints)
  }
}

/// The log-density on a grid is the exact PF-ODE likelihood of each point: with the exact
/// mixture score it is the mixture's analytic log-density, it integrates to 1, a slice integrates
/// to the marginal density of the fixed coordinate, a change of units adds its log-Jacobian, and
/// the chunked, threaded evaluation gives the same numbers as one likelihood call per chunk.
@Suite struct GridLogDensityTests {
  let process = VPSDE<Double>()
  let weights: [Double] = [0.2, 0.3, 0.5]
  let means: [[Double]] = [[-2, 0], [2, 1], [0, -2.5]]
  let deviations: [Double] = [0.35, 0.4, 0.3]
  var oracle: GaussianMixtureScore<VPSDE<Double>> {
    try! GaussianMixtureScore(
      weights: weights, means: means, standardDeviations: deviations, process: process)
  }
  var likelihood: ProbabilityFlowLikelihood<VPSDE<Double>, GaussianMixtureScore<VPSDE<Double>>> {
    ProbabilityFlowLikelihood(process: process, score: oracle)
  }

  /// On a 31 × 31 grid over [−4, 4] × [−4.5, 3] (every component ≥ 5 σ inside), every value is
  /// the analytic `log p_ε` within 3e-4 nats (the default tolerance's per-point bound in
  /// LikelihoodTests; measured: 1.0e-4), and `∫ρ` by the trapezoid rule is 1 within 1e-3 (the
  /// rule is spectrally accurate on Gaussians of σ ≥ 0.3 at h ≤ 0.27, error below 1e-10, and the
  /// mass outside the box is below 1e-6; what remains is the solver's 1e-4 relative error).
  @Test func mixtureLogDensityOnAGridIsTheAnalyticOne() throws {
    let grid = try DensityGrid<Double>(parsing: "-4:4:31,-4.5:3:31", dimension: 2)
    var reports: [GridProgress] = []
    let oracle = self.oracle
    let density = try likelihood.logDensity(
      on: grid, chunkSize: 200, blockRows: 100, threads: 2,
      terminalLogDensity: { oracle.logDensity($0, at: 1) }
    ) { reports.append($0) }
    let exact = oracle.logDensity(grid.points(0..<grid.pointCount), at: process.smallTimeCutoff)
    let worst = zip(density.logDensities, exact).map { abs($0 - $1) }.max()!
    #expect(worst < 3e-4, "largest error \(worst) nats")
    #expect(abs(density.integratedDensity - 1) < 1e-3, "∫ρ = \(density.integratedDensity)")
    #expect(reports.map(\.completedPoints) == [200, 400, 600, 800, 961])
    #expect(reports.allSatisfy { $0.totalPoints == 961 })
    let m = density.matrix
    #expect(m.rows == 31 && m.columns == 31)
    #expect(m[3, 7] == density.logDensities[3 * 31 + 7])
  }

  /// A slice `x₂ = 0.5`: values are the joint log-density on the line, and `∫ρ(x₁, 0.5) dx₁` is
  /// the marginal density of `x₂` at 0.5, `Σₖ wₖ N(0.5; μₖ₂, σₖ²)` (within 1e-3 relative).
  @Test func aSliceIntegratesToTheMarginalOfTheFixedCoordinate() throws {
    let grid = try DensityGrid<Double>(parsing: "-4.5:4.5:61,0.5", dimension: 2)
    let oracle = self.oracle
    let density = try likelihood.logDensity(on: grid, terminalLogDensity: { oracle.logDensity($0, at: 1) })
    // The data at time ε: each component's variance grows by σ(ε)² and its mean shrinks by a(ε).
    let (a, s) = process.marginal(at: process.smallTimeCutoff)
    var marginal = 0.0
    for k in 0..<3 {
      let variance = a * a * deviations[k] * deviations[k] + s * s
      let z = 0.5 - a * means[k][1]
      marginal += weights[k] * Double.exp(-z * z / (2 * variance)) / (2 * Double.pi * variance).squareRoot()
    }
    #expect(
      abs(density.integratedDensity / marginal - 1) < 1e-3, "\(density.integratedDensity) vs \(marginal)")
    let exact = oracle.logDensity(grid.points(0..<grid.pointCount), at: process.smallTimeCutoff)
    #expect(zip(density.logDensities, exact).allSatisfy { abs($0 - $1) < 3e-4 })
  }

  /// A grid in other units `x = 2u + (1, −1)`: with `toModelCoordinates` `u = (x − b)/2` and
  /// `logJacobian = −2 log 2`, the values are the analytic density of `x` and integrate to 1
  /// over the box in `x`'s units (without the Jacobian they would integrate to 4).
  @Test func aChangeOfUnitsAddsItsLogJacobian() throws {
    let grid = try DensityGrid<Double>(parsing: "-7:9:41,-10:5:41", dimension: 2)
    let oracle = self.oracle
    let shift = [1.0, -1.0]
    let density = try likelihood.logDensity(
      on: grid, threads: 2,
      toModelCoordinates: { x in
        for i in 0..<x.rows {
          for j in 0..<2 { x[i, j] = (x[i, j] - shift[j]) / 2 }
        }
      }, logJacobian: -2 * Double.log(2), terminalLogDensity: { oracle.logDensity($0, at: 1) })
    #expect(abs(density.integratedDensity - 1) < 1e-3, "∫ρ = \(density.integratedDensity)")
    var u = grid.points(0..<grid.pointCount)
    for i in 0..<u.rows {
      for j in 0..<2 { u[i, j] = (u[i, j] - shift[j]) / 2 }
    }
    let exact = oracle.logDensity(u, at: process.smallTimeCutoff).map { $0 - 2 * Double.log(2) }
    #expect(zip(density.logDensities, exact).allSatisfy { abs($0 - $1) < 3e-4 })
  }

  /// Every value is that of one blocked likelihood call over all the points with the same
  /// `blockRows`, bit for bit, whatever the chunk size and the thread count: the property that
  /// makes `score-sde density` agree with `score-sde nll`.
  @Test func valuesDependOnlyOnTheirBlockOfRows() throws {
    let grid = try DensityGrid<Double>(parsing: "-3:3:9,-3:3:7", dimension: 2)
    let direct = try likelihood.logLikelihood(
      of: grid.points(0..<grid.pointCount), firstRow: 0, blockRows: 5, threads: 1)
    for (chunkSize, threads) in [(25, 2), (10, 1), (7, 3), (63, 2)] {
      let density = try likelihood.logDensity(on: grid, chunkSize: chunkSize, blockRows: 5, threads: threads)
      #expect(density.logDensities == direct.logLikelihoods, "chunks of \(chunkSize) on \(threads) threads")
    }
  }
}
