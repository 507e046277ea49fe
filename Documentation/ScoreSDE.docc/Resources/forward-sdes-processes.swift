/// The four forward processes of the package, in one dimension each.
let forwardProcesses: [(name: String, sde: any GaussianSDE<Double>)] = [
  ("Ornstein–Uhlenbeck", OrnsteinUhlenbeckSDE(theta: 1, mean: 0.5, sigma: 1)),
  ("VP", VPSDE(betaMin: 0.1, betaMax: 20)),
  ("sub-VP", SubVPSDE(betaMin: 0.1, betaMax: 20)),
  ("VE", VESDE(sigmaMin: 0.01, sigmaMax: 50)),
]
