import Foundation

/// Copies a figure a tutorial made into the folder named by the environment variable
/// `TUTORIAL_FIGURES`, when it is set; the catalog's figures were made so:
///
///     TUTORIAL_FIGURES=$PWD/Documentation/ScoreSDE.docc/Resources swift test --filter TutorialTests
func keepFigure(_ url: URL, as name: String) throws {
  guard let folder = ProcessInfo.processInfo.environment["TUTORIAL_FIGURES"] else { return }
  let data = try Data(contentsOf: url)
  try data.write(to: URL(fileURLWithPath: folder).appendingPathComponent(name), options: .atomic)
}
