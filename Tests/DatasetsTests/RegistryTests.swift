import Datasets
import LinearAlgebra
import Testing

@Suite struct RegistryTests {
  @Test func theStandardNamesAreRegistered() throws {
    let names = DatasetRegistry.names
    for name in [
      "checkerboard", "8gaussians", "swissroll", "moons", "circles", "rings", "pinwheel", "2spirals",
      "doublewell",
    ] {
      #expect(names.contains(name), "\(name) is missing")
    }
    #expect(Set(names).count == names.count, "names are unique")
    #expect(names.allSatisfy { $0 == $0.lowercased() && !$0.contains(" ") })
    #expect(DatasetRegistry.entries.allSatisfy { !$0.summary.isEmpty && !$0.summary.contains("\n") })
    #expect(try DatasetRegistry.entry(named: "Checkerboard").name == "checkerboard")
    #expect(try DatasetRegistry.entry(named: "checkerboard").hasKnownDensity)
    #expect(try !DatasetRegistry.entry(named: "swissroll").hasKnownDensity)
  }

  @Test func unknownNamesListTheKnownOnes() throws {
    let error = try #require(throws: DataError.self) { try DatasetRegistry.distribution(named: "checkers") }
    #expect(error == .unknownDataset(name: "checkers", known: DatasetRegistry.names))
    #expect(error.description.contains("8gaussians"))
  }

  @Test func everyEntrySamplesFiniteRowsOfItsDimension() throws {
    var rng = Xoshiro256(seed: 51)
    for entry in DatasetRegistry.entries {
      let d = entry.distribution
      let x = d.sample(count: 64, as: Double.self, using: &rng)
      #expect(x.shape == (64, d.dimension), "\(entry.name)")
      #expect(x.isFinite, "\(entry.name)")
      #expect(
        d.conditioningColumns == (entry.name.contains("-") ? (entry.name == "blob-ring" ? 4 : 1) : 0),
        "\(entry.name)")
      if let known = d as? any KnownDensity {
        #expect(
          known.logDensity(x).allSatisfy { $0.isFinite }, "\(entry.name): samples have finite log-density")
      }
    }
    #expect(try DatasetRegistry.distribution(named: "tetrahedron").dimension == 3)
  }
}
