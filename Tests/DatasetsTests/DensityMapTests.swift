import Datasets
import Foundation
import LinearAlgebra
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The rectangles of an SVG document with their geometry and fill.
final class RectangleCollector: NSObject, XMLParserDelegate {
  var rectangles: [(x: Double, y: Double, width: Double, height: Double, fill: String)] = []
  var texts = 0
  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    if name == "text" { texts += 1 }
    guard name == "rect", let x = attributes["x"].flatMap(Double.init),
      let y = attributes["y"].flatMap(Double.init),
      let w = attributes["width"].flatMap(Double.init), let h = attributes["height"].flatMap(Double.init)
    else { return }
    rectangles.append((x, y, w, h, attributes["fill"] ?? ""))
  }
}

@Suite struct DensityMapTests {
  func collect(_ svg: SVGDocument) throws -> RectangleCollector {
    let collector = RectangleCollector()
    let parser = XMLParser(data: Data(svg.rendered.utf8))
    parser.delegate = collector
    #expect(parser.parse(), "the document is not well-formed XML")
    return collector
  }

  /// Row 0 of the values is the lowest `y` and is drawn at the bottom, column 0 at the left; a
  /// row of equal colours is one rectangle; the highest value is viridis' top colour.
  @Test func rowsRunUpwardAndEqualColoursMerge() throws {
    // 3 rows × 4 columns over x ∈ [0, 3], y ∈ [0, 2]; the top row is constant.
    var values = Matrix<Double>(rows: 3, columns: 4)
    for j in 0..<4 {
      values[0, j] = Double(j)
      values[1, j] = 1
      values[2, j] = 5
    }
    let svg = Plots.densityMap(values, xRange: 0...3, yRange: 0...2, title: "t", colorbarLabel: "log ρ")
    let cells = try collect(svg).rectangles.filter { $0.fill.hasPrefix("#") && $0.x >= 70 && $0.x < 510 }
    // Row 0: four colours, four cells; row 1: one; row 2: one (and the 64 colour-bar steps are
    // right of the frame, left out above).
    #expect(cells.count == 6, "\(cells.map { ($0.x, $0.y, $0.fill) })")
    let top = cells.filter { $0.fill == Plots.viridis(1) }
    #expect(top.count == 1)
    let bottomRow = cells.filter { $0.fill == Plots.viridis(0) }
    #expect(bottomRow.count == 1)
    // The top row (y = 2) is above the bottom row's lowest cell (y = 0) on the canvas.
    #expect(top[0].y < bottomRow[0].y)
    // The leftmost cell of row 0 starts at the frame's left edge and spans the whole width of a
    // node's cell (frame width 440 over 4 cells).
    #expect(abs(bottomRow[0].x - 70) < 0.01 && abs(bottomRow[0].width - 110.5) < 0.02)
    let whole = cells.first { $0.fill == Plots.viridis(1) }!
    #expect(abs(whole.width - 440.5) < 0.02)
  }

  /// Values more than `dynamicRange` below the maximum share the lowest colour and the colour
  /// bar says so; non-finite values are left out.
  @Test func aDynamicRangeClipsLowValues() throws {
    var values = Matrix<Double>(rows: 2, columns: 3)
    values[0, 0] = -100
    values[0, 1] = -50
    values[0, 2] = .nan
    values[1, 0] = -2
    values[1, 1] = 0
    values[1, 2] = -1
    let svg = Plots.densityMap(
      values, xRange: -1...1, yRange: -1...1, title: "t", colorbarLabel: "log ρ", dynamicRange: 10)
    #expect(svg.rendered.contains("log ρ (lower: clipped)"))
    let cells = try collect(svg).rectangles.filter { $0.fill.hasPrefix("#") && $0.x >= 70 && $0.x < 510 }
    // Row 0: −100 and −50 merge (both clipped), NaN is skipped; row 1: three colours.
    #expect(cells.count == 4, "\(cells.map { ($0.x, $0.fill) })")
    #expect(cells.filter { $0.fill == Plots.viridis(0) }.count == 1)
  }
}
