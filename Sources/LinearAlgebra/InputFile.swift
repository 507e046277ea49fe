#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A regular file opened for reading, checked first: a folder, a FIFO, a device, a symbolic
/// link loop, an unsearchable folder or a file larger than memory is a ``FileAccessError`` that
/// says so, never a hang on a pipe or an allocation failure.
///
/// ```swift
/// let bytes = try InputFile.bytes(at: "data.npy")
/// let file = try InputFile(path: "model.safetensors")
/// let lengthField = try file.read(upTo: 8)
/// ```
///
/// Every format reader in ScoreSDE reads through this type.
public final class InputFile {
  /// The path as given.
  public let path: String
  /// The file's size in bytes when it was opened.
  public let size: Int
  /// The open descriptor (closed on deinit).
  private let descriptor: Int32

  /// Opens the regular file at `path` for reading.
  ///
  /// The file is opened without blocking (a FIFO would otherwise wait for a writer), then its
  /// type is checked on the open descriptor, so nothing can be swapped in between.
  ///
  /// - Throws: ``FileAccessError`` naming `path` and what is wrong.
  public init(path: String) throws(FileAccessError) {
    self.path = path
    (descriptor, size) = try openRegularFile(path: path)
  }

  deinit { close(descriptor) }

  /// Up to `count` bytes from the current position (fewer at the end of the file).
  ///
  /// - Throws: ``FileAccessError`` when the read fails.
  public func read(upTo count: Int) throws(FileAccessError) -> [UInt8] {
    precondition(count >= 0, "InputFile.read: negative count \(count)")
    var bytes = [UInt8](repeating: 0, count: count)
    var filled = 0
    let failure: Int32? = bytes.withUnsafeMutableBytes { buffer -> Int32? in
      while filled < count {
        let n = posixRead(descriptor, buffer.baseAddress! + filled, count - filled)
        if n < 0 {
          if errno == EINTR || errno == EAGAIN { continue }
          return errno
        }
        if n == 0 { break }
        filled += n
      }
      return nil
    }
    if let failure { throw FileAccessError.from(errno: failure, path: path) }
    bytes.removeLast(count - filled)
    return bytes
  }

  /// The rest of the file, refused when it is larger than the machine's physical memory.
  ///
  /// - Throws: ``FileAccessError/Problem/tooLarge(bytes:memory:)`` or a read failure.
  public func readAll() throws(FileAccessError) -> [UInt8] {
    let memory = physicalMemoryBytes
    guard size <= memory else {
      throw FileAccessError(path: path, problem: .tooLarge(bytes: size, memory: memory))
    }
    var bytes = try read(upTo: size)
    // A file that grew since it was opened: take the rest too.
    while true {
      let more = try read(upTo: 1 << 20)
      if more.isEmpty { break }
      bytes += more
    }
    return bytes
  }

  /// All the bytes of the regular file at `path`.
  ///
  /// - Throws: ``FileAccessError`` naming `path` and what is wrong.
  public static func bytes(at path: String) throws(FileAccessError) -> [UInt8] {
    try InputFile(path: path).readAll()
  }
}

/// This machine's physical memory in bytes.
public var physicalMemoryBytes: Int {
  let pages = sysconf(Int32(_SC_PHYS_PAGES))
  let pageSize = sysconf(Int32(_SC_PAGESIZE))
  guard pages > 0, pageSize > 0 else { return Int.max }
  let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
  return overflow ? Int.max : bytes
}
