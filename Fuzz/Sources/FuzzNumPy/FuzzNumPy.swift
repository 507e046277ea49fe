import ScoreSDE

/// libFuzzer entry point: `NumPyFile.decode` must throw a typed error or return, never trap,
/// on any bytes, in both precisions.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  if let m = try? NumPyFile.decode(bytes, file: "fuzz.npy") as Matrix<Double> {
    // A decoded array must encode and decode back to itself (NaN payloads included).
    let again = try? NumPyFile.decode(NumPyFile.encode(m), file: "again.npy") as Matrix<Double>
    precondition(
      again.map { $0.rows == m.rows && $0.columns == m.columns } == true, "round trip changed the shape")
  }
  _ = try? NumPyFile.decode(bytes, file: "fuzz.npy") as Matrix<Float>
  return 0
}

/// The entry point SwiftPM's debug builds on Linux link as `main` (`FuzzNumPy_main`): it hands the
/// command line to libFuzzer's driver. (Release builds use libFuzzer's own `main`.)
@_cdecl("FuzzNumPy_main")
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
