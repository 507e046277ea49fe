let data = try NumPyFile.read(from: folder.appendingPathComponent("events.npy"), as: Float.self)
let source = try DatasetSource(data)  // rows are events, columns are features
let standardizer = try source.fitStandardizer()
