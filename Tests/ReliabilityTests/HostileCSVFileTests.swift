import Foundation
import ScoreSDE
import Testing

/// Hostile CSV files: every class of damage gives a ``FileFormatError`` naming the line (and
/// column), never a trap.
@Suite struct HostileCSVFileTests {
  func error(_ bytes: [UInt8], header: CSVFile.HeaderOption = .detect) -> FileFormatError? {
    do {
      _ = try CSVFile.parse(bytes, file: "hostile.csv", header: header) as CSVTable<Double>
      return nil
    } catch {
      #expect(error.file == "hostile.csv")
      return error
    }
  }

  /// A file cut inside a row is ragged; cut inside a quoted field, malformed.
  @Test func truncatedFilesNameTheLine() {
    let cut = error(Array("x,y\n1,2\n3,4\n5".utf8))
    #expect(cut?.kind == .raggedRow && cut?.line == 4)
    let quote = error(Array("\"x\",\"y\n1,2\n".utf8))
    #expect(quote?.kind == .malformedRow && quote?.line == 1 && quote?.column == 2)
  }

  /// Binary files (a `.npy`, random bytes) are not CSV: a typed error, not a trap.
  @Test func binaryFilesAreRefused() {
    let npy = NumPyFile.encode(Matrix<Double>([[1, 2], [3, 4]]))
    #expect(error(npy, header: .absent) != nil)
    #expect(error([0x00, 0x2C, 0xFF, 0x0A, 0x31, 0x0A], header: .absent)?.kind == .notANumber)
  }

  /// A line with a different number of fields, however long, is a ragged row, not an allocation
  /// of the claimed shape.
  @Test func absurdShapesAreRaggedRows() {
    let wide = Array(repeating: "1", count: 100_000).joined(separator: ",")
    let e = error(Array("1,2\n\(wide)\n".utf8))
    #expect(e?.kind == .raggedRow && e?.line == 2)
    #expect(e?.detail.contains("100000") == true)
  }

  /// Bytes that are not UTF-8: in a number field a typed `notANumber` error naming the column;
  /// in the header the names keep replacement characters.
  @Test func nonUTF8BytesAreNotNumbers() throws {
    let e = error([0x31, 0x2C, 0xC3, 0x28, 0x0A])
    #expect(e?.kind == .notANumber && e?.line == 1 && e?.column == 2)
    let table: CSVTable<Double> = try CSVFile.parse(
      [0xFF, 0x2C, 0x61, 0x0A, 0x31, 0x2C, 0x32, 0x0A], file: "h.csv")
    #expect(table.columnNames?.count == 2 && table.values == Matrix([[1, 2]]))
  }

  /// `nan` and `inf` parse to non-finite values (as NumPy writes them); the data sources refuse
  /// them with a typed error naming the first one. A finite literal beyond the precision (1e999
  /// as Double, 1e300 as Float) is an out-of-range error naming its cell, not an infinity.
  @Test func nonFiniteValuesAreRefusedByTheDataSource() throws {
    let table: CSVTable<Double> = try CSVFile.parse(Array("1,2\n3,nan\ninf,-inf\n".utf8), file: "n.csv")
    #expect(table.values.nonFiniteReport()?.count == 3)
    expectNonFiniteRefusal(table.values, row: 1, column: 1, count: 3)
    let double = #expect(throws: FileFormatError.self) {
      let _: CSVTable<Double> = try CSVFile.parse(Array("1,2\ninf,1e999\n".utf8), file: "n.csv")
    }
    #expect(double?.description == "n.csv line 2, column 2: 1e999 is out of Double range (|x| ≤ 1.8e308)")
    let float = #expect(throws: FileFormatError.self) {
      let _: CSVTable<Float> = try CSVFile.parse(Array("1,1e300\n".utf8), file: "f.csv")
    }
    #expect(float?.kind == .outOfRange && float?.line == 1 && float?.column == 2)
  }
}
