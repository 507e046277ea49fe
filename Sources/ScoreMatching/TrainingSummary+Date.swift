public import Foundation

extension TrainingSummary {
  /// The environment variable that fixes the date a model file records: `SOURCE_DATE_EPOCH`,
  /// the convention of reproducible-builds.org.
  public static let sourceDateEpochVariable = "SOURCE_DATE_EPOCH"

  /// The date that `SOURCE_DATE_EPOCH` sets in `environment`, or `nil` when it is unset or empty.
  ///
  /// The value must be what `date +%s` prints (reproducible-builds.org, "SOURCE_DATE_EPOCH
  /// specification"): a whole number of seconds since 1970-01-01 00:00:00 UTC in ASCII digits,
  /// optionally negative, within the years 1 … 9999. A malformed value is an error, as the
  /// specification asks, rather than silently ignored.
  ///
  /// ```swift
  /// try TrainingSummary.sourceDateEpoch(in: ["SOURCE_DATE_EPOCH": "0"])   // 1970-01-01 00:00 UTC
  /// try TrainingSummary.sourceDateEpoch(in: [:])                          // nil
  /// ```
  ///
  /// - Parameter environment: the variables, the process's own by default (a parameter so that
  ///   tests need not change the process's environment).
  /// - Returns: the date, or `nil`.
  /// - Throws: ``ModelFileError/invalidSourceDateEpoch(value:)`` for a value that is not such a
  ///   number.
  public static func sourceDateEpoch(
    in environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(ModelFileError) -> Date? {
    guard let value = environment[sourceDateEpochVariable], !value.isEmpty else { return nil }
    let digits = value.utf8.first == UInt8(ascii: "-") ? value.utf8.dropFirst() : value.utf8[...]
    guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ (0x30...0x39).contains($0) }),
      let seconds = Int64(value), (-62_135_596_800...253_402_300_799).contains(seconds)
    else {
      throw .invalidSourceDateEpoch(value: value)
    }
    return Date(timeIntervalSince1970: TimeInterval(seconds))
  }

  /// A date as a summary records it: ISO 8601 in UTC to the second, such as
  /// `"1970-01-01T00:00:00Z"`.
  ///
  /// - Parameter date: the date.
  /// - Returns: its text.
  public static func dateString(_ date: Date) -> String {
    ISO8601DateFormatter().string(from: date)
  }
}
