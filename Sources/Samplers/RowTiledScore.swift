public import DiffusionProcesses
public import LinearAlgebra

/// A ``ScoreModel`` that evaluates its base model in tiles of exactly ``tileRows`` rows, each
/// sample at the tile position given by its global index, so that a sample's score is computed
/// by the same sequence of arithmetic whatever batch it belongs to.
///
/// A BLAS `gemm` does not round a row the same way in every product: which micro-kernel (and
/// which thread) computes row `i` of `A B` depends on how many rows `A` has and where `i` lies
/// among them, and the kernels sum in different orders (OpenBLAS's 24-row Haswell `sgemm`
/// kernel, for one, gives a row alone and the same row inside a 60-row product that differ in
/// the last bits). Calling the base model only on `tileRows × d` inputs, with global sample `g`
/// always in tile row `g mod tileRows`, makes every product the same call with the same row
/// placement, so the samples of ``Sampler`` are bit-identical for every
/// ``SamplingOptions/batchSize``.
///
/// The cost is the padding: a batch of `n` rows starting at global row `g₀` evaluates
/// `⌈((g₀ mod T) + n) / T⌉ · T` rows, whose unused rows are zeros.
///
/// ```swift
/// // Samples 100..<160 of a run, evaluated in 256-row tiles at rows 100…159 of the tile.
/// let tiled = RowTiledScore(base: network, tileRows: 256, firstRow: 100)
/// tiled.score(x, at: 0.5, into: &s)
/// ```
public struct RowTiledScore<Base: ScoreModel>: WorkspaceScoreModel {
  /// The precision.
  public typealias Scalar = Base.Scalar

  /// The model evaluated tile by tile.
  public let base: Base
  /// `T`, the rows of every evaluation of ``base``.
  public let tileRows: Int
  /// The global index of the first row of the inputs this model is given.
  public let firstRow: Int

  /// Tiles `base` in `tileRows`-row evaluations for inputs whose row 0 is global sample
  /// `firstRow`.
  @inlinable
  public init(base: Base, tileRows: Int, firstRow: Int) {
    precondition(tileRows >= 1, "RowTiledScore: tileRows must be at least 1, got \(tileRows)")
    precondition(firstRow >= 0, "RowTiledScore: firstRow must be non-negative, got \(firstRow)")
    self.base = base
    self.tileRows = tileRows
    self.firstRow = firstRow
  }

  /// One tile's input and output, and the base model's workspace for one tile.
  public struct Workspace {
    @usableFromInline var input: Matrix<Scalar>
    @usableFromInline var output: Matrix<Scalar>
    @usableFromInline var base: Base.Workspace

    @inlinable
    init(base: Base.Workspace) {
      input = Matrix(rows: 0, columns: 0)
      output = Matrix(rows: 0, columns: 0)
      self.base = base
    }
  }

  /// Scratch memory for one tile (the input count `rows` does not matter).
  @inlinable
  public func makeWorkspace(rows: Int) -> Workspace {
    Workspace(base: base.makeWorkspace(rows: tileRows))
  }

  /// `s(xᵢ, t)` for every row, the base model seeing only full tiles.
  @inlinable
  public func score(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Workspace
  ) {
    precondition(
      out.hasShape(of: x),
      "RowTiledScore: output \(out.shapeDescription) for input \(x.shapeDescription)")
    if x.rows == tileRows && firstRow % tileRows == 0 {
      base.score(x, at: t, into: &out, workspace: &workspace.base)
      return
    }
    let d = x.columns
    if workspace.input.rows != tileRows || workspace.input.columns != d {
      workspace.input.resize(rows: tileRows, columns: d)
      workspace.output.resize(rows: tileRows, columns: d)
    }
    var start = 0
    var position = firstRow % tileRows
    while start < x.rows {
      let count = Swift.min(tileRows - position, x.rows - start)
      // Rows outside the batch are zeros: finite, and no product mixes rows.
      if count < tileRows { workspace.input.fill(with: 0) }
      workspace.input.copyRows(start..<(start + count), of: x, to: position)
      base.score(workspace.input, at: t, into: &workspace.output, workspace: &workspace.base)
      out.copyRows(position..<(position + count), of: workspace.output, to: start)
      start += count
      position = 0
    }
  }
}

extension RowTiledScore.Workspace: Sendable where Base.Workspace: Sendable {}
