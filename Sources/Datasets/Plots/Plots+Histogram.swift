extension Plots {
  /// The density histogram of `values` on `bins` equal bins spanning their finite range: the bin
  /// edges `e₀ < … < e_B` and the densities `h_k = n_k / (n · (e_{k+1} − e_k))`, so that
  /// `Σ h_k (e_{k+1} − e_k) = 1` (non-finite values are left out).
  ///
  /// - Parameters:
  ///   - values: the sample.
  ///   - bins: the number of bins, ≥ 1.
  /// - Returns: `bins + 1` edges and `bins` densities; one bin of width 1 around a constant sample.
  public static func histogramDensity(_ values: [Double], bins: Int) -> (edges: [Double], densities: [Double])
  {
    precondition(bins >= 1, "histogramDensity needs at least one bin, got \(bins)")
    let finite = values.filter(\.isFinite)
    guard let low = finite.min(), let high = finite.max() else {
      return ((0...bins).map { Double($0) / Double(bins) }, [Double](repeating: 0, count: bins))
    }
    let (lo, hi) = low < high ? (low, high) : (low - 0.5, high + 0.5)
    let width = (hi - lo) / Double(bins)
    var counts = [Double](repeating: 0, count: bins)
    for v in finite { counts[min(bins - 1, Int((v - lo) / width))] += 1 }
    let edges = (0...bins).map { lo + Double($0) * width }
    return (edges, counts.map { $0 / (Double(finite.count) * width) })
  }

  /// A density histogram of `values` (a 1-D sample) drawn as a step curve.
  ///
  /// - Parameters:
  ///   - values: the sample.
  ///   - bins: the number of bins.
  ///   - title: the title.
  ///   - xLabel: the label of the value axis.
  /// - Returns: the plot.
  public static func histogram(_ values: [Double], bins: Int = 60, title: String, xLabel: String = "x")
    -> SVGDocument
  {
    let (edges, densities) = histogramDensity(values, bins: bins)
    var points: [(x: Double, y: Double)] = [(edges[0], 0)]
    for (k, h) in densities.enumerated() {
      points.append((edges[k], h))
      points.append((edges[k + 1], h))
    }
    points.append((edges[bins], 0))
    return lines(
      [PlotSeries(name: "", points: points, color: palette[1])], title: title, xLabel: xLabel,
      yLabel: "density")
  }
}
