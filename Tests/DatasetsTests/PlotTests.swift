import Datasets
import Foundation
import LinearAlgebra
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Counts elements by name while checking that the document is well-formed XML.
final class ElementCounter: NSObject, XMLParserDelegate {
  var counts: [String: Int] = [:]
  var circles: [(Double, Double)] = []
  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    counts[name, default: 0] += 1
    if name == "circle", let x = attributes["cx"].flatMap(Double.init),
      let y = attributes["cy"].flatMap(Double.init)
    {
      circles.append((x, y))
    }
  }
}

func parse(_ svg: SVGDocument) -> ElementCounter? {
  let counter = ElementCounter()
  let parser = XMLParser(data: Data(svg.rendered.utf8))
  parser.delegate = counter
  return parser.parse() ? counter : nil
}

@Suite struct PlotTests {
  @Test func scatterIsWellFormedWithOneDotPerPointInsideTheFrame() throws {
    var rng = Xoshiro256(seed: 1)
    let data = Checkerboard().sample(count: 300, using: &rng) as Matrix<Double>
    let samples = Matrix<Double>.randomNormal(rows: 200, columns: 2, using: &rng)
    let svg = Plots.scatter(samples: samples, over: data, title: "Checkerboard & <samples>")
    let counter = try #require(parse(svg))
    // 500 dots plus one legend marker per series.
    #expect(counter.counts["circle"] == 502)
    #expect(counter.counts["svg"] == 1)
    let inside = counter.circles.dropLast(0).filter { $0.0 >= 70 && $0.0 <= 510 && $0.1 >= 40 && $0.1 <= 440 }
    #expect(inside.count == counter.circles.count)
    #expect(svg.rendered.contains("Checkerboard &amp; &lt;samples&gt;"))
  }

  @Test func axesMapDataToCanvasLinearlyAndLogarithmically() {
    let axes = PlotAxes(
      xRange: 1...100, yRange: -1...1, logX: true, frame: (x: 10, y: 20, width: 200, height: 100))
    #expect(axes.canvasX(1) == 10)
    #expect(abs(axes.canvasX(10) - 110) < 1e-12)
    #expect(axes.canvasX(100) == 210)
    #expect(axes.canvasY(-1) == 120)
    #expect(axes.canvasY(1) == 20)
    #expect(axes.canvasY(0) == 70)
  }

  @Test func heatmapHasOneCellPerGridValueAndViridisEndpoints() throws {
    let grid = Plots.grid(xRange: -1...1, yRange: -2...2, resolution: 8) { points in
      (0..<points.rows).map { -points[$0, 0] * points[$0, 0] - points[$0, 1] * points[$0, 1] }
    }
    #expect(grid.rows == 8 && grid.columns == 8)
    // Row 0 is the top of the picture (y near +2), column 0 the left (x near −1).
    #expect(abs(grid[0, 0] - -(0.875 * 0.875 + 1.75 * 1.75)) < 1e-12)
    let svg = Plots.heatmap(grid, xRange: -1...1, yRange: -2...2, title: "log p", colorbarLabel: "log p")
    let counter = try #require(parse(svg))
    // 64 cells, 50 colour-bar steps, the background and the frame.
    #expect(counter.counts["rect"] == 64 + 50 + 2)
    #expect(Plots.viridis(0) == "#440154")
    #expect(Plots.viridis(1) == "#fde725")
    #expect(Plots.viridis(.nan) == "#440154")
  }

  @Test func lineChartsSkipPointsALogAxisCannotShow() throws {
    let svg = Plots.qualityVersusNFE([
      (sampler: "em", points: [(10, 0.5), (100, 0.1), (1000, 0.02)]),
      (sampler: "dpm", points: [(10, 0.05), (20, 0.0)]),
    ])
    let counter = try #require(parse(svg))
    #expect(counter.counts["polyline"] == 2)
    // 3 + 1 markers (the zero distance cannot be drawn on a log axis) and two legend lines.
    #expect(counter.counts["circle"] == 4)
    let loss = Plots.lossCurve(steps: [1, 2, 3], losses: [3, 2, 1], smoothed: [3, 2.5, 2])
    #expect(try #require(parse(loss)).counts["polyline"] == 2)
  }

  @Test func writeIsAtomicAndReadable() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("plot-\(UUID().uuidString).svg")
    defer { try? FileManager.default.removeItem(at: url) }
    let svg = Plots.lossCurve(steps: [0, 10], losses: [2, 1])
    try svg.write(to: url)
    #expect(try String(contentsOf: url, encoding: .utf8) == svg.rendered)
  }
}
