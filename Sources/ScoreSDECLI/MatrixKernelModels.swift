import ScoreMatching
import ScoreNetworks

extension TrainedModel {
  /// Refuses, in one line, a model whose process has a matrix kernel (`linear`, `cld`) in a
  /// command that works with the scalar kernels only (`density`, `thermo`, the parameter
  /// posterior), rather than trapping when the process is rebuilt.
  func requireIsotropicKernel(command: String, path: String) throws {
    guard process.hasIsotropicKernel else {
      throw CLIError(
        "\(path): \(command) takes a model of a scalar-kernel process (vp, cosine, subvp, ve, ou); this one is "
          + "\(process.name)")
    }
  }
}
