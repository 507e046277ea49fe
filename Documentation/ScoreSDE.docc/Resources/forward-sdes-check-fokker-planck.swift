for (name, sde) in forwardProcesses {
  var worst = 0.0
  var scale = 0.0
  for t in [0.3, 0.7] {
    let (a, sigma) = sde.marginal(at: t)
    let mean = a * 1.5 + sde.marginalShift(at: t)
    for k in -12...12 {
      let x = mean + Double(k) / 4 * sigma
      let (residual, dpdt) = fokkerPlanckResidual(sde, x: x, t: t, from: 1.5)
      worst = max(worst, abs(residual))
      scale = max(scale, dpdt)
    }
  }
  print("\(name): largest Fokker–Planck residual \(worst), largest |∂p/∂t| \(scale)")
}
