import ArgumentParser
import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

/// `sample`'s options that use what the model file knows about its training rows: clipping of
/// the denoised estimate to their range, and the outlier report against reference rows.
struct SampleColumnOptions: ParsableArguments {
  @Flag(
    help: ArgumentHelp(
      "Clip the denoised estimate x̂₀ = (x − b + σ²s)/a to the training rows' range (per column, model "
        + "units, widened by --clip-margin) at every score evaluation, for every sampler. Changes samples "
        + "only: `nll` and `density` never clip. Off by default (see ChoosingASampler)."))
  var clip = false

  @Option(
    name: .customLong("clip-margin"),
    help: "Slack added on each side of every column's range for --clip, in standard deviations of the column."
  )
  var clipMargin: Double = 0.1

  @Option(
    help: ArgumentHelp(
      "Rows (.npy/.csv, data units) for the outlier report: the fraction of samples farther from every "
        + "reference row than the largest nearest-neighbour distance among them (model units). Default: the "
        + "training file the model records, when it is still there; `none` turns the report off.",
      valueName: "file|none"))
  var reference: String?

  func validate() throws {
    guard clipMargin >= 0, clipMargin.isFinite else {
      throw ValidationError("--clip-margin must be finite and ≥ 0, got \(clipMargin)")
    }
  }

  /// The box of `--clip` in model units, or `nil` without it.
  func clipBox<Network: ScoreNetwork>(for trained: TrainedModel<Network>, model: String) throws -> DataRange?
  {
    guard clip else { return nil }
    guard let range = trained.dataRange else {
      throw CLIError(
        "\(model) records no training range (`train` records one for a data file read into memory); drop --clip"
      )
    }
    return range.widened(by: clipMargin)
  }

  /// `count` samples of rows `rows` from `score`, the denoised estimate clipped to `box` when
  /// it is given.
  func sample<Network: ScoreNetwork, Model: ScoreModel>(
    _ trained: TrainedModel<Network>, score: Model, box: DataRange?, options: SamplingOptions<Float>,
    rows: Range<Int>, dimension: Int
  ) throws -> SamplingResult<Float> where Network.Scalar == Float, Model.Scalar == Float {
    guard let box else {
      return try Sampler(process: trained.sde, score: score, options: options).sample(
        rows: rows, dimension: dimension)
    }
    let clipped = DenoisedClipping(
      base: score, process: trained.sde, lower: box.lower.map { Float($0) },
      upper: box.upper.map { Float($0) })
    return try Sampler(process: trained.sde, score: clipped, options: options).sample(
      rows: rows, dimension: dimension)
  }

  /// At most this many reference rows (evenly spaced) enter the outlier report: building its
  /// threshold costs `O(N²)`.
  static let maximumReferenceRows = 20_000

  /// The outlier report's reference for `trained`: `--reference`, or the training file the
  /// model records when it exists and fits; `nil` for none (an unconditional model only).
  func outlierReport<Network: ScoreNetwork>(for trained: TrainedModel<Network>) throws -> OutlierTally? {
    guard reference?.lowercased() != "none" else { return nil }
    guard trained.conditionEncoding.dimension == 0 else {
      if reference != nil { throw CLIError("--reference: the outlier report is for unconditional models") }
      return nil
    }
    let path: String
    let label: String
    if let reference {
      path = reference
      label = reference
    } else {
      guard let recorded = trained.training.data, DataInput(argument: recorded).isFile,
        FileManager.default.isReadableFile(atPath: recorded)
      else { return nil }
      path = recorded
      label = "\(recorded) (the training file the model records)"
    }
    var rows: Matrix<Double>
    if reference != nil {
      rows = try DataInput(argument: path).load(count: 0, seed: 0).data
    } else {
      guard let recorded = try? DataInput(argument: path).load(count: 0, seed: 0).data else { return nil }
      rows = recorded
    }
    guard rows.columns == trained.dimension else {
      if reference == nil { return nil }
      throw CLIError(
        "\(path): --reference has \(rows.columns) columns, the model's samples \(trained.dimension)")
    }
    guard rows.rows >= 2 else { throw CLIError("\(path): --reference needs at least 2 rows") }
    if rows.rows > Self.maximumReferenceRows {
      var kept = Matrix<Double>(rows: Self.maximumReferenceRows, columns: rows.columns)
      for i in 0..<kept.rows { kept.setRow(i, to: rows.row(i * rows.rows / kept.rows)) }
      rows = kept
    }
    let model: Matrix<Double>
    do {
      model = try trained.modelUnits(of: rows, source: path)
    } catch {
      throw CLIError("\(error.description) (the model's --transform)")
    }
    return OutlierTally(outliers: NearestNeighbourOutliers(reference: model), label: label)
  }
}

/// The running count of the outlier report over the chunks of samples.
struct OutlierTally {
  let outliers: NearestNeighbourOutliers
  /// Where the reference rows came from.
  let label: String
  var samples = 0
  var far = 0

  /// Counts the outliers among data-unit samples `x`, mapped to model units by `trained`.
  mutating func add<Network: ScoreNetwork>(_ x: Matrix<Double>, of trained: TrainedModel<Network>) {
    var z = x
    trained.columnTransforms?.apply(to: &z)
    trained.standardizer?.transform(&z)
    samples += x.rows
    far += outliers.outlierCount(of: z)
  }

  /// The report's line.
  var summary: String {
    String(
      format: "outliers: %d of %d samples (%.2f %%) are farther from every reference row than the largest "
        + "nearest-neighbour distance among the %d reference rows (%.3g, model units); reference: %@",
      far, samples, 100 * Double(far) / Double(max(samples, 1)), outliers.reference.rows, outliers.threshold,
      label)
  }
}
