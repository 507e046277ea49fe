public import Foundation

/// A fresh, empty directory under the system's temporary directory, named after `label` and a
/// UUID (the caller removes it).
public func temporaryDirectory(_ label: String = "test") throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("scoresde-\(label)-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// A fresh file URL under the system's temporary directory, ending in `name` (nothing is
/// created; the caller removes the file).
public func temporaryURL(_ name: String) -> URL {
  FileManager.default.temporaryDirectory.appendingPathComponent("scoresde-\(UUID().uuidString)-\(name)")
}
