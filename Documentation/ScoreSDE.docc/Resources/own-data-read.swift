let data = try NumPyFile.read(from: folder.appendingPathComponent("events.npy"), as: Double.self)
// Rows are events, columns are features: standardised in Double, then stored as Float.
let source = try DatasetSource<Float>(standardizing: data, source: "events.npy")
