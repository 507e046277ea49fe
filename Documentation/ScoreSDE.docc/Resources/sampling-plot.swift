let url = FileManager.default.temporaryDirectory.appendingPathComponent("quality-vs-nfe.svg")
try Plots.qualityVersusNFE(curves).write(to: url)
