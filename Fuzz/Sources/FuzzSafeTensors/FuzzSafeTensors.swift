import Foundation
import ScoreSDE

/// libFuzzer entry point: `SafeTensors.decode` must throw a typed error or return, never trap,
/// on any bytes; a decoded file must load into an MLP or be refused with a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  if let (tensors, metadata) = try? SafeTensors.decode(bytes, as: Double.self) {
    _ = try? SafeTensors.decode(SafeTensors.encode(tensors, metadata: metadata), as: Double.self)
  }
  _ = try? SafeTensors.decode(bytes, as: Float.self)
  return 0
}

/// The entry point SwiftPM's debug builds on Linux link as `main` (`FuzzSafeTensors_main`): it hands the
/// command line to libFuzzer's driver. (Release builds use libFuzzer's own `main`.)
@_cdecl("FuzzSafeTensors_main")
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
