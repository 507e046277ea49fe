// swift-tools-version: 6.1
// ScoreSDEMPI: data-parallel training over MPI ranks, as a package of its own so that ScoreSDE
// itself (and everything that depends on it) builds and tests on machines without MPI.
//
//   swift build -c release --package-path MPI
//   mpirun -np 2 MPI/.build/release/score-sde-mpi train --steps 1000 --output model.safetensors
//
// Needs Open MPI's headers and pkg-config file (`apt-get install libopenmpi-dev openmpi-bin`).
import PackageDescription

// SwiftPM names a path dependency after its folder: "ScoreSDE" in a clone called ScoreSDE.
let scoreSDE = String(Context.packageDirectory.split(separator: "/").dropLast(1).last ?? "ScoreSDE")

let package = Package(
  name: "ScoreSDEMPI",
  products: [
    .library(name: "ScoreSDEMPI", targets: ["ScoreSDEMPI"]),
    .executable(name: "score-sde-mpi", targets: ["score-sde-mpi"]),
  ],
  dependencies: [
    .package(path: ".."),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    // Open MPI's mpi.h and libmpi, found through pkg-config (`ompi`). Only ScoreSDEMPI imports it.
    .systemLibrary(name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev"])]),
    .target(name: "ScoreSDEMPI", dependencies: ["CMPI", .product(name: "ScoreSDE", package: scoreSDE)]),
    .executableTarget(
      name: "score-sde-mpi",
      dependencies: [
        "ScoreSDEMPI", .product(name: "ScoreSDE", package: scoreSDE),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
  ],
  swiftLanguageModes: [.v6]
)
