public import DiffusionProcesses
public import LinearAlgebra
public import ScoreNetworks

/// The condition a ``NetworkScoreModel`` applies when evaluated as a plain ``ScoreModel``.
public enum ScoreCondition<Scalar: BLASScalar>: Sendable {
  /// No condition: an unconditional network, or the unconditional branch ∅ of a network
  /// trained with condition dropout.
  case unconditional
  /// One condition `c` (`k` entries) for every row.
  case fixed([Scalar])
  /// One condition per row, `n × k` (the batch must have `n` rows).
  case perRow(Matrix<Scalar>)
}

/// A trained network as a score model: any ``ScoreNetwork`` (an ``MLP``, a ``ResidualMLP`` or
/// your own) joined with the ``GaussianSDE`` it was trained for and the parameterisation of its
/// output.
///
/// The network's output `f(x, t, c)` is turned into the score with the kernel at `t`
/// (``Parameterization/scoreCoefficients(scale:standardDeviation:)``):
///
///     ε-prediction (default, as shared/bench/torch_ref.py):  s = −f/σ(t)
///     score:                                                 s = f
///     x₀-prediction:                                         s = −(x − shift(t) − a(t)·f)/σ(t)²
///
/// **Matrix kernels** (``LinearSDE``, ``CriticallyDampedLangevin``, ``StandardLinearSDE``: any
/// ``LinearGaussianSDE`` without ``LinearGaussianSDE/isotropicMarginal(at:)``) take the noise
/// parameterisation only, generalised: `s = K(t) f` with
/// ``LinearGaussianSDE/noisePredictionScoreMatrix(at:dimension:)`` `K = −C_t⁻ᵀ` (one GEMM for the
/// batch), or for critically-damped Langevin diffusion `K = diag(0, −1/ℓᵛᵛ)`, a zero position
/// score and the paper's `−ℓ_t α_θ` on the velocities. Then `∂s/∂x = K ∂f/∂x`, so the exact
/// divergence is `tr(K ∂f/∂x) = Σ_k (K_{k·} ∂f/∂x)_k` (one stacked vector–Jacobian pass with the
/// rows of `K` as the `D` probes) and the vector–Jacobian product is `(Kᵀv)ᵀ ∂f/∂x`. The model is
/// `D` wide (`2d` for `(x, v)`), and every sampler and the likelihood run on it unchanged.
///
/// It is a ``DivergenceScoreModel``: `∂s/∂x = c_out·∂f/∂x + c_x·I`, so the exact divergence is
/// `c_out·tr(∂f/∂x) + d·c_x` (the MLP's batched input-Jacobian products with the `d` unit
/// probes) and the vector–Jacobian product is `c_out·vᵀ∂f/∂x + c_x·v` (the network's
/// ``ScoreNetwork/divergence(_:times:condition:output:into:workspace:)`` and
/// ``ScoreNetwork/vectorJacobianProducts(_:times:condition:probes:into:output:workspace:)``).
///
/// Conditional networks (see ``ConditionEncoding``) take a condition per row;
/// ``score(_:at:condition:into:workspace:)`` with `condition: nil` is the unconditional branch,
/// the form classifier-free guidance combines with the conditional one. As a plain
/// ``ScoreModel`` the model applies its ``condition``.
///
/// ```swift
/// let model = NetworkScoreModel(network: mlp, process: VPSDE<Float>())       // ε-prediction
/// var workspace = model.makeWorkspace(rows: 1000)
/// model.score(x, at: 0.5, into: &s, workspace: &workspace)                    // no allocation
/// let atTwo = conditionalModel.conditioned(on: [2.0])                         // fixed condition
/// ```
public struct NetworkScoreModel<Network: ScoreNetwork, Process: LinearGaussianSDE>: DivergenceScoreModel
where Network.Scalar == Process.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar
  /// The network's buffers.
  public typealias Workspace = NetworkScoreWorkspace<Network>

  /// The network `f(x, γ(t), c)`.
  public var network: Network
  /// The forward process whose kernel converts the output to a score.
  public var process: Process
  /// What the network predicts.
  public var parameterization: Parameterization
  /// How conditions enter the network.
  public var conditionEncoding: ConditionEncoding
  /// The condition used by the plain ``ScoreModel`` requirements.
  public var condition: ScoreCondition<Scalar>

  /// A score model from a network.
  ///
  /// - Parameters:
  ///   - network: the network; its `conditionDimension` must equal `conditionEncoding.networkColumns`.
  ///   - process: the forward SDE the network was trained for.
  ///   - parameterization: what the network predicts (`.noise`, ε, by default).
  ///   - conditionEncoding: how conditions enter (unconditional by default).
  ///   - condition: the condition for plain score evaluations (`.unconditional` by default).
  /// - Precondition: `parameterization` is `.noise` for a process without an isotropic kernel.
  public init(
    network: Network, process: Process, parameterization: Parameterization = .noise,
    conditionEncoding: ConditionEncoding = .unconditional, condition: ScoreCondition<Scalar> = .unconditional
  ) {
    conditionEncoding.checkNetwork(conditionColumns: network.conditionDimension, owner: "NetworkScoreModel")
    precondition(
      parameterization == .noise || process.isotropicMarginal(at: process.endTime) != nil,
      "NetworkScoreModel: a matrix-kernel process takes the noise parameterisation, not \(parameterization.fileName)"
    )
    self.network = network
    self.process = process
    self.parameterization = parameterization
    self.conditionEncoding = conditionEncoding
    self.condition = condition
  }

  /// `d`, the dimension of x (the state's `D = 2d` for critically-damped Langevin diffusion).
  @inlinable public var dimension: Int { network.inputDimension }

  /// `k`, the number of condition entries (0 for an unconditional model).
  @inlinable public var conditionDimension: Int { conditionEncoding.dimension }

  /// This model with the fixed condition `c` for plain score evaluations.
  ///
  /// - Parameter c: `k` entries, in the network's (standardised) units.
  /// - Returns: the conditioned model.
  public func conditioned(on c: [Scalar]) -> NetworkScoreModel {
    precondition(
      c.count == conditionDimension,
      "NetworkScoreModel: a condition of \(c.count) entries for a model of \(conditionDimension)")
    var copy = self
    copy.condition = .fixed(c)
    return copy
  }

  /// This model for rows `range` of a batch: a per-row condition keeps only those rows (a fixed
  /// or no condition is the same for every row).
  public func restricted(toRows range: Range<Int>) -> NetworkScoreModel {
    guard case .perRow(let c) = condition else { return self }
    var copy = self
    copy.condition = .perRow(c.rows(range))
    return copy
  }

  /// This model evaluating the unconditional branch ∅.
  public var unconditional: NetworkScoreModel {
    var copy = self
    copy.condition = .unconditional
    return copy
  }

  /// Buffers for batches of `rows` points.
  public func makeWorkspace(rows: Int) -> Workspace {
    Workspace(
      network: network.makeWorkspace(rows: rows), rows: rows,
      conditionColumns: conditionEncoding.networkColumns)
  }

  /// `s(xᵢ, t)` with ``condition`` (allocates a workspace; per-step callers pass one).
  public func score(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    var workspace = makeWorkspace(rows: x.rows)
    score(x, at: t, into: &out, workspace: &workspace)
  }

  /// `s(xᵢ, t)` with ``condition``, allocation-free once `workspace` has seen this batch size.
  @inlinable
  public func score(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Workspace
  ) {
    encodeCondition(rows: x.rows, workspace: &workspace)
    evaluateScore(x, at: t, into: &out, workspace: &workspace)
  }

  /// `s(xᵢ, t, cᵢ)` with `cᵢ` row `i` of `condition` (or its only row), or the unconditional
  /// score `s(xᵢ, t, ∅)` when `condition` is `nil`: the two branches classifier-free guidance
  /// combines, `(1 + w)·s(x, t, c) − w·s(x, t, ∅)` (Ho & Salimans 2021).
  ///
  /// - Parameters:
  ///   - x: `n × d` points.
  ///   - t: their time, `> 0`.
  ///   - condition: `n × k` or `1 × k` conditions, or `nil` for ∅.
  ///   - out: receives the `n × d` scores.
  ///   - workspace: from ``makeWorkspace(rows:)``.
  @inlinable
  public func score(
    _ x: Matrix<Scalar>, at t: Scalar, condition: Matrix<Scalar>?, into out: inout Matrix<Scalar>,
    workspace: inout Workspace
  ) {
    if conditionEncoding.networkColumns > 0 {
      conditionEncoding.encode(condition, rows: x.rows, into: &workspace.conditions)
    } else {
      precondition(condition == nil, "NetworkScoreModel: the network is unconditional, a condition was given")
    }
    evaluateScore(x, at: t, into: &out, workspace: &workspace)
  }

  /// The score and its exact divergence `∇ₓ·s = c_out·tr(∂f/∂x) + d·c_x` for every row, with
  /// ``condition``.
  @inlinable
  public func scoreAndDivergence(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, divergence: inout [Scalar],
    workspace: inout Workspace
  ) {
    checkShapes(x, out, "scoreAndDivergence")
    encodeCondition(rows: x.rows, workspace: &workspace)
    if workspace.exactJacobian == nil {
      workspace.exactJacobian = network.makeJacobianWorkspace(rows: x.rows, probesPerRow: dimension)
    }
    if process.isotropicMarginal(at: t) == nil {
      matrixKernelScoreAndDivergence(x, at: t, into: &out, divergence: &divergence, workspace: &workspace)
      return
    }
    let (inputScale, time) = conditionInput(x, at: t, workspace: &workspace)
    network.divergence(
      parameterization.conditionsNetworkInput ? workspace.conditionedInput : x, times: .shared(time),
      condition: networkCondition(workspace), output: &out, into: &divergence,
      workspace: &workspace.exactJacobian!)
    let (cOut, cX) = convertToScore(&out, given: x, at: t)
    let offset = Scalar(dimension) * cX
    let factor = cOut * inputScale
    divergence.withUnsafeMutableBufferPointer { div in
      for i in div.indices { div[i] = factor * div[i] + offset }
    }
  }

  /// The score and, for each row, `vᵢᵀ ∂s/∂x = c_out·vᵢᵀ ∂f/∂x + c_x·vᵢ` (Hutchinson probes
  /// `vᵢ` in `probe`), with ``condition``.
  @inlinable
  public func scoreAndVectorJacobianProduct(
    _ x: Matrix<Scalar>, at t: Scalar, probe: Matrix<Scalar>, into out: inout Matrix<Scalar>,
    vjp: inout Matrix<Scalar>, workspace: inout Workspace
  ) {
    checkShapes(x, out, "scoreAndVectorJacobianProduct")
    checkShapes(x, probe, "scoreAndVectorJacobianProduct (probe)")
    checkShapes(x, vjp, "scoreAndVectorJacobianProduct (vjp)")
    encodeCondition(rows: x.rows, workspace: &workspace)
    if workspace.probeJacobian == nil {
      workspace.probeJacobian = network.makeJacobianWorkspace(rows: x.rows, probesPerRow: 1)
    }
    if process.isotropicMarginal(at: t) == nil {
      let k = process.noisePredictionScoreMatrix(at: t, dimension: dimension)
      workspace.kernelProbes.ensureShape(of: probe)
      workspace.kernelProbes.formProduct(probe, k)  // rows vᵢᵀK = (Kᵀvᵢ)ᵀ
      network.vectorJacobianProducts(
        x, times: .shared(t), condition: networkCondition(workspace), probes: workspace.kernelProbes,
        into: &vjp, output: &out, workspace: &workspace.probeJacobian!)
      applyScoreMatrix(k, to: &out, workspace: &workspace)
      return
    }
    let (inputScale, time) = conditionInput(x, at: t, workspace: &workspace)
    network.vectorJacobianProducts(
      parameterization.conditionsNetworkInput ? workspace.conditionedInput : x, times: .shared(time),
      condition: networkCondition(workspace), probes: probe, into: &vjp, output: &out,
      workspace: &workspace.probeJacobian!)
    let (cOut, cX) = convertToScore(&out, given: x, at: t)
    let factor = cOut * inputScale
    vjp.withUnsafeMutableBufferPointer { v in
      probe.withUnsafeBufferPointer { p in
        for i in v.indices { v[i] = factor * v[i] + cX * p[i] }
      }
    }
  }

  /// Encodes ``condition`` for `rows` rows into the workspace.
  @inlinable
  func encodeCondition(rows: Int, workspace: inout Workspace) {
    guard conditionEncoding.networkColumns > 0 else { return }
    switch condition {
    case .unconditional:
      conditionEncoding.encode(Matrix<Scalar>?.none, rows: rows, into: &workspace.conditions)
    case .fixed(let c):
      precondition(
        c.count == conditionDimension,
        "NetworkScoreModel: a condition of \(c.count) entries for a model of \(conditionDimension)")
      let k = conditionDimension
      let width = conditionEncoding.networkColumns
      if workspace.conditions.rows != rows || workspace.conditions.columns != width {
        workspace.conditions.resize(rows: rows, columns: width)
      }
      let mask: Scalar = conditionEncoding.hasMaskColumn ? 1 : 0
      workspace.conditions.withUnsafeMutableBufferPointer { b in
        c.withUnsafeBufferPointer { pc in
          for i in 0..<rows {
            for j in 0..<k { b[i * width + j] = pc[j] }
            if width > k { b[i * width + k] = mask }
          }
        }
      }
    case .perRow(let c):
      conditionEncoding.encode(c, rows: rows, into: &workspace.conditions)
    }
  }

  /// The encoded conditions to hand to the network (`nil` for an unconditional network).
  @inlinable
  func networkCondition(_ workspace: Workspace) -> Matrix<Scalar>? {
    conditionEncoding.networkColumns > 0 ? workspace.conditions : nil
  }

  /// Runs the network with the conditions already in the workspace and converts to a score.
  @inlinable
  func evaluateScore(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Workspace
  ) {
    checkShapes(x, out, "score")
    let (_, time) = conditionInput(x, at: t, workspace: &workspace)
    network.evaluate(
      parameterization.conditionsNetworkInput ? workspace.conditionedInput : x, times: .shared(time),
      condition: networkCondition(workspace), into: &out, workspace: &workspace.network)
    if process.isotropicMarginal(at: t) == nil {
      applyScoreMatrix(
        process.noisePredictionScoreMatrix(at: t, dimension: dimension), to: &out, workspace: &workspace)
      return
    }
    convertToScore(&out, given: x, at: t)
  }

  /// `out ← out Kᵀ` (each row `K fᵢ`), one GEMM.
  @inlinable
  func applyScoreMatrix(_ k: Matrix<Scalar>, to out: inout Matrix<Scalar>, workspace: inout Workspace) {
    workspace.networkOutput.ensureShape(of: out)
    workspace.networkOutput.assign(out)
    out.formProduct(workspace.networkOutput, k, transposingB: true)
  }

  /// A matrix kernel's score and exact divergence `tr(K ∂f/∂x)` (see the type): the `D` rows of
  /// `K` as the probes of every point, one stacked pass.
  @inlinable
  func matrixKernelScoreAndDivergence(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, divergence: inout [Scalar],
    workspace: inout Workspace
  ) {
    let (n, width) = (x.rows, dimension)
    let k = process.noisePredictionScoreMatrix(at: t, dimension: width)
    if workspace.kernelProbes.rows != n * width || workspace.kernelProbes.columns != width {
      workspace.kernelProbes.resize(rows: n * width, columns: width)
      workspace.kernelProducts.resize(rows: n * width, columns: width)
    }
    workspace.kernelProbes.withUnsafeMutableBufferPointer { e in
      k.withUnsafeBufferPointer { pk in
        for i in 0..<n {
          for j in 0..<(width * width) { e[i * width * width + j] = pk[j] }
        }
      }
    }
    network.vectorJacobianProducts(
      x, times: .shared(t), condition: networkCondition(workspace), probes: workspace.kernelProbes,
      into: &workspace.kernelProducts, output: &out, workspace: &workspace.exactJacobian!)
    workspace.kernelProducts.withUnsafeBufferPointer { v in
      for i in 0..<n {
        var trace: Scalar = 0
        for r in 0..<width { trace += v[(i * width + r) * width + r] }
        divergence[i] = trace
      }
    }
    applyScoreMatrix(k, to: &out, workspace: &workspace)
  }

  /// The network's input for `x` at `t` (``Parameterization/networkInput(at:scale:standardDeviation:shift:)``):
  /// writes `c·x + offset` into the workspace when the parameterisation conditions the input (EDM)
  /// and returns `c` (1 when `x` goes in as it is) and the network's time.
  @inlinable
  func conditionInput(_ x: Matrix<Scalar>, at t: Scalar, workspace: inout Workspace) -> (Scalar, Scalar) {
    guard parameterization.conditionsNetworkInput, let (a, s, b) = process.isotropicMarginal(at: t) else {
      return (1, t)
    }
    let input = parameterization.networkInput(at: t, scale: a, standardDeviation: s, shift: b)
    workspace.conditionedInput.ensureShape(of: x)
    x.withUnsafeBufferPointer { px in
      workspace.conditionedInput.withUnsafeMutableBufferPointer { u in
        for j in u.indices { u[j] = input.scale * px[j] + input.offset }
      }
    }
    return (input.scale, input.time)
  }

  /// `out ← c_out·out + c_x·(x − shift)`, the process's conversion of the network's
  /// parameterisation to the score (``GaussianSDE/convert(_:from:to:given:at:)-(_,_,_,_,Self.Scalar)``);
  /// returns `(c_out, c_x)`.
  @inlinable
  @discardableResult
  func convertToScore(_ out: inout Matrix<Scalar>, given x: Matrix<Scalar>, at t: Scalar) -> (Scalar, Scalar)
  {
    // GaussianSDE.convert(_:from:to:given:at:), through the isotropic kernel.
    let (a, s, b) = process.isotropicMarginal(at: t)!
    let (cm, cx) = Parameterization.coefficients(
      from: parameterization, to: .score, scale: a, standardDeviation: s)
    Parameterization.apply(&out, prediction: cm, offset: cx, given: x, shift: b)
    return (cm, cx)
  }

  @inlinable
  func checkShapes(_ x: Matrix<Scalar>, _ other: Matrix<Scalar>, _ operation: String) {
    precondition(
      x.columns == dimension && other.hasShape(of: x),
      "NetworkScoreModel.\(operation): points \(x.shapeDescription) and \(other.shapeDescription) "
        + "for dimension \(dimension)")
  }
}

/// A network trained with conditions is a conditional score model: `condition: nil` is the
/// unconditional branch ∅ that classifier-free guidance needs.
extension NetworkScoreModel: ConditionalScoreModel {}

/// The score model of an ``MLP`` trained for `Process` (the spelling of `NetworkScoreModel<Process>`
/// before networks became pluggable).
public typealias MLPScoreModel<Process: LinearGaussianSDE> = NetworkScoreModel<MLP<Process.Scalar>, Process>
