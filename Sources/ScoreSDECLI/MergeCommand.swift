import ArgumentParser
import Datasets
import Foundation
import LinearAlgebra

/// `score-sde merge`: joins the files of a sharded `sample` or `nll` run (`--shard k/n`) into
/// the file one unsharded run writes, byte for byte.
struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Join the .npy or .csv files of a sharded run (--shard k/n), in the order given.",
    discussion: """
      The shards are listed explicitly, in order: `score-sde merge --out samples.npy \
      samples.shard-1-of-4.npy … samples.shard-4-of-4.npy`, or with a shell glob, which lists \
      them in order because the shard numbers are zero-padded. Every file must have the same \
      columns and element type (and, for CSV, the same header); shards named \
      `name.shard-k-of-n.ext` must be all n of one run, 1…n in order. The output is written \
      atomically: on any error nothing is written.
      """)

  @Option(help: "The merged file (.npy or .csv, the shards' format).")
  var out: String

  @Argument(help: "The shards, in order.")
  var shards: [String] = []

  func validate() throws {
    guard !shards.isEmpty else { throw ValidationError("give the shard files to merge, in order") }
  }

  func run() throws {
    let format = try OutputFormat(out)
    for path in shards where (try? OutputFormat(path, option: "shard")) != format {
      throw CLIError(
        "\(path): every shard must be a .\(format == .numpy ? "npy" : "csv") file, like --out \(out)")
    }
    try Self.checkShardNames(shards)
    var outputs = CommandOutputs(inputs: shards.map { ("a shard", $0) })
    let file = try outputs.add(out, option: "--out")
    let merged: (rows: Int, columns: Int, mean: RunningMean?)
    switch format {
    case .numpy: merged = try Self.mergeNumPy(shards, into: file)
    case .csv: merged = try Self.mergeCSV(shards, into: file)
    }
    try outputs.commit()
    print("merged \(shards.count) shard(s) into \(out): \(merged.rows) rows × \(merged.columns) column(s)")
    if let mean = merged.mean, mean.count > 0 {
      print(
        mean.count > 1
          ? String(format: "mean %.4f ± %.4f over %d rows", mean.mean, mean.standardError, mean.count)
          : String(format: "mean %.4f over 1 row", mean.mean))
    }
  }

  /// Refuses files named like shards (`name.shard-k-of-n.ext`) that are not shards `1…n` of one
  /// run, in order: a missing, repeated or misplaced shard would merge silently into a wrong file.
  static func checkShardNames(_ paths: [String]) throws {
    let names = paths.map(Sharding.parseName)
    guard let first = names.first ?? nil, names.allSatisfy({ $0 != nil }) else { return }
    for (path, name) in zip(paths, names) where name!.whole != first.whole || name!.count != first.count {
      throw CLIError(
        "\(path) is a shard of another run than \(paths[0]) (\(name!.whole), \(name!.count) shards, not "
          + "\(first.whole), \(first.count))")
    }
    for (position, (path, name)) in zip(paths, names).enumerated() where name!.index != position + 1 {
      throw CLIError(
        "\(path) is shard \(name!.index) of \(first.count) but stands in place \(position + 1): give shards "
          + "1…\(first.count) in order")
    }
    guard paths.count == first.count else {
      throw CLIError(
        "only \(paths.count) of the \(first.count) shards of \(first.whole) given: shard \(paths.count + 1) is "
          + "missing")
    }
  }

  /// The bytes of the file at `path`, or a ``CLIError`` saying why it cannot be read.
  static func bytes(of path: String) throws -> [UInt8] {
    do {
      return try InputFile.bytes(at: path)
    } catch {
      throw CLIError("\(path): \(error.reason)")
    }
  }

  /// Checks every shard's header (2-D, C order, `<f4` or `<f8`, one column count and type) and
  /// data length, then writes NumPy's header for all the rows and each shard's data in turn.
  /// Returns the rows, the columns and, for one column, the running mean of the values.
  static func mergeNumPy(_ paths: [String], into file: OutputFile) throws -> (
    rows: Int, columns: Int, mean: RunningMean?
  ) {
    var rows = 0
    var layout: (type: String, columns: Int, from: String)?
    var mean = RunningMean()
    for path in paths {
      let bytes = try bytes(of: path)
      let header: NumPyHeader
      let values: Matrix<Double>
      do {
        header = try NumPyHeader(parsing: bytes, file: path)
        values = try NumPyFile.decode(bytes, file: path)  // checks the length of the data
      } catch {
        throw CLIError(error.description)
      }
      guard header.shape.count == 2, !header.fortranOrder,
        header.dataType == "<f4" || header.dataType == "<f8"
      else {
        throw CLIError(
          "\(path): merge joins the 2-D little-endian float arrays (<f4 or <f8, C order) that sample and nll "
            + "write; this one has shape \(header.shape), dtype \(header.dataType)"
            + (header.fortranOrder ? ", Fortran order" : ""))
      }
      if let layout, layout.type != header.dataType || layout.columns != header.shape[1] {
        throw CLIError(
          "\(path) holds \(header.shape[1]) column(s) of \(header.dataType), but \(layout.from) holds "
            + "\(layout.columns) of \(layout.type): these are not shards of one run")
      }
      layout = layout ?? (header.dataType, header.shape[1], path)
      rows += header.shape[0]
      if values.columns == 1 { for v in values.elements { mean.add(v) } }
    }
    guard let layout else { return (0, 0, nil) }
    if layout.type == "<f4" {
      try write(NumPyFile.header(rows: rows, columns: layout.columns, of: Float.self), to: file)
    } else {
      try write(NumPyFile.header(rows: rows, columns: layout.columns, of: Double.self), to: file)
    }
    for path in paths {
      let bytes = try bytes(of: path)
      let offset: Int
      do {
        offset = try NumPyHeader(parsing: bytes, file: path).dataOffset
      } catch {
        throw CLIError("\(path) changed while merging: \(error.description)")
      }
      try write(Array(bytes[offset...]), to: file)
    }
    return (rows, layout.columns, layout.columns == 1 ? mean : nil)
  }

  /// Checks that every shard parses as CSV with one column count and one header (or none), then
  /// writes the header once and each shard's lines after it. Returns the rows, the columns and,
  /// for one column, the running mean of the values.
  static func mergeCSV(_ paths: [String], into file: OutputFile) throws -> (
    rows: Int, columns: Int, mean: RunningMean?
  ) {
    var rows = 0
    var columns: (count: Int, from: String)?
    var header: (line: [UInt8], from: String)?
    var headerless: String?
    var mean = RunningMean()
    var bodies: [Int] = []  // where each shard's rows start
    for path in paths {
      let bytes = try bytes(of: path)
      let table: CSVTable<Double>
      do {
        table = try CSVFile.parse(bytes, file: path)
      } catch {
        throw CLIError(error.description)
      }
      let c = table.values.columns
      if c > 0 {
        if let columns, columns.count != c {
          throw CLIError(
            "\(path) has \(c) column(s), \(columns.from) has \(columns.count): these are not shards of one run"
          )
        }
        columns = columns ?? (c, path)
      }
      if table.columnNames != nil {
        let (line, body) = firstLine(of: bytes)
        if let header, header.line != line {
          throw CLIError(
            "\(path) has the header '\(String(decoding: line, as: UTF8.self))', \(header.from) has "
              + "'\(String(decoding: header.line, as: UTF8.self))'")
        }
        header = header ?? (line, path)
        bodies.append(body)
      } else {
        if c > 0 { headerless = headerless ?? path }
        bodies.append(0)
      }
      if let header, let headerless {
        throw CLIError("\(header.from) has a header line and \(headerless) has none: merge needs both alike")
      }
      rows += table.values.rows
      if c == 1 { for v in table.values.elements { mean.add(v) } }
    }
    if let header { try write(header.line + [0x0A], to: file) }
    for (path, start) in zip(paths, bodies) {
      var body = Array(try bytes(of: path).dropFirst(start))
      if let last = body.last, last != 0x0A { body.append(0x0A) }
      try write(body, to: file)
    }
    return (rows, columns?.count ?? 0, columns?.count == 1 ? mean : nil)
  }

  /// The first non-blank line of a CSV file (without its line ending) and the offset of the
  /// byte after it.
  static func firstLine(of bytes: [UInt8]) -> (line: [UInt8], next: Int) {
    var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    while start < bytes.count {
      var end = start
      while end < bytes.count && bytes[end] != 0x0A { end += 1 }
      var line = Array(bytes[start..<end])
      if line.last == 0x0D { line.removeLast() }
      if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return (line, min(bytes.count, end + 1)) }
      start = end + 1
    }
    return ([], bytes.count)
  }

  static func write(_ bytes: [UInt8], to file: OutputFile) throws {
    do {
      try file.write(bytes)
    } catch {
      throw CLIError("--out \(error.description)")
    }
  }
}
