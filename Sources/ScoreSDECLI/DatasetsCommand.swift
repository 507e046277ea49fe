import ArgumentParser
import Datasets

/// `score-sde datasets`: the built-in densities, with their dimension and whether their exact
/// log-density is known.
struct DatasetsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "datasets", abstract: "List the built-in densities that --data accepts.")

  func run() throws {
    let width = DatasetRegistry.names.map(\.count).max() ?? 10
    print("NAME".padding(toLength: width, withPad: " ", startingAt: 0) + "  DIM  EXACT  DESCRIPTION")
    for entry in DatasetRegistry.entries {
      let name = entry.name.padding(toLength: width, withPad: " ", startingAt: 0)
      let dim = String(entry.distribution.dimension).padding(toLength: 3, withPad: " ", startingAt: 0)
      let exact = (entry.hasKnownDensity ? "yes" : "no").padding(toLength: 5, withPad: " ", startingAt: 0)
      print("\(name)  \(dim)  \(exact)  \(entry.summary)")
    }
  }
}
