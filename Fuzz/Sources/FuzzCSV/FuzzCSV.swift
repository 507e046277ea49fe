import ScoreSDE

/// libFuzzer entry point: `CSVFile.parse` must throw a typed error or return, never trap, on any
/// bytes, with each header option.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  for option in [CSVFile.HeaderOption.detect, .present, .absent] {
    if let table = try? CSVFile.parse(bytes, file: "fuzz.csv", header: option) as CSVTable<Double> {
      precondition(
        table.columnNames.map { $0.count == table.values.columns } ?? true, "names and columns differ")
    }
  }
  _ = try? CSVFile.parse(bytes, file: "fuzz.csv") as CSVTable<Float>
  return 0
}

/// The entry point SwiftPM's debug builds on Linux link as `main` (`FuzzCSV_main`): it hands the
/// command line to libFuzzer's driver. (Release builds use libFuzzer's own `main`.)
@_cdecl("FuzzCSV_main")
public func entryPoint(
  _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
) -> CInt {
  var count = argc
  var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
  return LLVMFuzzerRunDriver(&count, &arguments, fuzz)
}

/// libFuzzer's driver (in the fuzzer runtime that `-sanitize=fuzzer` links).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
