import ArgumentParser
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks

/// `score-sde export --pytorch model.safetensors folder/`: the model as a Python module
/// (``PyTorchExport``) beside a copy of the model file, for training further with PyTorch.
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write a trained model as a PyTorch module, to train it further with PyTorch.",
    discussion: """
      Writes FOLDER/\(PyTorchExport.moduleFileName), a self-contained Python module (numpy, and torch \
      for the nn.Module) that defines the model's network, reads and writes ScoreSDE model files, \
      computes the score and the denoising score-matching loss, and has a minimal (DDP-ready) \
      training loop, and FOLDER/\(PyTorchExport.weightsFileName), a copy of the model file. Weights \
      written back with the module's save(net, path, like=...) load in `score-sde sample` and \
      `score-sde nll`. FOLDER is created if it does not exist; files in it of the same names are \
      replaced.
      """)

  @Flag(help: "Export as a PyTorch module (the only format for now).")
  var pytorch = false

  @Argument(help: "The model file written by `score-sde train`.")
  var model: String

  @Argument(help: "The folder to write the module and the copy of the model into.")
  var folder: String

  func validate() throws {
    guard pytorch else { throw ValidationError("choose the format: --pytorch") }
  }

  func run() throws {
    let url = URL(fileURLWithPath: model)
    var isFolder: ObjCBool = false
    let folderExists = FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder)
    if folderExists && !isFolder.boolValue {
      throw CLIError("\(folder) is a file, not a folder: give a folder to export into")
    }
    // The model is read and checked in full before anything is written.
    let source = try ModuleSource().run(modelAt: url)
    let bytes: [UInt8]
    do {
      bytes = try InputFile.bytes(at: model)
    } catch {
      throw CLIError("\(model): \(error.reason)")
    }
    if !folderExists {
      do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
      } catch {
        throw CLIError("\(folder): cannot create the folder (\(error.localizedDescription))")
      }
    }
    let base = URL(fileURLWithPath: folder)
    let modulePath = base.appendingPathComponent(PyTorchExport.moduleFileName).path
    let weightsPath = base.appendingPathComponent(PyTorchExport.weightsFileName).path
    // Exporting into the model's own folder under its own name: the model is already in place.
    let copiesModel = FileIdentity(weightsPath) != FileIdentity(model) || FileIdentity(model) == nil
    var outputs = CommandOutputs(inputs: [("model", model)])
    let moduleFile = try outputs.add(modulePath, option: "module")
    let weightsFile = copiesModel ? try outputs.add(weightsPath, option: "model copy") : nil
    do {
      try moduleFile.write(source.text)
      try weightsFile?.write(bytes)
    } catch {
      throw CLIError("\(folder): \(error.description)")
    }
    try outputs.commit()
    print("wrote \(modulePath) (\(source.architecture), \(source.parameterization)) and \(weightsPath)")
  }
}

/// Builds the module's source for the network a model file holds.
private struct ModuleSource: TrainedModelTask {
  typealias Scalar = Double

  func run<Network: ScoreNetwork>(
    _ model: TrainedModel<Network>
  ) throws -> (text: String, architecture: String, parameterization: String) where Network.Scalar == Double {
    if let transforms = model.columnTransforms {
      throw CLIError(
        "the model was trained with --transform (\(transforms.transforms.map(\.name).joined(separator: ", "))), "
          + "which the PyTorch module does not apply; export a model trained with --transform none")
    }
    do {
      let text = try PyTorchExport.moduleSource(for: model)
      return (text, Network.architectureName, model.parameterization.fileName)
    } catch {
      throw CLIError(error.description)
    }
  }
}
