var options = SamplingOptions<Double>(kind: .eulerMaruyama(steps: 200), seed: 3)
options.trajectoryStride = 2
let run = try Sampler(process: sde, score: mixture, options: options).sample(count: 24, dimension: 2)
let axes = PlotAxes(xRange: 0...1, yRange: -4...4, frame: (x: 70, y: 40, width: 440, height: 400))
var svg = SVGDocument(width: 560, height: 520)
for i in 0..<24 {
  let points = run.trajectory.map { "\(axes.canvasX($0.time)),\(axes.canvasY($0.states[i, 0]))" }
  let color = run.samples[i, 0] > 0 ? "#c0392b" : "#2980b9"  // the mode it ends in
  svg.append(#"<polyline points="\#(points.joined(separator: " "))" fill="none" stroke="\#(color)"/>"#)
}
let (x0, y0, y1) = (axes.canvasX(exact), axes.canvasY(-4), axes.canvasY(4))
svg.append(
  ##"<line x1="\##(x0)" y1="\##(y0)" x2="\##(x0)" y2="\##(y1)" stroke="#555555" stroke-dasharray="4"/>"##)
axes.draw(on: &svg, title: "Reverse trajectories and the speciation time", xLabel: "t", yLabel: "x₁")
let trajectories = FileManager.default.temporaryDirectory.appendingPathComponent("thermo-speciation.svg")
try svg.write(to: trajectories)
