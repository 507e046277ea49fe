#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A regular file mapped read-only into memory, so that a file larger than memory can be read
/// piece by piece: the operating system loads the pages that are touched and can drop them
/// again, and ``releaseResidentPages(_:)`` drops them from this process's resident set at once.
///
/// The file is checked as ``InputFile`` checks it (a folder, a FIFO, a device, a missing file,
/// a symbolic link loop, an unsearchable folder are a ``FileAccessError`` that says so). The
/// mapping is shared and read-only (`mmap(PROT_READ, MAP_SHARED)`, as NumPy's `mmap_mode="r"`):
/// nothing is ever written to the file.
///
/// The file must not shrink while it is mapped: reading a page that no longer exists stops the
/// process (`SIGBUS`), as with every memory map.
///
/// ```swift
/// let file = try MappedFile(path: "big.npy")
/// let magic = Array(file.bytes.prefix(6))
/// file.advise(.random)                    // rows will be read in random order
/// file.releaseResidentPages()             // drop what was read from the resident set
/// ```
public final class MappedFile: @unchecked Sendable {
  /// How the mapped bytes will be read, a hint for the operating system's read-ahead.
  public enum AccessPattern: Sendable {
    /// From start to end: read ahead aggressively.
    case sequential
    /// In no particular order: read only the pages that are touched.
    case random
  }

  /// The path as given.
  public let path: String
  /// The file's size in bytes when it was mapped.
  public let size: Int
  /// The file's bytes, valid as long as this object lives (empty for an empty file).
  public let bytes: UnsafeRawBufferPointer

  /// Maps the regular file at `path` read-only.
  ///
  /// - Parameter path: the file.
  /// - Throws: ``FileAccessError`` naming `path` and what is wrong.
  public init(path: String) throws(FileAccessError) {
    self.path = path
    let fd: Int32
    (fd, size) = try openRegularFile(path: path)
    defer { close(fd) }  // the mapping outlives the descriptor
    guard size > 0 else {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    let mapped = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
    // MAP_FAILED is (void *)-1.
    guard let address = mapped, address != UnsafeMutableRawPointer(bitPattern: -1) else {
      throw FileAccessError.from(errno: errno, path: path)
    }
    bytes = UnsafeRawBufferPointer(start: address, count: size)
  }

  deinit {
    if let start = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: start), size) }
  }

  /// Tells the operating system how the bytes will be read (`madvise`); a hint only.
  ///
  /// - Parameter pattern: sequential or random.
  public func advise(_ pattern: AccessPattern) {
    guard let start = bytes.baseAddress else { return }
    _ = madvise(
      UnsafeMutableRawPointer(mutating: start), size,
      pattern == .sequential ? MADV_SEQUENTIAL : MADV_RANDOM)
  }

  /// Drops the pages of `range` (byte offsets; all of the file by default) from this process's
  /// resident set (`madvise(MADV_DONTNEED)`). The bytes stay readable: a later read maps the
  /// page again, from the page cache or the disk.
  ///
  /// Only whole pages inside `range` are dropped.
  ///
  /// - Parameter range: byte offsets into the file.
  public func releaseResidentPages(_ range: Range<Int>? = nil) {
    guard let start = bytes.baseAddress else { return }
    let range = range ?? 0..<size
    let page = Self.pageSize
    // Whole pages only: round the start up and the end down, to multiples of the page size.
    let first = (range.lowerBound + page - 1) / page * page
    let end = range.upperBound == size ? size : range.upperBound / page * page
    guard first < end else { return }
    _ = madvise(UnsafeMutableRawPointer(mutating: start + first), end - first, MADV_DONTNEED)
  }

  /// The operating system's page size in bytes.
  public static let pageSize: Int = {
    let value = sysconf(Int32(_SC_PAGESIZE))
    return value > 0 ? value : 4096
  }()
}
