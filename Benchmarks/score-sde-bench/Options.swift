/// The command line of `score-sde-bench` (see Benchmarks/README.md).
struct Options {
  /// Workloads to run: `W1-small`, `W1-medium`, `W1-large`, `W2`, `W3`, `gemm`, `quality`.
  var only: Set<String> = ["W1-small", "W1-medium", "W1-large", "W2", "W3", "gemm"]
  /// Threads for BLAS and for the batch split.
  var threads = 2
  /// Seconds to spend timing each workload (at least the minimum repetitions run).
  var seconds = 2.0
  /// Which precisions to run.
  var scalars: [String] = ["float", "double"]
  /// One JSON object per line instead of the table.
  var json = false

  static let usage = """
    usage: score-sde-bench [--only W1-small,W1-medium,W1-large,W2,W3,gemm,quality] [--threads N]
                           [--seconds S] [--scalar float|double|both] [--json]
    """

  /// Parses `arguments` (without the program name); `nil` with a message on a bad argument.
  static func parse(_ arguments: [String]) -> Result<Options, ParseError> {
    var options = Options()
    var i = 0
    func value() throws(ParseError) -> String {
      guard i + 1 < arguments.count else { throw ParseError(message: "\(arguments[i]) needs a value") }
      i += 1
      return arguments[i]
    }
    do throws(ParseError) {
      while i < arguments.count {
        switch arguments[i] {
        case "--only":
          let names = try value().split(separator: ",").map(String.init)
          let known: Set = ["W1-small", "W1-medium", "W1-large", "W2", "W3", "gemm", "quality"]
          if let bad = names.first(where: { !known.contains($0) }) {
            throw ParseError(
              message: "unknown workload \(bad); known: \(known.sorted().joined(separator: ","))")
          }
          options.only = Set(names)
        case "--threads":
          let text = try value()
          guard let n = Int(text), n >= 1 else { throw ParseError(message: "--threads \(text): need N ≥ 1") }
          options.threads = n
        case "--seconds":
          let text = try value()
          guard let s = Double(text), s > 0 else {
            throw ParseError(message: "--seconds \(text): need S > 0")
          }
          options.seconds = s
        case "--scalar":
          switch try value() {
          case "float": options.scalars = ["float"]
          case "double": options.scalars = ["double"]
          case "both": options.scalars = ["float", "double"]
          case let other: throw ParseError(message: "--scalar \(other): need float, double or both")
          }
        case "--json": options.json = true
        case "--help", "-h": throw ParseError(message: "")
        case let other: throw ParseError(message: "unknown argument \(other)")
        }
        i += 1
      }
    } catch {
      return .failure(error)
    }
    return .success(options)
  }
}

/// A bad command line.
struct ParseError: Error {
  let message: String
}
