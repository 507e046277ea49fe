import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file being written: the bytes go to a temporary file beside the destination, which
/// ``commit()`` renames into place, so the destination holds the old contents or the new ones,
/// never a mixture or a fragment.
///
/// ```swift
/// let file = try OutputFile(path: "samples.npy")   // every check happens here, before any work
/// try file.write(header)
/// for chunk in chunks { try file.write(chunk) }     // streamed: memory stays bounded
/// try file.commit()                                 // now, and only now, samples.npy changes
/// ```
///
/// What it guarantees:
/// - **Checked first.** ``init(path:)`` refuses a destination that is a folder, a FIFO or a
///   device, a read-only file (one this user may not write, or that has no write bit at all), a
///   missing or unwritable folder, or a symbolic link loop, before anything is written.
/// - **Symbolic links are written through**: the link stays, its target is replaced.
/// - **The mode is kept**: a replaced file keeps its permission bits (a `0600` file stays
///   `0600`); a new file gets `0666` less the umask.
/// - **A full disk or a file-size limit** (`ulimit -f`) is a ``FileAccessError`` saying so, and
///   the temporary file is removed. The first `OutputFile` sets `SIGXFSZ` to be ignored, so that
///   exceeding the limit fails the write instead of killing the process.
/// - **Several outputs commit together**: ``commit(_:)`` puts every file in place or none.
/// - **Temporaries are recognisable**: they are named
///   `.<name>.score-sde-partial-<pid>-<random>@<host>`.
///   ``discardAllPending()`` removes those of this process (call it on `SIGINT`/`SIGTERM`);
///   a process killed with `SIGKILL` cannot clean up, and the next `OutputFile` created in the
///   same folder removes the partial files of processes that no longer run.
public final class OutputFile {
  /// The path as given.
  public let path: String
  /// The file that is replaced: `path` with its symbolic links followed.
  public let destination: String
  /// The temporary file the bytes go to until ``commit()``.
  public let temporaryPath: String
  /// The number of bytes written so far.
  public private(set) var byteCount = 0

  private var descriptor: Int32
  private var buffer: [UInt8] = []
  private var state = State.writing
  private static let bufferCapacity = 1 << 20

  private enum State: Equatable { case writing, sealed, committed, discarded }

  /// The marker in the names of temporary files.
  public static let partialMarker = ".score-sde-partial-"
  /// The marker in the names of the backups ``commit(_:)`` keeps while it replaces files.
  static let backupMarker = ".score-sde-backup-"

  /// Checks `path` as a destination and opens a temporary file beside it.
  ///
  /// - Throws: ``FileAccessError`` naming `path` and what is wrong.
  public init(path: String) throws(FileAccessError) {
    _ = ignoreFileSizeSignal
    self.path = path
    let (destination, mode) = try Self.check(path: path)
    self.destination = destination
    let folder = parentFolder(of: destination)
    Self.sweepAbandonedFiles(inFolder: folder)
    var name = baseName(of: destination)
    if name.utf8.count > 160 { name = String(decoding: name.utf8.prefix(160), as: UTF8.self) }
    var random = SystemRandomNumberGenerator()
    let suffix = String(random.next() as UInt32, radix: 16)
    let temporary = "\(folder)/.\(name)\(Self.partialMarker)\(getpid())-\(suffix)@\(hostName)"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else {
      let code = errno
      // The check passed, so a refusal here is the folder's (a read-only mount, /sys, an ACL).
      let problem: FileAccessError.Problem =
        code == EACCES || code == EPERM || code == EROFS
        ? .folderNotWritable(folder: folder) : FileAccessError.from(errno: code, path: temporary).problem
      throw FileAccessError(path: path, problem: problem)
    }
    if let mode { _ = fchmod(fd, mode) }
    self.descriptor = fd
    self.temporaryPath = temporary
    pendingFiles.withLock { _ = $0.insert(temporary) }
    buffer.reserveCapacity(Self.bufferCapacity)
  }

