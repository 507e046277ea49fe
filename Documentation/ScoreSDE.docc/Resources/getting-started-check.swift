// The best a Gaussian can do: each coordinate of the board is uniform on [-4, 4), sd 8/√12.
var baseline = Matrix<Float>(rows: 2000, columns: 2)
baseline.fillNormal(using: &rng)
baseline = baseline.map { $0 * 8 / Float(12).squareRoot() }
let distance = slicedWassersteinDistance(samples, data, using: &rng)
let gaussianDistance = slicedWassersteinDistance(baseline, data, using: &rng)
print("sliced Wasserstein distance to the data: \(distance), a Gaussian's: \(gaussianDistance)")
