import Foundation
import LinearAlgebra
import RealModule
import ScoreNetworks
import TestSupport
import Testing

/// The parameter encodings in front of a conditional network: forward passes against the
/// formulas written out here, the hash grid's indexing, gradients against finite differences,
/// model files, and hostile conditions.
@Suite struct ParameterEncodingTests {
  typealias Network = EncodedConditionNetwork<MLP<Double>>

  /// A small encoded MLP on 2-D data with `k` parameters ranging over [lower, upper].
  func network(
    _ encoding: ParameterEncoding, lower: [Double], upper: [Double], passthrough: Int = 0, seed: UInt64 = 1
  ) -> Network {
    let e = ParameterEncodingConfiguration(
      encoding: encoding, lowerBounds: lower, upperBounds: upper, passthroughColumns: passthrough)
    let base = MLPConfiguration(inputDimension: 2, conditionDimension: e.outputColumns, width: 8, depth: 2)
    var rng = Xoshiro256(seed: seed)
    var net = Network(configuration: .init(base: base, encoding: e), using: &rng)
    // Tables far from their tiny initial values, so that every gradient is well scaled.
    for l in net.parameters.tables.indices {
      net.parameters.tables[l] = .randomNormal(
        rows: net.parameters.tables[l].rows, columns: net.parameters.tables[l].columns, standardDeviation: 1,
        using: &rng)
    }
    return net
  }

  static let smallHash = ParameterEncoding.hashGrid(
    levels: 3, tableSize: 16, featuresPerLevel: 2, coarsestResolution: 2, finestResolution: 8)

  /// Conditions strictly inside the box (no clamping), `n × k`.
  func conditions(_ n: Int, lower: [Double], upper: [Double], seed: UInt64) -> Matrix<Double> {
    var rng = Xoshiro256(seed: seed)
    var c = Matrix<Double>(rows: n, columns: lower.count)
    for i in 0..<n {
      for j in 0..<lower.count {
        c[i, j] = lower[j] + (upper[j] - lower[j]) * (0.05 + 0.9 * Double.randomOpenUnit(using: &rng))
      }
    }
    return c
  }

  // MARK: Forward against the formulas

  /// The identity encoding with the range [a, b] is the plain MLP fed z = (θ − a)/(b − a).
  @Test func identityEncodingIsTheBaseNetworkOnTheUnitBox() {
    let (lower, upper) = ([1.0, -2], [3.0, 2])
    let net = network(.identity, lower: lower, upper: upper)
    let theta = conditions(5, lower: lower, upper: upper, seed: 2)
    var z = theta
    for i in 0..<5 { for j in 0..<2 { z[i, j] = (theta[i, j] - lower[j]) / (upper[j] - lower[j]) } }
    var rng = Xoshiro256(seed: 3)
    let x = Matrix<Double>.randomNormal(rows: 5, columns: 2, standardDeviation: 1, using: &rng)
    let times = Times<Double>.perRow([0.1, 0.3, 0.5, 0.7, 0.9])
    let wrapped = net(x, times: times, condition: theta)
    let plain = net.base(x, times: times, condition: z)
    #expect(maxAbsDifference(wrapped, plain) < 1e-14)
  }

  /// Fourier features are [sin 2πBz, cos 2πBz] with B the stored m × k matrix.
  @Test func fourierFeaturesMatchTheFormula() {
    let (lower, upper) = ([0.0, 10], [2.0, 20])
    let net = network(.fourier(features: 5, scale: 3), lower: lower, upper: upper)
    let b = net.encoder.frequencies
    #expect(b.rows == 5 && b.columns == 2)
    let theta = Matrix<Double>([[0.5, 12], [1.9, 19.5]])
    var features = Matrix<Double>(rows: 0, columns: 0)
    net.encoder.encode(theta, tables: [], into: &features)
    #expect(features.rows == 2 && features.columns == 10)
    for i in 0..<2 {
      let z = [(theta[i, 0] - 0) / 2, (theta[i, 1] - 10) / 10]
      for r in 0..<5 {
        let angle = 2 * Double.pi * (b[r, 0] * z[0] + b[r, 1] * z[1])
        #expect(abs(features[i, r] - Double.sin(angle)) < 1e-13)
        #expect(abs(features[i, 5 + r] - Double.cos(angle)) < 1e-13)
      }
    }
    // The frequencies are N(0, σ²) draws: for σ = 3 and 2·4096 of them the sample sd is within 5%.
    var rng = Xoshiro256(seed: 77)
    let many = ParameterEncoder<Double>(
      configuration: .init(
        encoding: .fourier(features: 4096, scale: 3), lowerBounds: [0, 0], upperBounds: [1, 1]),
      using: &rng)
    let sd = (many.frequencies.elements.map { $0 * $0 }.reduce(0, +) / 8192).squareRoot()
    #expect(abs(sd - 3) < 0.15)
  }

