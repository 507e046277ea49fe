import Foundation

/// A minimal SVG document: a canvas that plots append elements to, rendered as text.
///
/// Plots are plain SVG 1.1 — open them in any browser, no external tool needed.
public struct SVGDocument: Sendable {
  /// The canvas width in pixels.
  public let width: Double
  /// The canvas height in pixels.
  public let height: Double
  /// The elements in drawing order.
  public private(set) var elements: [String] = []

  /// An empty canvas with a white background.
  public init(width: Double, height: Double) {
    self.width = width
    self.height = height
    elements.append(
      #"<rect x="0" y="0" width="\#(format(width))" height="\#(format(height))" fill="white"/>"#)
  }

  /// Appends one raw SVG element (already escaped).
  public mutating func append(_ element: String) {
    elements.append(element)
  }

  /// Appends a text label; `anchor` is `start`, `middle` or `end`.
  public mutating func text(
    _ string: String, x: Double, y: Double, size: Double = 12, anchor: String = "middle", rotate: Double = 0,
    weight: String = "normal"
  ) {
    let transform = rotate == 0 ? "" : #" transform="rotate(\#(format(rotate)) \#(format(x)) \#(format(y)))""#
    elements.append(
      #"<text x="\#(format(x))" y="\#(format(y))" font-family="Helvetica, Arial, sans-serif" "#
        + #"font-size="\#(format(size))" font-weight="\#(weight)" text-anchor="\#(anchor)"\#(transform)>"#
        + "\(escapeXML(string))</text>")
  }

  /// The complete document.
  public var rendered: String {
    let header =
      #"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\#(format(width))" "#
      + #"height="\#(format(height))" viewBox="0 0 \#(format(width)) \#(format(height))">"#
    return ([#"<?xml version="1.0" encoding="UTF-8"?>"#, header] + elements + ["</svg>"]).joined(
      separator: "\n")
      + "\n"
  }

  /// Writes the document to `url` atomically (a temporary file renamed into place), checked
  /// first like every output.
  ///
  /// - Throws: ``FileFormatError`` of kind `unwritable`, saying why.
  public func write(to url: URL) throws(FileFormatError) {
    try FileFormatError.write(Array(rendered.utf8), to: url)
  }
}

/// A number with at most two decimals and no exponent, as SVG attributes want.
func format(_ value: Double) -> String {
  guard value.isFinite else { return "0" }
  let rounded = (value * 100).rounded() / 100
  if rounded == rounded.rounded() { return String(Int(rounded)) }
  return String(format: "%.2f", rounded)
}

/// `&`, `<`, `>`, `"` and `'` replaced by XML entities.
func escapeXML(_ string: String) -> String {
  var out = ""
  for c in string {
    switch c {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&apos;"
    default: out.append(c)
    }
  }
  return out
}
