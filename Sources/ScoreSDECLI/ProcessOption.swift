import ArgumentParser
import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching

/// The forward SDE chosen with `--sde`.
enum ProcessOption: String, ExpressibleByArgument, CaseIterable {
  case vp, cosine, subvp, ve, ou, linear, cld

  /// The process with the literature's default parameters. OU is dx = −θx dt + σ dW with
  /// θ = 4 and σ = √8: a unit stationary variance reached to within e⁻⁸ at T = 1. CLD is
  /// Dockhorn et al.'s (2022): M = 0.25 (Γ = 1), γ = 0.04, constant β = 4; its dimension is the
  /// data's, filled in by ``ProcessOption/resolved(_:dataDimension:)`` once the data are known
  /// (0 here). `linear` needs its matrices: ``linearDescription(drift:noise:offset:)``.
  var description: SDEDescription {
    switch self {
    case .vp: return SDEDescription(.vp(schedule: .linear(betaMin: 0.1, betaMax: 20)))
    case .cosine: return SDEDescription(.vp(schedule: .cosine(offset: 0.008, maximumBeta: 20)))
    case .subvp: return SDEDescription(.subVP(schedule: .linear(betaMin: 0.1, betaMax: 20)))
    case .ve: return SDEDescription(.ve(sigmaMin: 0.01, sigmaMax: 50))
    case .ou: return SDEDescription(.ornsteinUhlenbeck(theta: 4, mean: 0, sigma: 8.0.squareRoot()))
    case .linear:
      return SDEDescription(
        .linear(drift: [[-0.5]], offset: [], noise: [[1]], schedule: .linear(betaMin: 0.1, betaMax: 20)))
    case .cld:
      return SDEDescription(
        .criticallyDampedLangevin(
          dimension: 0, mass: 0.25, initialVelocityScale: 0.04, schedule: .linear(betaMin: 4, betaMax: 4)))
    }
  }

  /// `--sde linear`: `dX = β(t)(F X + c) dt + √β(t) L dW` on the VP schedule β ∈ [0.1, 20], with `F`
  /// and `L` read from `.npy` files (`d × d`) and `c` (`d` entries) optionally. One-line errors for
  /// files that cannot be read, wrong shapes, non-finite entries, an `F` that is not stable (the
  /// prior is the stationary law, which needs every eigenvalue of `F` in the left half-plane) and
  /// an `L` whose noise never reaches some direction (Σ_t singular: the loss divides by it).
  static func linearDescription(drift: String?, noise: String?, offset: String?) throws -> SDEDescription {
    guard let drift, let noise else {
      throw CLIError("--sde linear needs --drift F.npy and --noise L.npy (d × d matrices)")
    }
    func read(_ path: String, _ option: String) throws -> Matrix<Double> {
      do {
        return try NumPyFile.read(from: URL(fileURLWithPath: path), as: Double.self)
      } catch {
        throw CLIError("\(option) \(path): \(error)")
      }
    }
    let f = try read(drift, "--drift")
    let l = try read(noise, "--noise")
    let c = try offset.map { try read($0, "--offset") }
    guard f.rows == f.columns else {
      throw CLIError("--drift \(drift): F must be square, got \(f.rows) × \(f.columns)")
    }
    guard l.rows == f.rows && l.columns == f.columns else {
      throw CLIError("--noise \(noise): L must be \(f.rows) × \(f.rows) like F, got \(l.rows) × \(l.columns)")
    }
    if let c, let offset, c.rows * c.columns != f.rows || min(c.rows, c.columns) != 1 {
      throw CLIError("--offset \(offset): c must have \(f.rows) entries like F, got \(c.rows) × \(c.columns)")
    }
    if let i = f.elements.firstIndex(where: { !$0.isFinite }) {
      throw CLIError("--drift \(drift): entry (\(i / f.columns), \(i % f.columns)) is \(f.elements[i])")
    }
    if let i = l.elements.firstIndex(where: { !$0.isFinite }) {
      throw CLIError("--noise \(noise): entry (\(i / l.columns), \(i % l.columns)) is \(l.elements[i])")
    }
    if let c, let offset, let i = c.elements.firstIndex(where: { !$0.isFinite }) {
      throw CLIError("--offset \(offset): entry \(i) is \(c.elements[i])")
    }
    let rows = { (m: Matrix<Double>) in (0..<m.rows).map { Array(m.row($0)) } }
    let description = SDEDescription(
      .linear(
        drift: rows(f), offset: c?.elements ?? [], noise: rows(l),
        schedule: .linear(betaMin: 0.1, betaMax: 20)))
    if let failure = description.validationFailure {
      throw CLIError("--sde linear (--drift \(drift), --noise \(noise)): \(failure)")
    }
    let process = try StandardLinearSDE<Double>(description)
    guard case .linear(let sde) = process, sde.hasStationaryPrior else {
      throw CLIError(
        "--drift \(drift): F is not stable (an eigenvalue has a non-negative real part), so the process has "
          + "no stationary law to sample the prior from")
    }
    return description
  }

  /// `description` with the data's dimension filled in (CLD), or a one-line error when a linear
  /// process's matrices do not fit the data.
  static func resolved(_ description: SDEDescription, dataDimension d: Int) throws -> SDEDescription {
    var resolved = description
    switch description.kind {
    case .criticallyDampedLangevin(let given, let mass, let gamma, let schedule) where given == 0:
      resolved.kind = .criticallyDampedLangevin(
        dimension: d, mass: mass, initialVelocityScale: gamma, schedule: schedule)
    case .linear(let drift, _, _, _) where drift.count != d:
      throw CLIError(
        "--sde linear: F and L are \(drift.count) × \(drift.count), but the data has \(d) columns")
    default: break
    }
    return resolved
  }
}
