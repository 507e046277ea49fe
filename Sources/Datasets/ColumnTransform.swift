import RealModule

/// A strictly increasing map of one data column, applied before the standardisation so that the
/// model sees a column closer to Gaussian (a positive, heavy-tailed or bounded column).
///
/// | transform | `y = T(x)` | domain | `log T′(x)` | `T⁻¹(y)` |
/// |---|---|---|---|---|
/// | ``identity`` | `x` | ℝ | 0 | `y` |
/// | ``log(offset:)`` | `log(x + c)` | `x > −c` | `−log(x + c)` | `eʸ − c` |
/// | ``logit(lower:upper:)`` | `log((x − a)/(b − x))` | `a < x < b` | `log(b − a) − log(x − a) − log(b − x)` | `a + (b − a)/(1 + e⁻ʸ)` |
/// | ``quantile(_:)`` | ``QuantileMap/value(_:)`` | ℝ | ``QuantileMap/logDerivative(_:)`` | ``QuantileMap/inverse(_:)`` |
/// | ``kernelQuantile(_:)`` | ``KernelQuantileMap/value(_:)`` | ℝ | ``KernelQuantileMap/logDerivative(_:)`` | ``KernelQuantileMap/inverse(_:)`` |
///
/// A density of the transformed column gives one of the original by the change of variables
/// `log p_x(x) = log p_y(T(x)) + log T′(x)`: ``ColumnTransforms/logAbsJacobians(of:)`` sums the
/// last term over the columns of each row.
public enum ColumnTransform: Sendable, Codable, Hashable {
  /// `y = x`.
  case identity
  /// `y = log(x + offset)`, for `x > −offset` (offset 0: positive columns; 1: counts, `log1p`).
  case log(offset: Double)
  /// `y = log((x − lower)/(upper − x))`, for `lower < x < upper`.
  case logit(lower: Double, upper: Double)
  /// A fitted Gaussianising map (empirical CDF through Φ⁻¹, linear tails).
  case quantile(QuantileMap)
  /// A fitted smooth Gaussianising map (kernel-smoothed CDF through Φ⁻¹).
  case kernelQuantile(KernelQuantileMap)

  /// `T(x)`; `NaN` or `−∞` outside the domain (check ``contains(_:)`` first).
  public func value(_ x: Double) -> Double {
    switch self {
    case .identity: return x
    case .log(let c): return Double.log(x + c)
    case .logit(let a, let b): return Double.log(x - a) - Double.log(b - x)
    case .quantile(let map): return map.value(x)
    case .kernelQuantile(let map): return map.value(x)
    }
  }

  /// `T⁻¹(y)`, in the domain for every finite `y` (to rounding: `eʸ − c` may round to `−c`).
  public func inverse(_ y: Double) -> Double {
    switch self {
    case .identity: return y
    case .log(let c): return Double.exp(y) - c
    case .logit(let a, let b):
      // (b − a)·σ(y), written so that neither tail overflows.
      let fraction = y >= 0 ? 1 / (1 + Double.exp(-y)) : Double.exp(y) / (1 + Double.exp(y))
      return Swift.min(Swift.max(a + (b - a) * fraction, a), b)
    case .quantile(let map): return map.inverse(y)
    case .kernelQuantile(let map): return map.inverse(y)
    }
  }

  /// `log T′(x)` (`T′ > 0`: every transform increases).
  public func logDerivative(_ x: Double) -> Double {
    switch self {
    case .identity: return 0
    case .log(let c): return -Double.log(x + c)
    case .logit(let a, let b): return Double.log(b - a) - Double.log(x - a) - Double.log(b - x)
    case .quantile(let map): return map.logDerivative(x)
    case .kernelQuantile(let map): return map.logDerivative(x)
    }
  }

  /// Whether `x` is in the domain.
  public func contains(_ x: Double) -> Bool {
    switch self {
    case .identity, .quantile, .kernelQuantile: return x.isFinite
    case .log(let c): return x + c > 0 && x.isFinite
    case .logit(let a, let b): return x > a && x < b
    }
  }

  /// The domain in words, for error messages: `"x > 0"`, `"0 < x < 1"`, `"every real x"`.
  public var domainDescription: String {
    switch self {
    case .identity, .quantile, .kernelQuantile: return "every real x"
    case .log(let c): return "x > \(Self.text(-c))"
    case .logit(let a, let b): return "\(Self.text(a)) < x < \(Self.text(b))"
    }
  }

  /// The transform as the command line writes it: `log`, `log=1`, `logit=0,255`, `quantile`,
  /// `kernel`.
  public var name: String {
    switch self {
    case .identity: return "identity"
    case .log(let c): return c == 0 ? "log" : "log=\(Self.text(c))"
    case .logit(let a, let b): return a == 0 && b == 1 ? "logit" : "logit=\(Self.text(a)),\(Self.text(b))"
    case .quantile(let map): return "quantile (\(map.knots.count) knots)"
    case .kernelQuantile(let map): return "kernel (\(map.centers.count) centres)"
    }
  }

  /// Why the transform's parameters make no sense, or `nil`.
  public var validationFailure: String? {
    switch self {
    case .identity: return nil
    case .log(let c): return c.isFinite ? nil : "log offset \(c) is not finite"
    case .logit(let a, let b):
      return a.isFinite && b.isFinite && a < b
        ? nil : "logit bounds \(a), \(b) are not finite with lower < upper"
    case .quantile(let map): return map.validationFailure
    case .kernelQuantile(let map): return map.validationFailure
    }
  }

  /// `1` rather than `1.0` for whole numbers.
  static func text(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
  }
}
