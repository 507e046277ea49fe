public import LinearAlgebra

extension Plots {
  /// A heat map of values at the nodes of a regular grid (a log-density `log ρ(x, y)` from
  /// `score-sde density`), coloured with viridis, with axes and a colour bar with ticks.
  ///
  /// The layout is NumPy's `np.meshgrid(x, y)` (`indexing='xy'`): entry `[i, j]` of `values` is
  /// the value at `(x_j, y_i)`, with `x_j` the `j`-th of `values.columns` equally spaced nodes
  /// spanning `xRange` and `y_i` the `i`-th of `values.rows` spanning `yRange`; row 0 is the
  /// lowest `y`, drawn at the bottom. Each node is drawn as the cell of one spacing around it.
  /// Colours run from `max(min, max − dynamicRange)` to the largest finite value; lower values
  /// take the lowest colour (the colour bar says so) and non-finite ones are left white.
  /// Neighbouring cells of a row with the same colour (256 levels) are drawn as one rectangle
  /// (a 200 × 200 map of a trained checkerboard model: 23 000 rectangles, 1.5 MB).
  ///
  /// ```swift
  /// let svg = Plots.densityMap(logRho, xRange: -4...4, yRange: -4...4, title: "log ρ",
  ///                            colorbarLabel: "log ρ", dynamicRange: 15)
  /// ```
  ///
  /// - Parameters:
  ///   - values: `n_y × nₓ` values, at least 2 × 2.
  ///   - xRange: the first and last `x` nodes.
  ///   - yRange: the first and last `y` nodes.
  ///   - title: the title.
  ///   - xLabel: the label of the horizontal axis.
  ///   - yLabel: the label of the vertical axis.
  ///   - colorbarLabel: the label under the colour bar.
  ///   - dynamicRange: the span of values given distinct colours below the maximum (`nil`: all).
  /// - Returns: the plot.
  public static func densityMap(
    _ values: Matrix<Double>, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, title: String,
    xLabel: String = "x₁", yLabel: String = "x₂", colorbarLabel: String, dynamicRange: Double? = nil
  ) -> SVGDocument {
    precondition(
      values.rows >= 2 && values.columns >= 2,
      "densityMap needs at least 2 × 2 values, got \(values.shapeDescription)")
    let hx = (xRange.upperBound - xRange.lowerBound) / Double(values.columns - 1)
    let hy = (yRange.upperBound - yRange.lowerBound) / Double(values.rows - 1)
    let axes = PlotAxes(
      xRange: (xRange.lowerBound - hx / 2)...(xRange.upperBound + hx / 2),
      yRange: (yRange.lowerBound - hy / 2)...(yRange.upperBound + hy / 2), frame: plotFrame)
    var svg = SVGDocument(width: canvas.width + 70, height: canvas.height)
    let finite = values.elements.filter(\.isFinite)
    let hi = finite.max() ?? 1
    let lowest = finite.min() ?? 0
    let lo = dynamicRange.map { Swift.max(lowest, hi - $0) } ?? lowest
    let clipped = lo > lowest
    func level(_ v: Double) -> Int? {
      guard v.isFinite else { return nil }
      return hi > lo ? Swift.min(255, Swift.max(0, Int(((v - lo) / (hi - lo) * 255).rounded()))) : 128
    }
    var cells: [String] = []
    for i in 0..<values.rows {
      let top = axes.canvasY(yRange.lowerBound + (Double(i) + 0.5) * hy)
      let bottom = axes.canvasY(yRange.lowerBound + (Double(i) - 0.5) * hy)
      var j = 0
      while j < values.columns {
        let l = level(values[i, j])
        var end = j + 1
        while end < values.columns && level(values[i, end]) == l { end += 1 }
        if let l {
          let left = axes.canvasX(xRange.lowerBound + (Double(j) - 0.5) * hx)
          let right = axes.canvasX(xRange.lowerBound + (Double(end) - 0.5) * hx)
          cells.append(
            #"<rect x="\#(format(left))" y="\#(format(top))" width="\#(format(right - left + 0.5))" "#
              + #"height="\#(format(bottom - top + 0.5))" fill="\#(viridis(Double(l) / 255))"/>"#)
        }
        j = end
      }
    }
    svg.append(#"<g shape-rendering="crispEdges">"# + cells.joined() + "</g>")
    axes.draw(on: &svg, title: title, xLabel: xLabel, yLabel: yLabel)
    // The colour bar: 64 steps from lo (bottom) to hi (top), with round ticks.
    let barX = plotFrame.x + plotFrame.width + 18
    let bar = PlotAxes(
      xRange: 0...1, yRange: lo...(hi > lo ? hi : lo + 1), frame: (barX, plotFrame.y, 14, plotFrame.height))
    for k in 0..<64 {
      let y = plotFrame.y + plotFrame.height * (1 - Double(k + 1) / 64)
      svg.append(
        #"<rect x="\#(format(barX))" y="\#(format(y))" width="14" height="\#(format(plotFrame.height / 64 + 0.5))" "#
          + #"fill="\#(viridis((Double(k) + 0.5) / 64))"/>"#)
    }
    svg.append(
      #"<rect x="\#(format(barX))" y="\#(format(plotFrame.y))" width="14" height="\#(format(plotFrame.height))" "#
        + #"fill="none" stroke="rgb(68,68,68)"/>"#)
    for tick in PlotAxes.ticks(bar.yRange, log: false) {
      let y = bar.canvasY(tick)
      svg.append(
        #"<line x1="\#(format(barX + 14))" y1="\#(format(y))" x2="\#(format(barX + 18))" y2="\#(format(y))" "#
          + #"stroke="rgb(68,68,68)"/>"#)
      svg.text(PlotAxes.label(tick), x: barX + 21, y: y + 4, size: 10, anchor: "start")
    }
    svg.text(
      clipped ? colorbarLabel + " (lower: clipped)" : colorbarLabel, x: barX + 7,
      y: plotFrame.y + plotFrame.height + 20, size: 10)
    return svg
  }
}
