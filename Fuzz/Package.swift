// swift-tools-version: 6.1
// libFuzzer targets for the parsers of outside bytes, kept out of the library's own build.
//
// Build and run with Scripts/fuzz.sh; by hand:
//   swift build --package-path Fuzz -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
//   Fuzz/.build/debug/FuzzNumPy Fuzz/Corpus/FuzzNumPy -max_total_time=60
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name, which differs between checkouts.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let scoreSDE = Target.Dependency.product(name: "ScoreSDE", package: root.lastPathComponent.lowercased())

let package = Package(
  name: "ScoreSDEFuzz",
  dependencies: [.package(path: "..")],
  targets: ["FuzzNumPy", "FuzzCSV", "FuzzSafeTensors", "FuzzModelFile"].map {
    .executableTarget(name: $0, dependencies: [scoreSDE])
  },
  swiftLanguageModes: [.v6]
)
