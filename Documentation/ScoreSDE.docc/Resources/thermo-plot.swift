let curves = [
  ("total", "#c0392b", rates.map(\.total.mean)), ("system", "#2980b9", rates.map(\.system.mean)),
]
.map { name, color, values in
  PlotSeries(name: name, points: zip(times, values).map { ($0, $1) }, color: color)
}
let figure = FileManager.default.temporaryDirectory.appendingPathComponent("thermo-entropy-production.svg")
try Plots.lines(curves, title: "Entropy production", xLabel: "t", yLabel: "nats per unit time", logX: true)
  .write(to: figure)
