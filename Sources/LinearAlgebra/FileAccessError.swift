#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why a file could not be opened, read, written or put in place, in words a user can act on,
/// naming the path: `"runs/m.safetensors: is a directory"`, `"s.npy: the disk is full"`.
///
/// The readers and writers of every file format in ScoreSDE (NumPy, CSV, safetensors, SVG) go
/// through ``InputFile`` and ``OutputFile``, which throw this; the format's own error type wraps
/// it, so that no operating-system error code or Foundation dump ever reaches a user.
public struct FileAccessError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong with the path.
  public enum Problem: Sendable, Equatable {
    /// Nothing exists at the path (its folder does).
    case noSuchFile
    /// The path names a folder where a file was expected.
    case isDirectory
    /// The path names a FIFO, a device or a socket (`kind` says which), not a regular file.
    case notRegularFile(kind: String)
    /// Following the path's symbolic links never ends (more than 40 of them, or a cycle).
    case symbolicLinkLoop
    /// The folder that would hold the file does not exist.
    case folderMissing(folder: String)
    /// A component of the path that must be a folder is a file.
    case notAFolder(folder: String)
    /// A folder on the path may not be searched (no execute permission), so the file cannot
    /// be reached.
    case folderNotSearchable(folder: String)
    /// The folder that would hold the file may not be written.
    case folderNotWritable(folder: String)
    /// The file exists but may not be read.
    case notReadable
    /// The file exists and is read-only (no write permission for this user, or no write bit
    /// at all), so it is not replaced.
    case readOnly
    /// The file system has no space left (or the user's quota is spent).
    case diskFull
    /// The process's file-size limit (`ulimit -f`) stops the file from growing.
    case fileSizeLimit
    /// The file is larger than this machine's memory, so it cannot be read whole.
    case tooLarge(bytes: Int, memory: Int)
    /// Any other failure: the operating system's error number and message.
    case system(code: Int32, message: String)
  }

  /// The path as the caller gave it.
  public let path: String
  /// What is wrong.
  public let problem: Problem

  /// An error for `path`.
  public init(path: String, problem: Problem) {
    self.path = path
    self.problem = problem
  }

  /// What is wrong, without the path.
  public var reason: String {
    switch problem {
    case .noSuchFile: return "no such file"
    case .isDirectory: return "is a directory, not a file"
    case .notRegularFile(let kind): return "is \(kind), not a regular file"
    case .symbolicLinkLoop: return "its symbolic links form a loop"
    case .folderMissing(let folder): return "the folder \(folder) does not exist"
    case .notAFolder(let folder): return "\(folder) is a file, not a folder"
    case .folderNotSearchable(let folder): return "the folder \(folder) may not be searched (no x permission)"
    case .folderNotWritable(let folder): return "the folder \(folder) is not writable"
    case .notReadable: return "permission denied: the file may not be read"
    case .readOnly: return "the file is read-only; it was left as it is"
    case .diskFull: return "the disk is full (or the quota is spent); nothing was written"
    case .fileSizeLimit: return "the file-size limit (ulimit -f) stops the write; nothing was written"
    case .tooLarge(let bytes, let memory):
      return "is \(bytes / 1_000_000) MB, more than this machine's \(memory / 1_000_000) MB of memory"
    case .system(_, let message): return message
    }
  }

  /// `"<path>: <reason>"`.
  public var description: String { "\(path): \(reason)" }

  /// The error for `errno` value `code` on `path`, diagnosing which folder is at fault for the
  /// codes that concern the path's folders.
  static func from(errno code: Int32, path: String) -> FileAccessError {
    let problem: Problem
    switch code {
    case ENOENT: problem = missingFolder(of: path).map { .folderMissing(folder: $0) } ?? .noSuchFile
    case EISDIR: problem = .isDirectory
    case ELOOP: problem = .symbolicLinkLoop
    case ENOTDIR: problem = .notAFolder(folder: fileInsteadOfFolder(on: path) ?? parentFolder(of: path))
    case EACCES, EPERM:
      problem = unsearchableFolder(on: path).map { .folderNotSearchable(folder: $0) } ?? .notReadable
    case ENOSPC, EDQUOT: problem = .diskFull
    case EFBIG: problem = .fileSizeLimit
    case EROFS: problem = .folderNotWritable(folder: parentFolder(of: path))
    default: problem = .system(code: code, message: String(cString: strerror(code)))
    }
    return FileAccessError(path: path, problem: problem)
  }
}

