import ArgumentParser
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks

/// The network chosen with `--architecture`, and the one a model file holds.
enum ArchitectureOption: String, ExpressibleByArgument, CaseIterable {
  /// ``MLP``: `[x ‖ γ(t) ‖ c]` through `depth` hidden layers of `width` units.
  case mlp
  /// ``ResidualMLP``: `depth` pre-LayerNorm residual blocks of `width` units whose scale and
  /// shift depend on the time and the condition.
  case resmlp

  /// The bytes a training run holds for `width` units, `depth` layers or blocks and `batch`
  /// rows, roughly: the hidden weight matrices (`H²` per hidden layer; a residual block has a
  /// `2H × H` scale/shift layer and two `H × H` layers) times five copies (weights, gradient,
  /// Adam's two moments, the average), plus the activations, their gradients and the
  /// pre-activations of every layer for every row (three more per residual block), in `Float`.
  func trainingBytes(width: Int, depth: Int, batch: Int) -> Double {
    let h = Double(width)
    let squares = h * h * Double(self == .mlp ? depth : 4 * depth)
    let activations = Double(batch) * h * Double(depth + 2) * (self == .mlp ? 4 : 12)
    return (squares * 5 + activations) * Double(MemoryLayout<Float>.size)
  }

  /// The architecture of the network in a model file, or a one-line error.
  static func of(_ url: URL) throws -> ArchitectureOption {
    let name = try ModelFile.architecture(of: url)
    guard let option = ArchitectureOption(rawValue: name) else {
      throw CLIError(
        "\(url.path): the model's network is '\(name)', which this tool cannot run (it knows "
          + "\(allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    return option
  }
}

/// A network the command-line tool can build from `--width`, `--depth` and, for an encoded
/// network, the parameter encoding.
protocol CommandLineNetwork: ScoreNetwork {
  /// The configuration for `dimension` data columns, `conditionColumns` network condition
  /// columns, the tool's width and depth, and the encoding in front of the condition (`nil`: none;
  /// see ``ConditionEncodingOption``).
  static func configuration(
    dimension: Int, conditionColumns: Int, width: Int, depth: Int, encoding: ParameterEncodingConfiguration?
  ) -> Configuration
}

/// A network that takes its conditions as they are.
protocol PlainCommandLineNetwork: CommandLineNetwork {
  /// The configuration for `dimension` data columns, `conditionColumns` network condition
  /// columns, and the tool's width and depth.
  static func configuration(dimension: Int, conditionColumns: Int, width: Int, depth: Int) -> Configuration
}

extension PlainCommandLineNetwork {
  /// The plain configuration; a plain network takes no encoding.
  static func configuration(
    dimension: Int, conditionColumns: Int, width: Int, depth: Int, encoding: ParameterEncodingConfiguration?
  ) -> Configuration {
    precondition(encoding == nil, "\(architectureName) takes no parameter encoding")
    return configuration(dimension: dimension, conditionColumns: conditionColumns, width: width, depth: depth)
  }
}

extension MLP: PlainCommandLineNetwork {
  static func configuration(dimension: Int, conditionColumns: Int, width: Int, depth: Int) -> MLPConfiguration
  {
    MLPConfiguration(
      inputDimension: dimension, conditionDimension: conditionColumns, width: width, depth: depth)
  }
}

extension ResidualMLP: PlainCommandLineNetwork {
  static func configuration(
    dimension: Int, conditionColumns: Int, width: Int, depth: Int
  ) -> ResidualMLPConfiguration {
    ResidualMLPConfiguration(
      inputDimension: dimension, conditionDimension: conditionColumns, width: width, blocks: depth)
  }
}

/// Something to do with a trained model, whatever its network: the commands' generic bodies,
/// called once the model file says which network it holds.
protocol TrainedModelTask {
  /// The precision the task runs in.
  associatedtype Scalar: BLASScalar
  /// What the task returns.
  associatedtype Output
  /// Runs the task on the model.
  func run<Network: ScoreNetwork>(_ model: TrainedModel<Network>) throws -> Output
  where Network.Scalar == Scalar
}

extension TrainedModelTask {
  /// Loads the model file as the network it holds and runs the task on it.
  func run(modelAt url: URL) throws -> Output {
    if try ModelFile.architecture(of: url) == EncodedConditionNetwork<MLP<Scalar>>.architectureName {
      return try run(TrainedModel<EncodedConditionNetwork<MLP<Scalar>>>.load(from: url))
    }
    switch try ArchitectureOption.of(url) {
    case .mlp: return try run(TrainedModel<MLP<Scalar>>.load(from: url))
    case .resmlp: return try run(TrainedModel<ResidualMLP<Scalar>>.load(from: url))
    }
  }
}