  deinit {
    if state == .writing || state == .sealed { discard() }
  }

  /// The destination of `path` (its symbolic links followed) and, when it exists, its
  /// permission bits; throws when it cannot be replaced.
  ///
  /// - Throws: ``FileAccessError`` naming `path` and what is wrong.
  @discardableResult
  public static func check(path: String) throws(FileAccessError) -> (destination: String, mode: mode_t?) {
    let destination = try followingSymbolicLinks(path)
    func failure(_ code: Int32, _ at: String) -> FileAccessError {
      FileAccessError(path: path, problem: FileAccessError.from(errno: code, path: at).problem)
    }
    var info = stat()
    var mode: mode_t?
    if lstat(destination, &info) == 0 {
      switch info.st_mode & S_IFMT {
      case S_IFREG: break
      case S_IFDIR: throw FileAccessError(path: path, problem: .isDirectory)
      default:
        throw FileAccessError(path: path, problem: .notRegularFile(kind: fileKindName(mode: info.st_mode)))
      }
      guard access(destination, W_OK) == 0, info.st_mode & 0o222 != 0 else {
        throw FileAccessError(path: path, problem: .readOnly)
      }
      mode = info.st_mode & 0o7777
    } else if errno != ENOENT {
      throw failure(errno, destination)
    }
    let folder = parentFolder(of: destination)
    var folderInfo = stat()
    guard stat(folder, &folderInfo) == 0 else {
      let code = errno
      throw code == ENOENT
        ? FileAccessError(path: path, problem: .folderMissing(folder: folder)) : failure(code, destination)
    }
    guard folderInfo.st_mode & S_IFMT == S_IFDIR else {
      throw FileAccessError(path: path, problem: .notAFolder(folder: folder))
    }
    guard access(folder, W_OK | X_OK) == 0 else {
      throw FileAccessError(path: path, problem: .folderNotWritable(folder: folder))
    }
    return (destination, mode)
  }

  /// Appends `bytes`.
  ///
  /// - Throws: ``FileAccessError`` (a full disk, the file-size limit); the temporary file is
  ///   then removed and this file is discarded.
  public func write(_ bytes: UnsafeRawBufferPointer) throws(FileAccessError) {
    precondition(state == .writing, "OutputFile.write after commit or discard of \(path)")
    if buffer.count + bytes.count > Self.bufferCapacity { try flush() }
    if bytes.count >= Self.bufferCapacity {
      try writeThrough(bytes)
    } else {
      buffer.append(contentsOf: bytes)
    }
    byteCount += bytes.count
  }

  /// Appends `bytes`.
  public func write(_ bytes: [UInt8]) throws(FileAccessError) {
    let failure = bytes.withUnsafeBytes { raw in Result { () throws(FileAccessError) in try write(raw) } }
    try failure.get()
  }

  /// Appends the UTF-8 bytes of `text`.
  public func write(_ text: String) throws(FileAccessError) {
    var text = text
    let failure = text.withUTF8 { utf8 in
      Result { () throws(FileAccessError) in try write(UnsafeRawBufferPointer(utf8)) }
    }
    try failure.get()
  }

  /// Puts the file in place: flushes, syncs it to disk and renames it over the destination.
  ///
  /// - Throws: ``FileAccessError``; the destination is then unchanged and the temporary file
  ///   removed.
  public func commit() throws(FileAccessError) {
    try Self.commit([self])
  }

  /// Removes the temporary file; the destination is unchanged. Safe to call more than once.
  public func discard() {
    if state == .writing { close(descriptor) }
    if state == .writing || state == .sealed {
      unlink(temporaryPath)
      pendingFiles.withLock { _ = $0.remove(temporaryPath) }
    }
    if state != .committed { state = .discarded }
  }

