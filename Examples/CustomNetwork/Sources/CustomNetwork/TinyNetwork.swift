import Foundation
import ScoreSDE

/// The settings of ``TinyNetwork``: stored in the model file as JSON.
struct TinyConfiguration: Codable, Sendable, Equatable {
  /// `d`, the data dimension.
  var dimension: Int
  /// `H`, the hidden units.
  var width: Int = 64
}

/// `θ = (W₁, b₁, W₂, b₂)`, named as PyTorch would name `nn.Sequential(Linear, Tanh, Linear)`.
struct TinyParameters: ParameterGroup {
  var w1: Matrix<Double>  // H × (d + 2)
  var b1: Matrix<Double>  // 1 × H
  var w2: Matrix<Double>  // d × H
  var b2: Matrix<Double>  // 1 × d

  var tensorCount: Int { 4 }

  func tensor(at index: Int) -> Matrix<Double> { [w1, b1, w2, b2][index] }

  mutating func withMutableTensor<R>(at index: Int, _ body: (inout Matrix<Double>) throws -> R) rethrows -> R
  {
    switch index {
    case 0: return try body(&w1)
    case 1: return try body(&b1)
    case 2: return try body(&w2)
    default: return try body(&b2)
    }
  }

  func tensorName(at index: Int) -> String { ["0.weight", "0.bias", "2.weight", "2.bias"][index] }

  func tensorShape(at index: Int) -> [Int] {
    [[w1.rows, w1.columns], [b1.columns], [w2.rows, w2.columns], [b2.columns]][index]
  }
}

/// What a forward pass keeps for the backward pass.
struct TinyWorkspace: Sendable {
  var input = Matrix<Double>(rows: 0, columns: 0)  // [x ‖ t ‖ log t]
  var hidden = Matrix<Double>(rows: 0, columns: 0)  // tanh(input W₁ᵀ + b₁)
  var delta = Matrix<Double>(rows: 0, columns: 0)  // ∂L/∂(pre-activation)
  var inputDelta = Matrix<Double>(rows: 0, columns: 0)  // ∂L/∂input
}

/// `f(x, t) = W₂ tanh(W₁ [x ‖ t ‖ log t] + b₁) + b₂`: a one-hidden-layer network written here,
/// outside the library, with its own backpropagation. Conforming to `ScoreNetwork` is all it
/// takes for `Trainer`, the samplers, the exact likelihood and the model file to use it.
struct TinyNetwork: ScoreNetwork {
  typealias Scalar = Double

  static var architectureName: String { "tiny" }

  static func validationFailure(of configuration: TinyConfiguration) -> String? {
    (1...1024).contains(configuration.dimension) && (1...4096).contains(configuration.width)
      ? nil : "dimension and width out of range"
  }

  let configuration: TinyConfiguration
  var parameters: TinyParameters

  init<G: RandomNumberGenerator>(configuration: TinyConfiguration, using rng: inout G) {
    self.configuration = configuration
    let (d, h) = (configuration.dimension, configuration.width)
    func uniform(_ rows: Int, _ columns: Int, fanIn: Int) -> Matrix<Double> {
      let bound = 1 / Double(fanIn).squareRoot()
      return Matrix(
        rows: rows, columns: columns,
        elements: (0..<rows * columns).map { _ in Double.random(in: -bound...bound, using: &rng) })
    }
    parameters = TinyParameters(
      w1: uniform(h, d + 2, fanIn: d + 2), b1: uniform(1, h, fanIn: d + 2), w2: uniform(d, h, fanIn: h),
      b2: uniform(1, d, fanIn: h))
  }

  var inputDimension: Int { configuration.dimension }
  var conditionDimension: Int { 0 }

  func makeWorkspace(rows: Int) -> TinyWorkspace { TinyWorkspace() }

  func forward(
    _ x: Matrix<Double>, times: Times<Double>, condition: Matrix<Double>?, into out: inout Matrix<Double>,
    workspace: inout TinyWorkspace
  ) {
    precondition(condition == nil, "TinyNetwork takes no condition")
    let (n, d, h) = (x.rows, inputDimension, configuration.width)
    workspace.input.resize(rows: n, columns: d + 2)
    workspace.hidden.resize(rows: n, columns: h)
    for i in 0..<n {
      let t: Double
      switch times {
      case .shared(let s): t = s
      case .perRow(let ts): t = ts[i]
      }
      for j in 0..<d { workspace.input[i, j] = x[i, j] }
      workspace.input[i, d] = t
      workspace.input[i, d + 1] = Foundation.log(t)
    }
    workspace.hidden.formProduct(workspace.input, parameters.w1, transposingB: true)
    for i in 0..<n {
      for j in 0..<h { workspace.hidden[i, j] = tanh(workspace.hidden[i, j] + parameters.b1[0, j]) }
    }
    out.formProduct(workspace.hidden, parameters.w2, transposingB: true)
    for i in 0..<n {
      for j in 0..<d { out[i, j] += parameters.b2[0, j] }
    }
  }

  /// `∂L/∂(pre-activation) = (G W₂) ⊙ (1 − tanh²)` into `workspace.delta`.
  func pullBackToHidden(_ outputGradient: Matrix<Double>, workspace: inout TinyWorkspace) {
    workspace.delta.resize(rows: outputGradient.rows, columns: configuration.width)
    workspace.delta.formProduct(outputGradient, parameters.w2)
    for i in 0..<workspace.delta.rows {
      for j in 0..<workspace.delta.columns {
        let y = workspace.hidden[i, j]
        workspace.delta[i, j] *= 1 - y * y
      }
    }
  }

  func backward(
    outputGradient: Matrix<Double>, workspace: inout TinyWorkspace, into gradients: inout TinyParameters,
    accumulate: Bool
  ) {
    let beta: Double = accumulate ? 1 : 0
    gradients.w2.formProduct(outputGradient, workspace.hidden, transposingA: true, beta: beta)
    pullBackToHidden(outputGradient, workspace: &workspace)
    gradients.w1.formProduct(workspace.delta, workspace.input, transposingA: true, beta: beta)
    if !accumulate {
      gradients.b1.fill(with: 0)
      gradients.b2.fill(with: 0)
    }
    for i in 0..<outputGradient.rows {
      for j in 0..<gradients.b2.columns { gradients.b2[0, j] += outputGradient[i, j] }
      for j in 0..<gradients.b1.columns { gradients.b1[0, j] += workspace.delta[i, j] }
    }
  }

  func inputGradient(
    outputGradient: Matrix<Double>, workspace: inout TinyWorkspace, into inputGradient: inout Matrix<Double>
  ) {
    pullBackToHidden(outputGradient, workspace: &workspace)
    workspace.inputDelta.resize(rows: outputGradient.rows, columns: inputDimension + 2)
    workspace.inputDelta.formProduct(workspace.delta, parameters.w1)
    for i in 0..<inputGradient.rows {
      for j in 0..<inputDimension { inputGradient[i, j] = workspace.inputDelta[i, j] }
    }
  }
}
