public import LinearAlgebra
import RealModule

/// A named set of points or a curve in a plot, with its colour (any SVG colour).
public struct PlotSeries: Sendable {
  /// The legend text.
  public var name: String
  /// The points, in data coordinates.
  public var points: [(x: Double, y: Double)]
  /// An SVG colour such as `"#1f77b4"`.
  public var color: String

  /// A series from its name, points and colour.
  public init(name: String, points: [(x: Double, y: Double)], color: String) {
    self.name = name
    self.points = points
    self.color = color
  }
}

/// Ready-made plots for ScoreSDE's results, as SVG documents.
///
/// ```swift
/// let svg = Plots.scatter(samples: generated, over: data, title: "Checkerboard")
/// try svg.write(to: URL(fileURLWithPath: "samples.svg"))
/// ```
public enum Plots {
  /// The colours of successive series (matplotlib's "tab10").
  public static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf",
  ]

  static let canvas = (width: 560.0, height: 520.0)
  static let plotFrame = (x: 70.0, y: 40.0, width: 440.0, height: 400.0)

  /// A scatter plot of the first two columns of `samples` (orange) over those of `data`
  /// (blue), at most `maximumPoints` of each, on a common square range.
  public static func scatter<S: BLASScalar>(
    samples: Matrix<S>, over data: Matrix<S>? = nil, title: String, maximumPoints: Int = 4000
  ) -> SVGDocument {
    precondition(samples.columns >= 2, "scatter needs at least two columns, got \(samples.shapeDescription)")
    var series: [PlotSeries] = []
    if let data {
      precondition(
        data.columns == samples.columns,
        "data \(data.shapeDescription) vs samples \(samples.shapeDescription)")
      series.append(
        PlotSeries(name: "data", points: firstTwoColumns(data, limit: maximumPoints), color: palette[0]))
    }
    series.append(
      PlotSeries(name: "samples", points: firstTwoColumns(samples, limit: maximumPoints), color: palette[1]))
    return scatter(series, title: title, xLabel: "x₁", yLabel: "x₂")
  }

  /// A scatter plot of several point sets on a common square range.
  public static func scatter(_ series: [PlotSeries], title: String, xLabel: String, yLabel: String)
    -> SVGDocument
  {
    let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    let lo = min(all.map(\.x).min() ?? -1, all.map(\.y).min() ?? -1)
    let hi = max(all.map(\.x).max() ?? 1, all.map(\.y).max() ?? 1)
    let pad = (hi - lo) * 0.05
    let axes = PlotAxes(xRange: (lo - pad)...(hi + pad), yRange: (lo - pad)...(hi + pad), frame: plotFrame)
    var svg = SVGDocument(width: canvas.width, height: canvas.height)
    for s in series {
      var dots: [String] = []
      for p in s.points where p.x.isFinite && p.y.isFinite {
        dots.append(
          #"<circle cx="\#(format(axes.canvasX(p.x)))" cy="\#(format(axes.canvasY(p.y)))" r="1.6"/>"#)
      }
      svg.append(#"<g fill="\#(s.color)" fill-opacity="0.45">"# + dots.joined() + "</g>")
    }
    axes.draw(on: &svg, title: title, xLabel: xLabel, yLabel: yLabel)
    drawLegend(series, on: &svg, marker: "circle")
    return svg
  }

  /// A heat map of a function on a square grid (for example an exact or learned 2-D
  /// log-density), coloured with the viridis map from its minimum to its maximum finite value.
  ///
  /// - Parameters:
  ///   - values: `resolution × resolution` values; row `i` is `y` from the top, column `j` is `x`.
  ///   - xRange: the data range of the columns.
  ///   - yRange: the data range of the rows.
  public static func heatmap(
    _ values: Matrix<Double>, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, title: String,
    colorbarLabel: String
  ) -> SVGDocument {
    let axes = PlotAxes(xRange: xRange, yRange: yRange, frame: plotFrame)
    var svg = SVGDocument(width: canvas.width + 50, height: canvas.height)
    let finite = values.elements.filter(\.isFinite)
    let lo = finite.min() ?? 0
    let hi = finite.max() ?? 1
    let cellW = plotFrame.width / Double(values.columns)
    let cellH = plotFrame.height / Double(values.rows)
    var cells: [String] = []
    for i in 0..<values.rows {
      for j in 0..<values.columns {
        let v = values[i, j]
        let color = v.isFinite ? viridis(hi > lo ? (v - lo) / (hi - lo) : 0.5) : "#ffffff"
        cells.append(
          #"<rect x="\#(format(plotFrame.x + Double(j) * cellW))" y="\#(format(plotFrame.y + Double(i) * cellH))" "#
            + #"width="\#(format(cellW + 0.5))" height="\#(format(cellH + 0.5))" fill="\#(color)"/>"#)
      }
    }
    svg.append("<g>" + cells.joined() + "</g>")
    axes.draw(on: &svg, title: title, xLabel: "x₁", yLabel: "x₂")
    // Colour bar.
    let barX = plotFrame.x + plotFrame.width + 20
    for k in 0..<50 {
      let y = plotFrame.y + plotFrame.height * (1 - Double(k + 1) / 50)
      svg.append(
        #"<rect x="\#(format(barX))" y="\#(format(y))" width="14" height="\#(format(plotFrame.height / 50 + 0.5))" "#
          + #"fill="\#(viridis(Double(k) / 49))"/>"#)
    }
    svg.text(PlotAxes.label(hi), x: barX + 18, y: plotFrame.y + 8, size: 10, anchor: "start")
    svg.text(PlotAxes.label(lo), x: barX + 18, y: plotFrame.y + plotFrame.height, size: 10, anchor: "start")
    svg.text(colorbarLabel, x: barX + 7, y: plotFrame.y + plotFrame.height + 20, size: 10)
    return svg
  }

  /// `f(x, y)` on a `resolution × resolution` grid laid out for ``heatmap(_:xRange:yRange:title:colorbarLabel:)``
  /// (row 0 at the top, `y` = upper bound), evaluated in one batch.
  public static func grid(
    xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, resolution: Int,
    _ f: (Matrix<Double>) -> [Double]
  ) -> Matrix<Double> {
    precondition(resolution >= 2, "grid resolution must be at least 2, got \(resolution)")
    var points = Matrix<Double>(rows: resolution * resolution, columns: 2)
    let n = Double(resolution)
    for i in 0..<resolution {
      let y = yRange.upperBound - (Double(i) + 0.5) / n * (yRange.upperBound - yRange.lowerBound)
      for j in 0..<resolution {
        let x = xRange.lowerBound + (Double(j) + 0.5) / n * (xRange.upperBound - xRange.lowerBound)
        points[i * resolution + j, 0] = x
        points[i * resolution + j, 1] = y
      }
    }
    let values = f(points)
    precondition(
      values.count == points.rows, "grid function returned \(values.count) values for \(points.rows) points")
    return Matrix(rows: resolution, columns: resolution, elements: values)
  }

  /// A line chart of one or more curves, optionally on logarithmic axes (the loss curve, the
  /// NFE-versus-quality chart).
  public static func lines(
    _ series: [PlotSeries], title: String, xLabel: String, yLabel: String, logX: Bool = false,
    logY: Bool = false,
    markers: Bool = false
  ) -> SVGDocument {
    let usable = series.map { s in
      PlotSeries(
        name: s.name,
        points: s.points.filter {
          $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) && (!logY || $0.y > 0)
        },
        color: s.color)
    }
    let all = usable.flatMap(\.points)
    var xr = (all.map(\.x).min() ?? (logX ? 1 : 0))...(all.map(\.x).max() ?? (logX ? 10 : 1))
    var yr = (all.map(\.y).min() ?? (logY ? 1 : 0))...(all.map(\.y).max() ?? (logY ? 10 : 1))
    if logY {
      yr = (yr.lowerBound / 1.3)...(yr.upperBound * 1.3)
    } else {
      let pad = (yr.upperBound - yr.lowerBound) * 0.05
      yr = (yr.lowerBound - pad)...(yr.upperBound + pad)
    }
    if logX { xr = (xr.lowerBound / 1.2)...(xr.upperBound * 1.2) }
    let axes = PlotAxes(xRange: xr, yRange: yr, logX: logX, logY: logY, frame: plotFrame)
    var svg = SVGDocument(width: canvas.width, height: canvas.height)
    for s in usable where !s.points.isEmpty {
      let path = s.points.map { "\(format(axes.canvasX($0.x))),\(format(axes.canvasY($0.y)))" }.joined(
        separator: " ")
      svg.append(#"<polyline points="\#(path)" fill="none" stroke="\#(s.color)" stroke-width="1.8"/>"#)
      if markers {
        let dots = s.points.map {
          #"<circle cx="\#(format(axes.canvasX($0.x)))" cy="\#(format(axes.canvasY($0.y)))" r="3"/>"#
        }
        svg.append(#"<g fill="\#(s.color)">"# + dots.joined() + "</g>")
      }
    }
    axes.draw(on: &svg, title: title, xLabel: xLabel, yLabel: yLabel)
    if usable.count > 1 || !(usable.first?.name.isEmpty ?? true) {
      drawLegend(usable, on: &svg, marker: "line")
    }
    return svg
  }

  /// The training loss (and optionally its moving average) against the step.
  public static func lossCurve(steps: [Int], losses: [Double], smoothed: [Double]? = nil) -> SVGDocument {
    precondition(steps.count == losses.count, "\(steps.count) steps for \(losses.count) losses")
    var series = [
      PlotSeries(name: "loss", points: zip(steps, losses).map { (Double($0), $1) }, color: "#9ecae1")
    ]
    if let smoothed {
      precondition(
        smoothed.count == steps.count, "\(smoothed.count) smoothed values for \(steps.count) steps")
      series.append(
        PlotSeries(
          name: "moving average", points: zip(steps, smoothed).map { (Double($0), $1) }, color: palette[0]))
    }
    let positive = losses.allSatisfy { $0 > 0 }
    return lines(series, title: "Training loss", xLabel: "step", yLabel: "loss", logY: positive)
  }

  /// Sample quality (for example sliced Wasserstein distance) against the number of score
  /// evaluations, one curve per sampler, on log–log axes.
  public static func qualityVersusNFE(_ curves: [(sampler: String, points: [(nfe: Int, distance: Double)])])
    -> SVGDocument
  {
    let series = curves.enumerated().map { k, c in
      PlotSeries(
        name: c.sampler, points: c.points.map { (Double($0.nfe), $0.distance) },
        color: palette[k % palette.count])
    }
    return lines(
      series, title: "Sample quality against cost", xLabel: "score evaluations (NFE)",
      yLabel: "distance to data",
      logX: true, logY: true, markers: true)
  }

  static func drawLegend(_ series: [PlotSeries], on svg: inout SVGDocument, marker: String) {
    let x = plotFrame.x + plotFrame.width - 130
    var y = plotFrame.y + 16
    svg.append(
      #"<rect x="\#(format(x - 8))" y="\#(format(y - 12))" width="134" height="\#(format(Double(series.count) * 16 + 6))" "#
        + #"fill="white" fill-opacity="0.8" stroke="rgb(204,204,204)"/>"#)
    for s in series {
      if marker == "circle" {
        svg.append(#"<circle cx="\#(format(x + 5))" cy="\#(format(y - 4))" r="4" fill="\#(s.color)"/>"#)
      } else {
        svg.append(
          #"<line x1="\#(format(x))" y1="\#(format(y - 4))" x2="\#(format(x + 14))" y2="\#(format(y - 4))" "#
            + #"stroke="\#(s.color)" stroke-width="2"/>"#)
      }
      svg.text(s.name, x: x + 20, y: y, size: 11, anchor: "start")
      y += 16
    }
  }

  static func firstTwoColumns<S: BLASScalar>(_ m: Matrix<S>, limit: Int) -> [(x: Double, y: Double)] {
    let stride = max(1, m.rows / max(limit, 1))
    return Swift.stride(from: 0, to: m.rows, by: stride).prefix(limit).map {
      (Double(m[$0, 0]), Double(m[$0, 1]))
    }
  }

  /// The viridis colour map at `u ∈ [0, 1]`, interpolated between nine anchor colours.
  public static func viridis(_ u: Double) -> String {
    let anchors: [(Double, Double, Double)] = [
      (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142), (31, 158, 137),
      (53, 183, 121),
      (109, 205, 89), (253, 231, 37),
    ]
    let v = min(max(u.isFinite ? u : 0, 0), 1) * Double(anchors.count - 1)
    let k = min(Int(v), anchors.count - 2)
    let f = v - Double(k)
    let (a, b) = (anchors[k], anchors[k + 1])
    let c = [a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1), a.2 + f * (b.2 - a.2)].map { Int($0.rounded()) }
    return String(format: "#%02x%02x%02x", c[0], c[1], c[2])
  }
}
