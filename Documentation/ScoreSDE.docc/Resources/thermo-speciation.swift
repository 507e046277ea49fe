let measured = try Speciation.measuredTime(process: sde, score: mixture, saddle: [0, 0])!
let exact = Speciation.symmetricMixtureTime(process: sde, halfSeparation: [2, 0], componentVariance: 0.25)!
let estimate = try Speciation.estimatedTime(process: sde, data: data)  // Biroli et al. 2024
print("speciation: measured \(measured), closed form \(exact), covariance estimate \(estimate)")
