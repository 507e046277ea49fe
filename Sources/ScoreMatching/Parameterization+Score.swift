public import DiffusionProcesses

extension Parameterization {
  /// The name written to model files and configurations: `"score"`, `"noise"`, `"data"`, `"edm"`
  /// (`σ_data = 1`) or `"edm:σ_data"` (e.g. `"edm:0.5"`).
  public var fileName: String {
    switch self {
    case .score: return "score"
    case .noise: return "noise"
    case .data: return "data"
    case .edm(let sigmaData): return sigmaData == 1 ? "edm" : "edm:\(sigmaData)"
    }
  }

  /// The parameterisation called `fileName` (see ``fileName``), or `nil`.
  ///
  /// - Parameter fileName: `"score"`, `"noise"`, `"data"`, `"edm"` or `"edm:σ_data"` with a
  ///   positive finite `σ_data`.
  public init?(fileName: String) {
    switch fileName {
    case "score": self = .score
    case "noise": self = .noise
    case "data": self = .data
    case "edm": self = .edm()
    default:
      guard fileName.hasPrefix("edm:"), let sigmaData = Double(fileName.dropFirst(4)),
        sigmaData.isFinite, sigmaData > 0
      else { return nil }
      self = .edm(dataStandardDeviation: sigmaData)
    }
  }
}
