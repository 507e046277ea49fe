import DiffusionProcesses
import LinearAlgebra
import Samplers
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `s(x) = −x`, computed in place: a score that allocates nothing itself.
struct InPlaceScore: ScoreModel {
  func score(_ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>) {
    out.assign(x)
    out.apply { -$0 }
  }
}

/// Once their workspaces have seen the batch, the steps of every explicit Runge–Kutta method
/// (Euler, Heun, RK4, a fixed Dormand–Prince step), DPM-Solver++, both rules of the unified
/// reverse step, Euler–Maruyama, SRA1, predictor–corrector with Langevin and the EDM family (Heun
/// with churn, Euler-ancestral, DDIM with noise, DPM-Solver++(3M) SDE) allocate nothing (run in a
/// child process; see AllocationCounter). The adaptive loop is left out: under the counting
/// hook its child process crashes in the runtime's instrumented retain (SIGSEGV), before any
/// count can be read.
@Test func solverStepsAllocateNothingAfterWarmUp() async {
  await #expect(processExitsWith: .exitCode(0)) {
    let sde = VPSDE<Double>()
    let model = InPlaceScore()
    let flow = ProbabilityFlowODE(process: sde, score: model)
    var rng = Xoshiro256(seed: 3)
    let x0 = Matrix<Double>.randomNormal(rows: 8, columns: 2, using: &rng)
    var x = x0
    var noise = RowStreams(seed: 1, count: 8)

    let euler = Euler(flow)
    let heun = Heun(flow)
    let rk4 = RungeKutta4(flow)
    let dopri = DormandPrince5(flow)
    let dpm = DPMSolver(process: sde, score: model, order: 3)
    let ancestral = AncestralSampler(process: sde, score: model)
    let em = EulerMaruyama(process: sde, score: model)
    let sra = RosslerSRA1(process: sde, score: model)
    let pc = PredictorCorrector(
      predictor: ReverseDiffusionPredictor(process: sde, score: model),
      corrector: LangevinCorrector(process: sde, score: model))
    var we = euler.makeWorkspace(rows: 8, columns: 2)
    var wh = heun.makeWorkspace(rows: 8, columns: 2)
    var wr = rk4.makeWorkspace(rows: 8, columns: 2)
    var wd = dopri.makeWorkspace(rows: 8, columns: 2)
    var wp = dpm.makeWorkspace(rows: 8, columns: 2)
    var wa = ancestral.makeWorkspace(rows: 8, columns: 2)
    var wm = em.makeWorkspace(rows: 8, columns: 2)
    var ws = sra.makeWorkspace(rows: 8, columns: 2)
    var wc = pc.makeWorkspace(rows: 8, columns: 2)
    let edm = EDMHeun(process: sde, score: model, churn: ChurnOptions(churn: 10), steps: 10)
    let eulerA = EulerAncestral(process: sde, score: model)
    let ddim = DDIM(process: sde, score: model, eta: 0.5)
    let dpmSDE = DPMSolverSDE(process: sde, score: model, order: 3)
    var wedm = edm.makeWorkspace(rows: 8, columns: 2)
    var wea = eulerA.makeWorkspace(rows: 8, columns: 2)
    var wdd = ddim.makeWorkspace(rows: 8, columns: 2)
    var wds = dpmSDE.makeWorkspace(rows: 8, columns: 2)
    func steps() {
      x.assign(x0)
      euler.step(&x, from: 0.5, to: 0.45, workspace: &we)
      heun.step(&x, from: 0.5, to: 0.45, workspace: &wh)
      rk4.step(&x, from: 0.5, to: 0.45, workspace: &wr)
      dopri.step(&x, from: 0.5, to: 0.45, workspace: &wd)
      dpm.step(&x, from: 0.5, to: 0.45, workspace: &wp)
      dpm.step(&x, from: 0.45, to: 0.4, workspace: &wp)
      dpm.step(&x, from: 0.4, to: 0.35, workspace: &wp)
      ancestral.step(&x, from: 0.5, to: 0.45, noise: &noise, workspace: &wa)
      em.step(&x, from: 0.5, to: 0.45, noise: &noise, workspace: &wm)
      sra.step(&x, from: 0.5, to: 0.45, noise: &noise, workspace: &ws)
      pc.step(&x, from: 0.5, to: 0.45, noise: &noise, workspace: &wc)
      edm.step(&x, from: 0.5, to: 0.45, noise: &noise, workspace: &wedm)
      eulerA.step(&x, from: 0.5, to: 0.45, noise: &noise, workspace: &wea)
      ddim.step(&x, from: 0.5, to: 0.45, noise: &noise, workspace: &wdd)
      dpmSDE.step(&x, from: 0.5, to: 0.45, noise: &noise, workspace: &wds)
      dpmSDE.step(&x, from: 0.45, to: 0.4, noise: &noise, workspace: &wds)
      dpmSDE.step(&x, from: 0.4, to: 0.35, noise: &noise, workspace: &wds)
    }
    steps()
    let n = AllocationCounter.count {
      for _ in 0..<3 { steps() }
    }
    _exit(Int32(min(n, 100)))
  }
}