  /// Puts every file in place, or none: each is written out and synced first; existing
  /// destinations are kept as hard-linked backups until every rename has succeeded, and put
  /// back if one fails.
  ///
  /// The one window this cannot cover is a `SIGKILL` or a power cut between the first and the
  /// last rename (microseconds): some destinations are then new and the others old.
  ///
  /// - Throws: the first ``FileAccessError``; every destination then holds what it held before
  ///   (except on a file system without hard links, where a replaced file stays replaced).
  public static func commit(_ files: [OutputFile]) throws(FileAccessError) {
    do {
      for file in files { try file.seal() }
    } catch {
      for file in files { file.discard() }
      throw error
    }
    var backups: [String?] = []
    var existed: [Bool] = []
    for file in files {
      var info = stat()
      let exists = lstat(file.destination, &info) == 0
      existed.append(exists)
      guard exists else {
        backups.append(nil)
        continue
      }
      let backup = file.temporaryPath.replacingLast(partialMarker, with: backupMarker)
      if link(file.destination, backup) == 0 {
        pendingFiles.withLock { _ = $0.insert(backup) }
        backups.append(backup)
      } else {
        backups.append(nil)
      }
    }
    func removeBackups() {
      for case let backup? in backups {
        unlink(backup)
        pendingFiles.withLock { _ = $0.remove(backup) }
      }
    }
    for (k, file) in files.enumerated() {
      guard rename(file.temporaryPath, file.destination) == 0 else {
        let code = errno
        for j in 0..<k {
          if let backup = backups[j] {
            rename(backup, files[j].destination)
          } else if !existed[j] {
            unlink(files[j].destination)
          }
        }
        for j in k..<files.count { files[j].discard() }
        removeBackups()
        throw FileAccessError(
          path: file.path, problem: FileAccessError.from(errno: code, path: file.destination).problem)
      }
      file.state = .committed
      pendingFiles.withLock { _ = $0.remove(file.temporaryPath) }
    }
    removeBackups()
    for folder in Set(files.map { parentFolder(of: $0.destination) }) {
      let fd = open(folder, O_RDONLY | O_CLOEXEC)
      if fd >= 0 {
        _ = fsync(fd)
        close(fd)
      }
    }
  }

  /// Writes `bytes` to `path` and commits it.
  ///
  /// - Throws: ``FileAccessError``; the destination is then unchanged.
  public static func write(_ bytes: [UInt8], to path: String) throws(FileAccessError) {
    let file = try OutputFile(path: path)
    try file.write(bytes)
    try file.commit()
  }

  /// Removes the temporary files (and backups) of every ``OutputFile`` of this process that is
  /// not committed, leaving every destination as it was. For an interrupt handler: call it from
  /// a signal *source* (such as `DispatchSource.makeSignalSource`), not from a raw signal
  /// handler, since it takes a lock.
  public static func discardAllPending() {
    let paths = pendingFiles.withLock { paths -> Set<String> in
      defer { paths.removeAll() }
      return paths
    }
    for path in paths { unlink(path) }
  }

  /// Removes the partial files and backups in `folder` whose process no longer runs (left by a
  /// `SIGKILL` or a power cut), and returns their names. Only files made on this machine are
  /// considered (the name ends in `@<host name>`): on a folder shared between machines, another
  /// machine's process id says nothing about whether its writer still runs.
  @discardableResult
  public static func sweepAbandonedFiles(inFolder folder: String) -> [String] {
    guard let directory = opendir(folder) else { return [] }
    defer { closedir(directory) }
    var removed: [String] = []
    while let entry = readdir(directory) {
      // Read the name in place, up to its NUL: readdir's entries are packed with their own
      // lengths (d_reclen), so copying the whole 256-byte d_name field can read past the end of
      // the directory buffer (a crash seen when the last entry sat at the end of a page).
      let name = String(
        cString: (UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!)
          .assumingMemoryBound(to: CChar.self))
      guard name.hasPrefix("."),
        let marker = [partialMarker, backupMarker].first(where: { name.contains($0) }),
        let range = name.ranges(of: marker).last,
        let pid = Int32(name[range.upperBound...].prefix { $0 != "-" }),
        name.hasSuffix("@\(hostName)"), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
      else { continue }
      if unlink("\(folder)/\(name)") == 0 { removed.append(name) }
    }
    return removed
  }

