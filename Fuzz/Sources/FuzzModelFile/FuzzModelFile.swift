import Foundation
import ScoreSDE

/// The scratch file the inputs are written to (one per process: libFuzzer runs inputs one at a time).
let scratch = FileManager.default.temporaryDirectory
  .appendingPathComponent("score-sde-fuzz-model-\(ProcessInfo.processInfo.processIdentifier).safetensors")

/// libFuzzer entry point: `TrainedModel.load` must throw a typed error or return a model, never
/// trap, on any bytes; a model that loads must give finite-or-not scores without trapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  do {
    try Data(bytes: data, count: size).write(to: scratch)
  } catch {
    fatalError("cannot write the scratch file \(scratch.path): \(error)")
  }
  // Every architecture the library ships, as the file says and as the other one.
  _ = try? ModelFile.architecture(of: scratch)
  if let model = try? TrainedModel<MLP<Double>>.load(from: scratch) {
    _ = model.metadata
  }
  _ = try? TrainedModel<MLP<Float>>.load(from: scratch)
  if let model = try? TrainedModel<ResidualMLP<Double>>.load(from: scratch) {
    _ = model.metadata
  }
  return 0
}

/// The entry point SwiftPM's debug builds on Linux link as `main` (`FuzzModelFile_main`): it hands the
/// command line to libFuzzer's driver. (Release builds use libFuzzer's own `main`.)
@_cdecl("FuzzModelFile_main")
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