  /// The paper's resolutions N_l = ⌊N_min bˡ⌋, the dense/hashed switch at (N_l + 1)ᵏ ≤ T, and
  /// both index formulas written out.
  @Test func hashGridGeometryAndIndicesFollowThePaper() {
    let grid = HashGridGeometry(
      dimension: 2, levels: 4, tableSize: 64, featuresPerLevel: 2, coarsestResolution: 2, finestResolution: 16
    )
    // b = (16/2)^(1/3) = 2: N = 2, 4, 8, 16.
    #expect(grid.resolutions == [2, 4, 8, 16])
    // (N+1)² = 9, 25 fit in 64; 81 and 289 do not.
    #expect(grid.isDense == [true, true, false, false])
    #expect(grid.tableSizes == [9, 25, 64, 64])
    // Dense: v₀ + v₁(N + 1), a bijection onto 0 ..< (N+1)².
    var seen = Set<Int>()
    for a in 0...4 {
      for b in 0...4 {
        let index = grid.index(of: [a, b], level: 1)
        #expect(index == a + 5 * b)
        seen.insert(index)
      }
    }
    #expect(seen == Set(0..<25))
    // Hashed: (v₀·1 ⊕ v₁·2654435761) mod T in 32-bit arithmetic, the same on every call.
    for (a, b) in [(0, 0), (3, 7), (16, 16), (9, 2)] {
      let expected = Int((UInt32(a) ^ (UInt32(b) &* 2_654_435_761)) % 64)
      #expect(grid.index(of: [a, b], level: 3) == expected)
      #expect(grid.index(of: [a, b], level: 3) == grid.index(of: [a, b], level: 3))
    }
    // Three dimensions use the third prime; a non-power-of-two T takes the remainder.
    let grid3 = HashGridGeometry(
      dimension: 3, levels: 1, tableSize: 1000, featuresPerLevel: 1, coarsestResolution: 64,
      finestResolution: 64)
    #expect(grid3.isDense == [false])
    let h = (UInt32(5) ^ (UInt32(6) &* 2_654_435_761) ^ (UInt32(7) &* 805_459_861)) % 1000
    #expect(grid3.index(of: [5, 6, 7], level: 0) == Int(h))
    // One level: b = 1, N = N_min.
    let single = HashGridGeometry(
      dimension: 1, levels: 1, tableSize: 8, featuresPerLevel: 1, coarsestResolution: 3, finestResolution: 3)
    #expect(single.resolutions == [3] && single.tableSizes == [4])
  }

  /// The hash encoding is the d-linear interpolation of the corner rows of each level's table,
  /// computed here corner by corner; at a grid vertex it is that vertex's row.
  @Test func hashEncodingInterpolatesTheCornerRows() {
    let (lower, upper) = ([0.0, -1], [1.0, 1])
    let net = network(Self.smallHash, lower: lower, upper: upper)
    let grid = net.encoder.grid!
    let tables = net.parameters.tables
    let theta = Matrix<Double>([[0.3, 0.2], [0.71, -0.93], [1.0, 1.0], [0.0, -1.0]])
    var features = Matrix<Double>(rows: 0, columns: 0)
    net.encoder.encode(theta, tables: tables, into: &features)
    #expect(features.columns == 6)
    for i in 0..<theta.rows {
      let z = [theta[i, 0], (theta[i, 1] + 1) / 2]
      for l in 0..<3 {
        let n = grid.resolutions[l]
        let c = z.map { min(Int(($0 * Double(n)).rounded(.down)), n - 1) }
        let t = (0..<2).map { z[$0] * Double(n) - Double(c[$0]) }
        for f in 0..<2 {
          var expected = 0.0
          for s0 in 0...1 {
            for s1 in 0...1 {
              let w = (s0 == 1 ? t[0] : 1 - t[0]) * (s1 == 1 ? t[1] : 1 - t[1])
              expected += w * tables[l][grid.index(of: [c[0] + s0, c[1] + s1], level: l), f]
            }
          }
          #expect(abs(features[i, 2 * l + f] - expected) < 1e-13, "row \(i) level \(l) feature \(f)")
        }
      }
    }
    // θ = (0.5, 0) is the vertex (1, 1) of level 0 (N = 2): exactly its row.
    net.encoder.encode(Matrix([[0.5, 0]]), tables: tables, into: &features)
    let row = grid.index(of: [1, 1], level: 0)
    #expect(features[0, 0] == tables[0][row, 0] && features[0, 1] == tables[0][row, 1])
  }