/// The folder part of `path` (`"."` for a bare name).
func parentFolder(of path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// The prefixes of `path` that name folders, shortest first: `a/b/c` → `a`, `a/b`.
private func folderPrefixes(of path: String) -> [String] {
  var prefixes: [String] = []
  var index = path.startIndex
  while let slash = path[index...].firstIndex(of: "/") {
    if slash != path.startIndex { prefixes.append(String(path[..<slash])) }
    index = path.index(after: slash)
  }
  return prefixes
}

/// The first folder on `path` that does not exist, or `nil`.
private func missingFolder(of path: String) -> String? {
  folderPrefixes(of: path).first { prefix in
    var info = stat()
    return stat(prefix, &info) != 0 && errno == ENOENT
  }
}

/// The first component of `path` that should be a folder but is something else, or `nil`.
private func fileInsteadOfFolder(on path: String) -> String? {
  folderPrefixes(of: path).first { prefix in
    var info = stat()
    return stat(prefix, &info) == 0 && (info.st_mode & S_IFMT) != S_IFDIR
  }
}

/// The first folder on `path` that exists but may not be searched, or `nil`.
private func unsearchableFolder(on path: String) -> String? {
  (["."] + folderPrefixes(of: path)).first { prefix in
    var info = stat()
    return stat(prefix, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR && access(prefix, X_OK) != 0
  }
}

/// Opens the regular file at `path` read-only and returns its descriptor (the caller closes it)
/// and its size.
///
/// The file is opened without blocking (a FIFO would otherwise wait for a writer), then its type
/// is checked on the open descriptor, so nothing can be swapped in between; on any failure the
/// descriptor is closed before the error is thrown. ``InputFile`` and ``MappedFile`` open here.
///
/// - Throws: ``FileAccessError`` naming `path` and what is wrong.
func openRegularFile(path: String) throws(FileAccessError) -> (descriptor: Int32, size: Int) {
  let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
  guard fd >= 0 else { throw FileAccessError.from(errno: errno, path: path) }
  var info = stat()
  guard fstat(fd, &info) == 0 else {
    let code = errno
    close(fd)
    throw FileAccessError.from(errno: code, path: path)
  }
  switch info.st_mode & S_IFMT {
  case S_IFREG: return (fd, Int(info.st_size))
  case S_IFDIR:
    close(fd)
    throw FileAccessError(path: path, problem: .isDirectory)
  default:
    close(fd)
    throw FileAccessError(path: path, problem: .notRegularFile(kind: fileKindName(mode: info.st_mode)))
  }
}

/// A file type's name for messages: `"a FIFO"`, `"a character device"`.
func fileKindName(mode: mode_t) -> String {
  switch mode & S_IFMT {
  case S_IFDIR: return "a directory"
  case S_IFIFO: return "a FIFO (named pipe)"
  case S_IFCHR: return "a character device"
  case S_IFBLK: return "a block device"
  case S_IFSOCK: return "a socket"
  case S_IFLNK: return "a symbolic link"
  default: return "a special file"
  }
}

#if canImport(Glibc)
  /// `read(2)` and `write(2)`, by names that methods called `read` and `write` do not shadow.
  let posixRead: @Sendable (Int32, UnsafeMutableRawPointer?, Int) -> Int = Glibc.read
  let posixWrite: @Sendable (Int32, UnsafeRawPointer?, Int) -> Int = Glibc.write
#else
  let posixRead: @Sendable (Int32, UnsafeMutableRawPointer?, Int) -> Int = Darwin.read
  let posixWrite: @Sendable (Int32, UnsafeRawPointer?, Int) -> Int = Darwin.write
#endif
