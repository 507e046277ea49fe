// swift-tools-version: 6.1
// A network defined outside ScoreSDE, with only its public API, trained by `Trainer`, sampled
// and evaluated by the exact likelihood: the proof that the network protocol is open. CI builds
// and runs it (`swift run --package-path Examples/CustomNetwork`).
import PackageDescription

// SwiftPM names a path dependency after its folder: find the name of the folder two levels up.
let scoreSDE = String(Context.packageDirectory.split(separator: "/").dropLast(2).last ?? "ScoreSDE")

let package = Package(
  name: "CustomNetwork",
  dependencies: [.package(path: "../..")],
  targets: [
    .executableTarget(
      name: "CustomNetwork",
      dependencies: [.product(name: "ScoreSDE", package: scoreSDE)]
    )
  ]
)
