/// A named data set of the registry: what `score-sde datasets` lists and `--data NAME` selects.
public struct DatasetEntry: Sendable {
  /// The lower-case name used on the command line, such as `"checkerboard"`.
  public let name: String
  /// A one-line description.
  public let summary: String
  /// Whether the distribution's normalised log-density is known (it conforms to
  /// ``KnownDensity``), so that learned likelihoods can be compared with the truth.
  public var hasKnownDensity: Bool { distribution is any KnownDensity }
  /// The distribution that draws the samples.
  public let distribution: any DataDistribution

  /// An entry named `name`.
  ///
  /// - Parameters:
  ///   - name: the lower-case command-line name.
  ///   - summary: a one-line description.
  ///   - distribution: the distribution.
  public init(name: String, summary: String, distribution: any DataDistribution) {
    self.name = name
    self.summary = summary
    self.distribution = distribution
  }
}

/// The built-in data sets by name.
///
/// ```swift
/// for entry in DatasetRegistry.entries { print(entry.name, entry.summary) }
/// let data = try DatasetRegistry.distribution(named: "8gaussians")
/// let x = data.sample(count: 512, as: Float.self, using: &rng)
/// ```
public enum DatasetRegistry {
  /// Every built-in data set, in listing order.
  public static let entries: [DatasetEntry] = [
    DatasetEntry(
      name: "checkerboard", summary: "2-D: uniform on the 8 black squares of [-4, 4)^2 (exact density)",
      distribution: Checkerboard()),
    DatasetEntry(
      name: "8gaussians", summary: "2-D: 8 Gaussians (sd 0.35) on a circle of radius 2.83 (exact density)",
      distribution: GaussianMixture.eightGaussians),
    DatasetEntry(
      name: "swissroll", summary: "2-D: Swiss roll spiral, noise sd 0.2", distribution: SwissRoll()),
    DatasetEntry(
      name: "moons", summary: "2-D: two interleaving half circles, noise sd 0.2", distribution: Moons()),
    DatasetEntry(
      name: "circles", summary: "2-D: circles of radius 3 and 1.5, noise sd 0.24 (exact density)",
      distribution: NoisyRings.circles),
    DatasetEntry(
      name: "rings", summary: "2-D: 4 rings of radius 0.75 to 3, noise sd 0.08 (exact density)",
      distribution: NoisyRings.rings),
    DatasetEntry(
      name: "pinwheel", summary: "2-D: 5-arm pinwheel", distribution: Pinwheel()),
    DatasetEntry(
      name: "2spirals", summary: "2-D: two interleaved spirals", distribution: TwoSpirals()),
    DatasetEntry(
      name: "doublewell",
      summary: "2-D: Boltzmann density of U = 3(x1^2-1)^2 + x2^2/2 at T = 1 (exact density)",
      distribution: DoubleWell()),
    DatasetEntry(
      name: "tetrahedron",
      summary: "3-D: 4 Gaussians (sd 0.5) at the vertices of a tetrahedron (exact density)",
      distribution: GaussianMixture.tetrahedron),
    DatasetEntry(
      name: "ring-radius",
      summary: "2-D + radius r in [1, 3]: noisy ring of radius r (conditional; exact density)",
      distribution: RingFamily().joint),
    DatasetEntry(
      name: "doublewell-temperature",
      summary: "2-D + temperature T in [0.5, 2]: double well at T (conditional; exact density)",
      distribution: DoubleWellFamily().joint),
    DatasetEntry(
      name: "blob-ring",
      summary: "2-D + 4 parameters (radius, thickness, ellipticity, orientation): ring of 6 Gaussian blobs "
        + "(conditional; exact density)",
      distribution: BlobRingFamily().joint),
  ]

  /// The names of every built-in data set, in listing order.
  public static var names: [String] { entries.map(\.name) }

  /// The entry called `name` (compared case-insensitively).
  ///
  /// - Parameter name: a data set name, such as `"moons"`.
  /// - Returns: the entry.
  /// - Throws: ``DataError/unknownDataset(name:known:)`` listing the known names.
  public static func entry(named name: String) throws(DataError) -> DatasetEntry {
    let key = name.lowercased()
    guard let entry = entries.first(where: { $0.name == key }) else {
      throw DataError.unknownDataset(name: name, known: names)
    }
    return entry
  }

  /// The distribution called `name` (compared case-insensitively).
  ///
  /// - Parameter name: a data set name.
  /// - Returns: its distribution.
  /// - Throws: ``DataError/unknownDataset(name:known:)`` listing the known names.
  public static func distribution(named name: String) throws(DataError) -> any DataDistribution {
    try entry(named: name).distribution
  }
}
