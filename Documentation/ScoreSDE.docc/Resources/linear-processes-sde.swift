let drift = Matrix<Double>([[-1, 2, 0], [-0.5, -0.3, 0.4], [0.2, 0, -2.5]])
let noise = Matrix<Double>([[1, 0, 0], [0.3, 0.5, 0], [-0.2, 0.1, 0.8]])
let sde = try LinearSDE(drift: drift, noise: noise)  // VP schedule, β from 0.1 to 20
let kernel = sde.marginalKernel(at: 0.5, dimension: 3)  // Φ = e^{B F}, m, Σ (Van Loan)
print("Φ(0.5) =", kernel.transition.elements, "Σ(0.5) =", kernel.covariance.elements)
