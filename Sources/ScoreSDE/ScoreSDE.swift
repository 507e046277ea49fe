// The umbrella module: `import ScoreSDE` brings in every public module of the package.
@_exported import Datasets
@_exported import DiffusionProcesses
@_exported import LinearAlgebra
@_exported import Samplers
@_exported import ScoreMatching
@_exported import ScoreNetworks
@_exported import Thermodynamics
