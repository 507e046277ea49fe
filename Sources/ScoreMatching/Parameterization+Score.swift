public import DiffusionProcesses

extension Parameterization {
  /// The name written to model files and configurations: `"score"`, `"noise"` or `"data"`.
  public var fileName: String {
    switch self {
    case .score: return "score"
    case .noise: return "noise"
    case .data: return "data"
    }
  }

  /// The parameterisation called `fileName` (see ``fileName``), or `nil`.
  ///
  /// - Parameter fileName: `"score"`, `"noise"` or `"data"`.
  public init?(fileName: String) {
    switch fileName {
    case "score": self = .score
    case "noise": self = .noise
    case "data": self = .data
    default: return nil
    }
  }
}
