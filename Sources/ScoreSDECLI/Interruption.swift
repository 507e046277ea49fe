import Dispatch
import Foundation
import LinearAlgebra

/// What `SIGINT` (Ctrl-C), `SIGTERM` and `SIGHUP` do: remove the temporary files of every output
/// not yet committed, say so, and exit with the shell's status for the signal (`128 + n`), so an
/// interrupted command changes no file and leaves nothing behind.
///
/// `SIGKILL` cannot be caught: a partial file it leaves (`.<name>.score-sde-partial-<pid>-…`)
/// is removed by the next command that writes into the same folder. `SIGXFSZ` (a write past
/// `ulimit -f`) is ignored by ``OutputFile``, so the write fails with a message instead.
enum Interruption {
  /// The signal sources, kept alive for the life of the process.
  nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

  /// Routes the three signals to a handler on a background queue (not a raw signal handler:
  /// removing files takes a lock and allocates).
  static func install() {
    for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
      signal(signalNumber, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      source.setEventHandler {
        OutputFile.discardAllPending()
        FileHandle.standardError.write(Data("\ninterrupted: no output file was changed\n".utf8))
        exit(128 + signalNumber)
      }
      source.resume()
      sources.append(source)
    }
  }
}
