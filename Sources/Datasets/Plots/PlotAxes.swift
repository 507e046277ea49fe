import Foundation
import RealModule

/// A rectangular plot area with linear or logarithmic axes, mapping data coordinates to
/// canvas pixels and drawing the frame, ticks and labels.
public struct PlotAxes: Sendable {
  /// The data range shown on the horizontal axis.
  public let xRange: ClosedRange<Double>
  /// The data range shown on the vertical axis.
  public let yRange: ClosedRange<Double>
  /// Logarithmic horizontal axis (base 10).
  public let logX: Bool
  /// Logarithmic vertical axis (base 10).
  public let logY: Bool
  /// The plot area on the canvas: left, top, width, height in pixels.
  public let frame: (x: Double, y: Double, width: Double, height: Double)

  /// Axes over the given ranges inside `frame`. Log axes need positive ranges.
  public init(
    xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, logX: Bool = false, logY: Bool = false,
    frame: (x: Double, y: Double, width: Double, height: Double)
  ) {
    precondition(!logX || xRange.lowerBound > 0, "A logarithmic x axis needs a positive range, got \(xRange)")
    precondition(!logY || yRange.lowerBound > 0, "A logarithmic y axis needs a positive range, got \(yRange)")
    self.xRange = PlotAxes.widened(xRange, log: logX)
    self.yRange = PlotAxes.widened(yRange, log: logY)
    self.logX = logX
    self.logY = logY
    self.frame = frame
  }

  /// A degenerate range widened so that it has a width.
  static func widened(_ r: ClosedRange<Double>, log: Bool) -> ClosedRange<Double> {
    if r.upperBound > r.lowerBound { return r }
    return log ? (r.lowerBound / 2)...(r.upperBound * 2) : (r.lowerBound - 1)...(r.upperBound + 1)
  }

  /// The canvas x of data value `x`.
  public func canvasX(_ x: Double) -> Double {
    let (a, b, v) =
      logX
      ? (Double.log10(xRange.lowerBound), Double.log10(xRange.upperBound), Double.log10(x))
      : (xRange.lowerBound, xRange.upperBound, x)
    return frame.x + (v - a) / (b - a) * frame.width
  }

  /// The canvas y of data value `y` (up is larger).
  public func canvasY(_ y: Double) -> Double {
    let (a, b, v) =
      logY
      ? (Double.log10(yRange.lowerBound), Double.log10(yRange.upperBound), Double.log10(y))
      : (yRange.lowerBound, yRange.upperBound, y)
    return frame.y + frame.height - (v - a) / (b - a) * frame.height
  }

  /// Whether a data point lies inside the ranges.
  public func contains(x: Double, y: Double) -> Bool {
    xRange.contains(x) && yRange.contains(y)
  }

  /// Draws the frame, ticks with labels, axis labels and a title.
  public func draw(on svg: inout SVGDocument, title: String, xLabel: String, yLabel: String) {
    let f = frame
    svg.append(
      #"<rect x="\#(format(f.x))" y="\#(format(f.y))" width="\#(format(f.width))" height="\#(format(f.height))" "#
        + #"fill="none" stroke="rgb(68,68,68)" stroke-width="1"/>"#)
    for tick in PlotAxes.ticks(xRange, log: logX) {
      let x = canvasX(tick)
      svg.append(
        #"<line x1="\#(format(x))" y1="\#(format(f.y + f.height))" x2="\#(format(x))" "#
          + #"y2="\#(format(f.y + f.height + 5))" stroke="rgb(68,68,68)"/>"#)
      svg.text(PlotAxes.label(tick), x: x, y: f.y + f.height + 18, size: 11)
    }
    for tick in PlotAxes.ticks(yRange, log: logY) {
      let y = canvasY(tick)
      svg.append(
        #"<line x1="\#(format(f.x - 5))" y1="\#(format(y))" x2="\#(format(f.x))" y2="\#(format(y))" stroke="rgb(68,68,68)"/>"#
      )
      svg.text(PlotAxes.label(tick), x: f.x - 8, y: y + 4, size: 11, anchor: "end")
    }
    svg.text(title, x: f.x + f.width / 2, y: f.y - 12, size: 14, weight: "bold")
    svg.text(xLabel, x: f.x + f.width / 2, y: f.y + f.height + 38, size: 12)
    svg.text(yLabel, x: f.x - 48, y: f.y + f.height / 2, size: 12, rotate: -90)
  }

  /// About five round tick values inside `range` (powers of ten on a log axis).
  static func ticks(_ range: ClosedRange<Double>, log: Bool) -> [Double] {
    if log {
      let lo = Int(Double.log10(range.lowerBound).rounded(.down))
      let hi = Int(Double.log10(range.upperBound).rounded(.up))
      let decades = (lo...hi).map { Double.pow(10, Double($0)) }.filter(range.contains)
      if decades.count >= 3 { return decades }
      // Fewer than three powers of ten in view: label 1, 2 and 5 times each.
      return (lo...hi).flatMap { e in [1.0, 2, 5].map { $0 * Double.pow(10, Double(e)) } }.filter(
        range.contains)
    }
    let span = range.upperBound - range.lowerBound
    let raw = span / 5
    let magnitude = Double.pow(10, Double.log10(raw).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    var ticks: [Double] = []
    var t = (range.lowerBound / step).rounded(.up) * step
    while t <= range.upperBound + step * 1e-9 {
      ticks.append(abs(t) < step * 1e-9 ? 0 : t)
      t += step
    }
    return ticks
  }

  /// A short label: integers without decimals, others with up to three significant digits.
  static func label(_ value: Double) -> String {
    if value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
    if abs(value) >= 1e-3 && abs(value) < 1e6 { return String(format: "%.3g", value) }
    return String(format: "%.0e", value)
  }
}
