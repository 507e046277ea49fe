// swift-tools-version: 6.1
// ScoreSDE: score-based generative modeling with stochastic differential equations.
import PackageDescription

let numerics = Target.Dependency.product(name: "RealModule", package: "swift-numerics")

let package = Package(
  name: "ScoreSDE",
  products: [
    .library(name: "ScoreSDE", targets: ["ScoreSDE"]),
    .executable(name: "score-sde", targets: ["ScoreSDECLI"]),
    .executable(name: "score-sde-bench", targets: ["score-sde-bench"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    // OpenBLAS (cblas) and LAPACKE, found through pkg-config. Only LinearAlgebra imports it.
    .systemLibrary(
      name: "CLinearAlgebra",
      pkgConfig: "openblas lapacke",
      providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
    ),
    .target(name: "LinearAlgebra", dependencies: ["CLinearAlgebra", numerics]),
    .target(name: "DiffusionProcesses", dependencies: ["LinearAlgebra", numerics]),
    // The score network's hot element-wise loops, in C so that AVX2 and AVX-512 versions are
    // built beside the baseline one and picked at load time. Only ScoreNetworks imports it.
    .target(name: "CKernels"),
    .target(name: "ScoreNetworks", dependencies: ["LinearAlgebra", "CKernels", numerics]),
    .target(name: "Datasets", dependencies: ["LinearAlgebra", numerics]),
    .target(name: "Samplers", dependencies: ["LinearAlgebra", "DiffusionProcesses", numerics]),
    .target(
      name: "ScoreMatching",
      dependencies: ["LinearAlgebra", "DiffusionProcesses", "ScoreNetworks", "Datasets", numerics]),
    // Diffusion models as nonequilibrium physics: entropy production, fluctuation theorems,
    // path-space divergences, speciation and free energies. Sees processes, score models and
    // samplers only, never networks.
    .target(
      name: "Thermodynamics", dependencies: ["LinearAlgebra", "DiffusionProcesses", "Samplers", numerics]),
    .target(
      name: "ScoreSDE",
      dependencies: [
        "LinearAlgebra", "DiffusionProcesses", "ScoreNetworks", "Datasets", "Samplers", "ScoreMatching",
        "Thermodynamics",
      ]
    ),

    // The command-line tool: the only module that reads argv.
    .executableTarget(
      name: "ScoreSDECLI",
      dependencies: ["ScoreSDE", .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    .executableTarget(
      name: "score-sde-bench",
      dependencies: [
        "LinearAlgebra", "DiffusionProcesses", "ScoreNetworks", "Datasets", "Samplers", "ScoreMatching",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Benchmarks/score-sde-bench"
    ),

    // Shared checkers for the test targets (approximate equality, statistics).
    .target(name: "TestSupport", dependencies: ["LinearAlgebra", numerics], path: "Tests/TestSupport"),
    .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "TestSupport"]),
    .testTarget(
      name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "DiffusionProcessesTests", dependencies: ["DiffusionProcesses", "TestSupport"]),
    .testTarget(name: "ScoreNetworksTests", dependencies: ["ScoreNetworks", "TestSupport"]),
    .testTarget(name: "ScoreMatchingTests", dependencies: ["ScoreMatching", "TestSupport"]),
    .testTarget(name: "SamplersTests", dependencies: ["Samplers", "Datasets", "TestSupport"]),
    .testTarget(
      name: "ThermodynamicsTests", dependencies: ["Thermodynamics", "Samplers", "Datasets", "TestSupport"]),
    .testTarget(name: "ScoreSDECLITests", dependencies: ["ScoreSDECLI", "ScoreSDE"]),
    // The tutorials' code: Documentation/sync-snippets.py copies its marked regions into the catalog.
    .testTarget(name: "TutorialTests", dependencies: ["ScoreSDE"]),
    .testTarget(name: "ReliabilityTests", dependencies: ["ScoreSDE", "TestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
