import Foundation
import ScoreSDE
import Testing

/// A score model that is `−x` (the score of N(0, I)) for `t > failBelow` and goes wrong below:
/// NaN, or `−10¹⁵⁰ x` (finite, but overflowing the state within a few steps).
struct FaultyScore: ScoreModel {
  typealias Scalar = Double
  enum Fault: Sendable, CustomStringConvertible {
    case nan, huge
    var description: String { self == .nan ? "NaN" : "huge" }
  }
  let failBelow: Double
  let fault: Fault

  func score(_ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>) {
    let factor: Double = t > failBelow ? -1 : (fault == .nan ? .nan : -1e150)
    x.withUnsafeBufferPointer { xs in
      out.withUnsafeMutableBufferPointer { o in
        for k in 0..<xs.count { o[k] = factor * xs[k] }
      }
    }
  }
}

/// Samplers stop at the first non-finite state and say where; training and likelihoods either
/// stay finite or say why.
@Suite struct NumericalFaultTests {
  static let kinds: [SamplerName] = [
    .eulerMaruyama, .predictorCorrector, .probabilityFlow, .dpmSolver, .ancestral, .adaptive, .sra,
    .adaptiveSDE,
  ]

  /// A score that turns NaN or huge below t = 0.5 stops every sampler with `.nonFinite`, naming
  /// the step and its start time (never NaN samples): not before the fault (t ≤ 0.5 + one step
  /// of 0.05: a step starting just above 0.5 evaluates the score below it at its inner stages),
  /// and for NaN, which spreads at once, within two steps after it (the log-SNR grid of DPM-Solver
  /// takes longer steps).
  @Test(arguments: kinds, [FaultyScore.Fault.nan, .huge])
  func samplersReportTheStepAndTimeOfANonFiniteState(kind: SamplerName, fault: FaultyScore.Fault) {
    let options = SamplingOptions<Double>(kind: SamplerKind(kind, steps: 20), seed: 3)
    let sampler = Sampler(
      process: VPSDE<Double>(), score: FaultyScore(failBelow: 0.5, fault: fault), options: options)
    do {
      let result = try sampler.sample(count: 16, dimension: 2)
      Issue.record(
        "\(kind), \(fault): returned samples \(result.samples.nonFiniteReport().map { "\($0)" } ?? "finite")")
    } catch {
      // The adaptive reverse-SDE solver never evaluates the score at a rejected candidate, so a
      // huge-but-finite score only ever shows as an error estimate that rejects every step across
      // the fault: it stops with the step size underflowing just above t = 0.5, which names the
      // place as well.
      if kind == .adaptiveSDE, fault == .huge, case .stepSizeUnderflow(let time, _) = error {
        #expect(time > 0.5 && time <= 0.55, "\(kind), \(fault): \(error)")
        return
      }
      guard case .nonFinite(let step, let time) = error else {
        Issue.record("\(kind), \(fault): \(error)")
        return
      }
      #expect(step >= 1 && time <= 0.55 && time > 0, "\(kind), \(fault): \(error)")
      if fault == .nan {
        #expect(time >= (kind == .dpmSolver ? 0.25 : 0.4), "\(kind), \(fault): \(error)")
      }
      #expect(error.description.contains("Step \(step)"))
    }
  }

  /// Up to the fault the same sampler runs clean: the score is fine above t = 0.5.
  @Test func theFaultyScoreIsFineAboveItsThreshold() throws {
    let options = SamplingOptions<Double>(kind: .eulerMaruyama(steps: 20), seed: 3)
    let sampler = Sampler(
      process: VPSDE<Double>(), score: FaultyScore(failBelow: -1, fault: .nan), options: options)
    #expect(try sampler.sample(count: 16, dimension: 2).samples.nonFiniteReport() == nil)
  }

  /// The likelihood of a trained model from a start time near 0, at the data and far from it
  /// (10⁶ in every coordinate), is finite.
  @Test(arguments: [1e-5, 1e-3])
  func likelihoodNearTimeZeroAndAtExtremeInputsIsFinite(startTime: Double) throws {
    let likelihood = ProbabilityFlowLikelihood(
      process: sharedModel.sde, score: sharedModel.scoreModel(), startTime: startTime)
    let data = Matrix<Double>([[0, 0], [0.5, -0.5], [1e6, -1e6], [-1e6, 1e6], [1e6, 1e6]])
    do {
      let result = try likelihood.logLikelihood(of: data)
      for (i, value) in result.logLikelihoods.enumerated() {
        #expect(value.isFinite, "row \(i) \(data.row(i)): \(value)")
      }
      // Far from the data the likelihood is far lower than at it.
      #expect(result.logLikelihoods[2] < result.logLikelihoods[0] - 1e6)
    } catch {
      Issue.record("t₀ = \(startTime): \(error)")
    }
  }
}