  /// Flushes the buffer, syncs and closes the temporary file.
  private func seal() throws(FileAccessError) {
    precondition(state == .writing, "OutputFile.commit after commit or discard of \(path)")
    try flush()
    guard fsync(descriptor) == 0 || errno == EINVAL else { try fail(errno) }
    guard close(descriptor) == 0 || errno == EINTR else {
      let code = errno
      state = .sealed
      discard()
      throw error(code)
    }
    state = .sealed
  }

  /// Writes the buffered bytes to the temporary file, so that it can be read back (at
  /// ``temporaryPath``) before the commit, to check it.
  ///
  /// - Throws: ``FileAccessError``; this file is then discarded.
  public func flush() throws(FileAccessError) {
    let failure = buffer.withUnsafeBytes { raw in
      Result { () throws(FileAccessError) in try writeThrough(raw) }
    }
    buffer.removeAll(keepingCapacity: true)
    try failure.get()
  }

  private func writeThrough(_ bytes: UnsafeRawBufferPointer) throws(FileAccessError) {
    var done = 0
    while done < bytes.count {
      let n = posixWrite(descriptor, bytes.baseAddress! + done, bytes.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        try fail(errno)
      }
      done += n
    }
  }

  private func error(_ code: Int32) -> FileAccessError {
    FileAccessError(path: path, problem: FileAccessError.from(errno: code, path: destination).problem)
  }

  private func fail(_ code: Int32) throws(FileAccessError) -> Never {
    discard()
    throw error(code)
  }

  /// `path` with every symbolic link followed to the file it names (which need not exist).
  private static func followingSymbolicLinks(_ path: String) throws(FileAccessError) -> String {
    var current = path
    for _ in 0..<40 {
      var info = stat()
      guard lstat(current, &info) == 0 else {
        let code = errno
        if code == ENOENT { return current }
        throw FileAccessError(path: path, problem: FileAccessError.from(errno: code, path: current).problem)
      }
      guard info.st_mode & S_IFMT == S_IFLNK else { return current }
      var target = [UInt8](repeating: 0, count: 4097)
      let n = target.withUnsafeMutableBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { readlink(current, $0.baseAddress!, 4096) }
      }
      guard n >= 0 else {
        throw FileAccessError(path: path, problem: FileAccessError.from(errno: errno, path: current).problem)
      }
      let link = String(decoding: target[..<n], as: UTF8.self)
      current = link.hasPrefix("/") ? link : "\(parentFolder(of: current))/\(link)"
    }
    throw FileAccessError(path: path, problem: .symbolicLinkLoop)
  }
}

/// The temporary files and backups of this process not yet committed or discarded.
private let pendingFiles = Mutex<Set<String>>([])

/// This machine's host name, as temporary files record it.
private let hostName: String = {
  var buffer = [CChar](repeating: 0, count: 256)
  guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
  let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  // A name to put in a file name: no slashes, nothing empty.
  return name.isEmpty ? "localhost" : name.replacing("/", with: "_")
}()

/// Ignores `SIGXFSZ` once, so a write past `ulimit -f` fails with `EFBIG` instead of killing
/// the process.
private let ignoreFileSizeSignal: Void = {
  signal(SIGXFSZ, SIG_IGN)
  return ()
}()

/// The last component of `path`.
func baseName(of path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return path }
  return String(path[path.index(after: slash)...])
}

extension String {
  /// The string with the last occurrence of `target` replaced.
  fileprivate func replacingLast(_ target: String, with replacement: String) -> String {
    guard let range = ranges(of: target).last else { return self }
    return String(self[..<range.lowerBound]) + replacement + String(self[range.upperBound...])
  }
}
