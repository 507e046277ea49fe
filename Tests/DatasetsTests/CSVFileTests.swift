import Datasets
import Foundation
import LinearAlgebra
import TestSupport
import Testing

@Suite struct CSVFileTests {
  @Test func headerIsDetectedAndBlankLinesSkipped() throws {
    let table = try CSVFile.read(from: try fixture("with_header.csv"), as: Double.self)
    #expect(table.columnNames == ["x", "y position", "z"])
    #expect(table.values == Matrix<Double>([[1, 2, 3], [4.5, -0.5, 6], [7, 8, 9]]))
  }

  @Test func filesWithoutHeaderAndWithCRLFLoad() throws {
    let table = try CSVFile.read(from: try fixture("no_header.csv"), as: Float.self)
    #expect(table.columnNames == nil)
    #expect(table.values == Matrix<Float>([[1, 2], [3, 4]]))
  }

  @Test func aBadCellIsReportedByLineAndColumn() throws {
    let url = try fixture("bad_cell.csv")
    let error = try #require(throws: FileFormatError.self) { try CSVFile.read(from: url, as: Double.self) }
    #expect(error.kind == .notANumber && error.line == 5 && error.column == 3)
    #expect(error.description.hasSuffix("bad_cell.csv line 5, column 3: 'abc' is not a number"))
  }

  func parseError(_ text: String, header: CSVFile.HeaderOption = .detect) throws -> FileFormatError {
    try #require(throws: FileFormatError.self) {
      let _: CSVTable<Double> = try CSVFile.parse(Array(text.utf8), file: "t.csv", header: header)
    }
  }

  @Test func malformedRowsAreReported() throws {
    let ragged = try parseError("1,2\n3,4\n5\n")
    #expect(ragged.kind == .raggedRow && ragged.line == 3)
    #expect(ragged.description == "t.csv line 3: has 1 fields, the first line has 2")
    let empty = try parseError("1,2\n3,\n")
    #expect(empty.kind == .notANumber && empty.line == 2 && empty.column == 2)
    let unclosed = try parseError("\"a,b\n1,2\n")
    #expect(unclosed.kind == .malformedRow && unclosed.line == 1)
    // A first line with one number is data, so its other cell is an error, not a header.
    let partial = try parseError("1,x\n2,3\n")
    #expect(partial.line == 1 && partial.column == 2 && partial.detail == "'x' is not a number")
    // Forcing "no header" turns a header into an error; forcing a header skips a numeric line.
    #expect(try parseError("a,b\n1,2\n", header: .absent).line == 1)
    let forced: CSVTable<Double> = try CSVFile.parse(
      Array("1,2\n3,4\n".utf8), file: "t.csv", header: .present)
    #expect(forced.columnNames == ["1", "2"] && forced.values == Matrix([[3.0, 4.0]]))
  }

  @Test func quotedFieldsAndSpecialValuesParse() throws {
    let text = " \"a \"\"q\"\"\" , b\n\"1.5\", -inf \n nan,1e300\n"
    let table: CSVTable<Double> = try CSVFile.parse(Array(text.utf8), file: "t.csv")
    #expect(table.columnNames == ["a \"q\"", "b"])
    #expect(table.values[0, 0] == 1.5 && table.values[0, 1] == -.infinity)
    #expect(table.values[1, 0].isNaN && table.values[1, 1] == 1e300)
    let none: CSVTable<Float> = try CSVFile.parse([], file: "t.csv")
    #expect(none.values.count == 0 && none.columnNames == nil)
  }

  func roundTrip<S: BLASScalar>(_: S.Type) throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("x.csv")
    let m = awkwardMatrix(S.self, rows: 200, columns: 3, seed: 7)
    let names = ["x", "y, quoted", "say \"z\""]
    try CSVFile.write(m, columnNames: names, to: url)
    let back = try CSVFile.read(from: url, as: S.self)
    #expect(back.columnNames == names)
    // Bit-exact, except that every NaN reads back as the canonical NaN.
    #expect(back.values.shape == m.shape)
    for (a, b) in zip(back.values.elements, m.elements) {
      #expect(
        a.isNaN
          ? b.isNaN
          : bitPatterns(Matrix(rows: 1, columns: 1, elements: [a]))
            == bitPatterns(Matrix(rows: 1, columns: 1, elements: [b])))
    }
    try CSVFile.write(m, to: url)
    let plain = try CSVFile.read(from: url, as: S.self)
    #expect(plain.columnNames == nil && plain.values.rows == 200)
  }

  @Test func roundTripsAreBitExactFloat() throws { try roundTrip(Float.self) }
  @Test func roundTripsAreBitExactDouble() throws { try roundTrip(Double.self) }

  @Test(.enabled(if: numpyIsAvailable, "python3 with numpy is not installed"))
  func numpyReadsOurCSV() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    var rng = Xoshiro256(seed: 8)
    let m = Matrix<Double>.randomNormal(rows: 50, columns: 3, using: &rng)
    let csv = directory.appendingPathComponent("x.csv")
    let npy = directory.appendingPathComponent("x.npy")
    try CSVFile.write(m, columnNames: ["a", "b", "c"], to: csv)
    try runPython(
      "import sys, numpy as np; np.save(sys.argv[2], np.loadtxt(sys.argv[1], delimiter=',', skiprows=1))",
      arguments: [csv.path, npy.path])
    #expect(try NumPyFile.read(from: npy, as: Double.self) == m)
  }
}
