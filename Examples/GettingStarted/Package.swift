// swift-tools-version: 6.1
// A package that uses ScoreSDE as a dependency, as the Getting-started tutorial tells a reader
// to; CI builds and runs it (`swift run --package-path Examples/GettingStarted`).
// snippet: getting-started-package.swift
import PackageDescription

// SwiftPM names a path dependency after its folder: "ScoreSDE" when you clone it as ScoreSDE.
// This example finds the name of the folder two levels up, whatever the clone is called.
let scoreSDE = String(Context.packageDirectory.split(separator: "/").dropLast(2).last ?? "ScoreSDE")

let package = Package(
  name: "GettingStarted",
  dependencies: [
    // ScoreSDE side by side on disk; or from GitHub:
    // .package(url: "https://github.com/scoresde/ScoreSDE", branch: "main"),
    .package(path: "../..")
  ],
  targets: [
    .executableTarget(
      name: "GettingStarted",
      dependencies: [.product(name: "ScoreSDE", package: scoreSDE)]
    )
  ]
)
// end-snippet