  /// A mask column passes through unencoded, after the features.
  @Test func passthroughColumnsFollowTheFeatures() {
    let net = network(.fourier(features: 3, scale: 1), lower: [0], upper: [1], passthrough: 1)
    #expect(net.conditionDimension == 2)
    var features = Matrix<Double>(rows: 0, columns: 0)
    net.encoder.encode(Matrix([[0.4, 1], [0.4, 0]]), tables: [], into: &features)
    #expect(features.columns == 7 && features[0, 6] == 1 && features[1, 6] == 0)
    #expect(features.row(0)[..<6] == features.row(1)[..<6])
  }

  // MARK: Gradients against finite differences

  /// ⟨R, f⟩ for a random R: its gradient with respect to the output is R.
  func loss(
    _ net: Network, _ x: Matrix<Double>, _ times: Times<Double>, _ c: Matrix<Double>, _ r: Matrix<Double>
  )
    -> Double
  {
    frobeniusProduct(net(x, times: times, condition: c), r)
  }

  @Test(arguments: [ParameterEncoding.identity, .fourier(features: 4, scale: 1.5), smallHash])
  func gradientsIntoTablesWeightsAndConditionsMatchFiniteDifferences(encoding: ParameterEncoding) {
    let (lower, upper) = ([0.5, -1], [2.0, 3])
    let net = network(encoding, lower: lower, upper: upper, passthrough: 1)
    var rng = Xoshiro256(seed: 11)
    let n = 6
    let x = Matrix<Double>.randomNormal(rows: n, columns: 2, standardDeviation: 1, using: &rng)
    var c = conditions(n, lower: lower, upper: upper, seed: 12)
    c = Matrix((0..<n).map { c.row($0) + [Double($0 % 2)] })
    let r = Matrix<Double>.randomNormal(rows: n, columns: 2, standardDeviation: 1, using: &rng)
    let times = Times<Double>.perRow((0..<n).map { 0.1 + 0.15 * Double($0) })
    var workspace = net.makeWorkspace(rows: n)
    var out = Matrix<Double>(rows: n, columns: 2)
    net.forward(x, times: times, condition: c, into: &out, workspace: &workspace)
    var gradients = net.makeGradients()
    var conditionGradient = Matrix<Double>(rows: n, columns: 3)
    net.backward(
      outputGradient: r, workspace: &workspace, into: &gradients, conditionGradient: &conditionGradient,
      accumulate: false)
    // Every tensor, base weights and tables alike.
    for k in 0..<net.parameters.tensorCount {
      let original = net.parameters.tensor(at: k)
      let numeric = finiteDifferenceGradient(at: original) { value in
        var probe = net
        probe.parameters.withMutableTensor(at: k) { $0 = value }
        return loss(probe, x, times, c, r)
      }
      let analytic = gradients.tensor(at: k)
      #expect(
        maxAbsDifference(analytic, numeric) < 1e-7 * max(1, numeric.elements.map(abs).max()!),
        "\(net.parameters.tensorName(at: k))")
    }
    // The condition, through the encoding (the mask column too).
    let numeric = finiteDifferenceGradient(at: c) { loss(net, x, times, $0, r) }
    #expect(maxAbsDifference(conditionGradient, numeric) < 1e-7 * max(1, numeric.elements.map(abs).max()!))
    // Accumulation adds.
    var twice = gradients
    net.forward(x, times: times, condition: c, into: &out, workspace: &workspace)
    net.backward(outputGradient: r, workspace: &workspace, into: &twice, accumulate: true)
    for k in 0..<gradients.tensorCount {
      #expect(maxAbsDifference(twice.tensor(at: k), gradients.tensor(at: k) * 2) < 1e-12)
    }
  }

  /// Only the tables of touched cells get a gradient: the scatter-add writes nothing elsewhere.
  @Test func tableGradientTouchesOnlyTheCornersOfTheBatch() {
    let net = network(Self.smallHash, lower: [0, 0], upper: [1, 1])
    let grid = net.encoder.grid!
    let theta = Matrix<Double>([[0.1, 0.1]])
    var g = net.encoder.tableShapes.map { Matrix<Double>(rows: $0[0], columns: $0[1], repeating: 5) }
    net.encoder.tableGradients(
      theta, featureGradient: Matrix(rows: 1, columns: 6, repeating: 1), into: &g, accumulate: false)
    for l in 0..<3 {
      let n = grid.resolutions[l]
      let c = [0.1, 0.1].map { min(Int(($0 * Double(n)).rounded(.down)), n - 1) }
      let corners = Set(
        [(0, 0), (1, 0), (0, 1), (1, 1)].map { grid.index(of: [c[0] + $0.0, c[1] + $0.1], level: l) })
      for row in 0..<g[l].rows where !corners.contains(row) {
        #expect(g[l][row, 0] == 0 && g[l][row, 1] == 0)
      }
      // The weights of a cell sum to 1.
      let total = (0..<g[l].rows).map { g[l][$0, 0] }.reduce(0, +)
      #expect(abs(total - 1) < 1e-14)
    }
  }

  /// One Adam step moves the tables that the batch touched (they are trained parameters).
  @Test func adamUpdatesTheTables() {
    var net = network(Self.smallHash, lower: [0, 0], upper: [1, 1])
    let before = net.parameters.tables
    var rng = Xoshiro256(seed: 4)
    let x = Matrix<Double>.randomNormal(rows: 4, columns: 2, standardDeviation: 1, using: &rng)
    let c = conditions(4, lower: [0, 0], upper: [1, 1], seed: 5)
    var workspace = net.makeWorkspace(rows: 4)
    var out = Matrix<Double>(rows: 4, columns: 2)
    net.forward(x, times: .shared(0.5), condition: c, into: &out, workspace: &workspace)
    var gradients = net.makeGradients()
    net.backward(outputGradient: out, workspace: &workspace, into: &gradients)
    var adam = Adam<Double>(learningRate: 1e-2)
    adam.update(&net.parameters, along: gradients)
    #expect(net.parameters.tables != before)
    #expect(adam.namedState(for: net.parameters).names.contains { $0.contains("condition_encoding.hash.2") })
  }

  // MARK: Model files

  @Test(arguments: [ParameterEncoding.identity, .fourier(features: 4, scale: 2), smallHash])
  func modelFileRoundTrips(encoding: ParameterEncoding) throws {
    let net = network(encoding, lower: [0.5, -1], upper: [2.0, 3], passthrough: 1, seed: 9)
    let url = temporaryURL("encoded.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try net.save(to: url)
    let loaded = try Network.load(from: url)
    #expect(loaded.configuration == net.configuration)
    #expect(loaded.namedTensors() == net.namedTensors())
    let c = Matrix<Double>([[1, 0, 1], [1.5, 2.5, 0]])
    let x = Matrix<Double>([[0.2, -0.3], [1, 2]])
    #expect(loaded(x, times: .shared(0.4), condition: c) == net(x, times: .shared(0.4), condition: c))
    let names = net.namedTensors().names
    switch encoding {
    case .identity: #expect(!names.contains { $0.hasPrefix("condition_encoding") })
    case .fourier: #expect(names.contains("condition_encoding.fourier.frequencies"))
    case .hashGrid: #expect(names.filter { $0.hasPrefix("condition_encoding.hash.") }.count == 3)
    }
    // A Float reader gets the same network in Float.
    let asFloat = try EncodedConditionNetwork<MLP<Float>>.load(from: url)
    #expect(asFloat.configuration == net.configuration)
  }

  /// A file with a table missing, misshapen, or extra is refused, naming the tensor.
  @Test func damagedEncodingTensorsAreRefused() throws {
    let net = network(Self.smallHash, lower: [0, 0], upper: [1, 1])
    let good = net.namedTensors()
    var missing = NamedTensors<Double>()
    for t in good.entries where t.name != "condition_encoding.hash.1" { missing.append(t) }
    #expect(throws: SafeTensorsError.missingTensor(name: "condition_encoding.hash.1")) {
      _ = try Network.network(tensors: missing, metadata: net.metadata)
    }
    var misshapen = NamedTensors<Double>()
    for t in good.entries {
      if t.name == "condition_encoding.hash.0" {
        misshapen.append(name: t.name, shape: [4, 2], values: Matrix(rows: 4, columns: 2))
      } else {
        misshapen.append(t)
      }
    }
    #expect(throws: SafeTensorsError.self) {
      _ = try Network.network(tensors: misshapen, metadata: net.metadata)
    }
    var extra = good
    extra.append(name: "condition_encoding.hash.3", shape: [1, 2], values: Matrix(rows: 1, columns: 2))
    #expect(throws: SafeTensorsError.unexpectedTensor(name: "condition_encoding.hash.3")) {
      _ = try Network.network(tensors: extra, metadata: net.metadata)
    }
    // A configuration whose range is empty is refused before anything is built.
    var metadata = net.metadata
    let key = Network.configurationMetadataKey
    metadata[key] = metadata[key]!.replacingOccurrences(
      of: "\"upperBounds\":[1,1]", with: "\"upperBounds\":[0,1]")
    #expect(metadata[key] != net.metadata[key])
    #expect(throws: SafeTensorsError.self) { _ = try Network.network(tensors: good, metadata: metadata) }
  }

  // MARK: Hostile conditions

  /// Outside the training box the hash grid clamps (θ beyond a face encodes as the face), while
  /// Fourier features extrapolate.
  @Test func outOfRangeConditionsClampForTheHashGridOnly() {
    let hash = network(Self.smallHash, lower: [0, 0], upper: [1, 1])
    var a = Matrix<Double>(rows: 0, columns: 0)
    var b = Matrix<Double>(rows: 0, columns: 0)
    hash.encoder.encode(Matrix([[1.7, -3]]), tables: hash.parameters.tables, into: &a)
    hash.encoder.encode(Matrix([[1, 0]]), tables: hash.parameters.tables, into: &b)
    #expect(a == b)
    let fourier = network(.fourier(features: 4, scale: 1), lower: [0, 0], upper: [1, 1])
    fourier.encoder.encode(Matrix([[1.7, -3]]), tables: [], into: &a)
    fourier.encoder.encode(Matrix([[1, 0]]), tables: [], into: &b)
    #expect(a != b)
    let e = hash.configuration.encoding
    #expect(e.outOfRange([0.5, 0.5]).isEmpty)
    let bad = e.outOfRange([1.7, .nan])
    #expect(bad.map(\.column) == [0, 1])
  }

  /// Invalid encodings are named before anything is built.
  @Test func invalidConfigurationsAreNamed() {
    func failure(_ e: ParameterEncoding, _ lower: [Double], _ upper: [Double]) -> String? {
      ParameterEncodingConfiguration(encoding: e, lowerBounds: lower, upperBounds: upper).validationFailure
    }
    #expect(failure(.identity, [0], [1]) == nil)
    #expect(failure(.identity, [1], [1])?.contains("upper > lower") == true)
    #expect(failure(.identity, [.nan], [1]) != nil)
    #expect(failure(.identity, [0, 0], [1]) != nil)
    #expect(failure(.identity, [], []) != nil)
    #expect(failure(.fourier(features: 0, scale: 1), [0], [1]) != nil)
    #expect(failure(.fourier(features: 4, scale: -1), [0], [1]) != nil)
    #expect(
      failure(Self.smallHash, [Double](repeating: 0, count: 8), [Double](repeating: 1, count: 8)) != nil)
    #expect(
      failure(
        .hashGrid(levels: 2, tableSize: 0, featuresPerLevel: 2, coarsestResolution: 2, finestResolution: 4),
        [0], [1])
        != nil)
    #expect(
      failure(
        .hashGrid(levels: 2, tableSize: 16, featuresPerLevel: 2, coarsestResolution: 8, finestResolution: 4),
        [0], [1])
        != nil)
    let base = MLPConfiguration(inputDimension: 2, conditionDimension: 3)
    let e = ParameterEncodingConfiguration(encoding: .identity, lowerBounds: [0, 0], upperBounds: [1, 1])
    #expect(
      Network.validationFailure(of: .init(base: base, encoding: e))
        == "the base network takes 3 condition columns, the encoding gives 2")
  }

  /// A condition with the wrong number of columns, or a NaN parameter, stops the program.
  @Test func wrongColumnsAndNaNStop() async {
    await #expect(processExitsWith: .failure) {
      let net = ParameterEncodingTests().network(.identity, lower: [0, 0], upper: [1, 1])
      _ = net(Matrix([[0.1, 0.2]]), times: .shared(0.5), condition: Matrix([[0.5, 0.5, 0.5]]))
    }
    await #expect(processExitsWith: .failure) {
      let net = ParameterEncodingTests().network(
        ParameterEncodingTests.smallHash, lower: [0, 0], upper: [1, 1])
      _ = net(Matrix([[0.1, 0.2]]), times: .shared(0.5), condition: Matrix([[0.5, .nan]]))
    }
  }
}
