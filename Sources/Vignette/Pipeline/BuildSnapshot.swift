// The build snapshot: after a build, the stamp (`stat`) of every file and folder it read and
// wrote, kept in the cache folder with the build's report, so that the next build, when every
// one of them is still as that build left it, knows it has nothing to do before it reads,
// scans, resolves or renders anything, the way make and ninja decide a target is up to date,
// and git's index a file unchanged. A rebuild with nothing changed then costs one `stat` per
// post, source, folder and output: 0.3 s for 10,000 posts and 20,000 pictures, where going
// through every stage (each with its own cache) cost 9 s of CPU.
//
// What makes that safe:
// - A stamp is size, mtime, ctime, inode and device. The ctime cannot be set by anyone and
//   moves on every write, rename, `chmod`, `touch` and link, so an edit that keeps the size
//   and puts the old mtime back (`touch -r`, `cp -p`, a same-second rewrite) is still seen, and
//   so is a file replaced by another (a new inode).
// - Folders are stamped too: a file created, removed or renamed in one changes the folder's
//   mtime, so a new post, a picture that now exists where a post looked for one, or a stray
//   file in a folder Vignette owns is seen without listing anything.
// - "Racily clean" files (git's term): a file last changed less than a clock tick before the
//   build started may change again within the same tick and keep its stamp; such a file makes
//   the build take no snapshot, and the next build goes through every stage (and then takes
//   one). Files the build wrote itself are stamped right after each write, so one the
//   generator or an editor writes again afterwards no longer matches.
// - What depends on something other than files the snapshot names leaves none: a build that
//   looked a video up on the network or could not reach it, or whose remote cache failed, is
//   not taken as final; the settings, the Vignette binary and the options that shape outputs
//   are its context (another context: no snapshot). Diagnostics of a front end that reads
//   files outside those it names (markdown mode's check of a Hugo theme's templates) are made
//   afresh on every build (`FrontEnd.liveDiagnostics`).
// - Any build that may write outputs without taking a snapshot (watch mode, `--gc`) removes
//   the old one first, and a damaged or truncated file is no snapshot.
//
// Written in the binary form of `CacheRecord` (paths relative to the project folder, each
// sharing its prefix with the one before), read whole and checked with one C path buffer, so
// checking costs no `String` a path.
import Foundation

/// What `stat` says of a file or folder for change detection.
public struct FullStamp: Equatable, Sendable {
  var size: Int64
  var modified: Int64
  /// The ctime: when the file's data or metadata last changed, in nanoseconds.
  var changed: Int64
  var inode: UInt64
  var device: UInt64

  init(_ info: stat) {
    size = Int64(info.st_size)
    modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
    inode = UInt64(info.st_ino)
    device = UInt64(info.st_dev)
  }

  init(size: Int64, modified: Int64, changed: Int64, inode: UInt64, device: UInt64) {
    self.size = size
    self.modified = modified
    self.changed = changed
    self.inode = inode
    self.device = device
  }

  /// The stamp of `path` (following links), nil when nothing is there.
  static func of(_ path: UnsafePointer<CChar>) -> FullStamp? {
    var info = stat()
    return stat(path, &info) == 0 ? FullStamp(info) : nil
  }

  static func of(_ path: String) -> FullStamp? { path.withCString { of($0) } }

  /// Whether a change within one clock tick of `started` could have kept this stamp: file
  /// times come from a coarse clock (a few milliseconds on Linux; whole seconds on file
  /// systems that keep no fraction, seen here as a ctime on a whole second).
  func isRacy(started: Int64) -> Bool {
    let tick: Int64 = changed % 1_000_000_000 == 0 ? 2_000_000_000 : 100_000_000
    return changed >= started - tick
  }
}

/// The snapshot file of one front end in one cache folder.
struct BuildSnapshot {
  /// A snapshot as read back: the report of the build that took it, its diagnostics
  /// without the live ones, and the kinds of reference its documents used.
  struct Stored {
    var report: BuildReport
    var kinds: Set<Reference.Kind>
  }

  static let magic = "vignette-snapshot-2"

  let path: String
  let context: String
  /// Paths inside it are stored relative to it.
  let root: String

  /// The wall-clock time now, in nanoseconds, on the clock file times come from.
  static func now() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
  }

  /// The stored build, when the file is a snapshot of this context and every path in it
  /// still has the stamp it had; nil otherwise (and when there is none).
  func replay() -> Stored? {
    guard var reader = CheckedRecordFile.read(path, magic: Self.magic, context: context) else { return nil }
    do {
      let report = try JSONDecoder().decode(BuildReport.self, from: Data(try reader.string().utf8))
      let kinds = Set(try reader.array { try $0.rawValue(Reference.Kind.self) })
      guard try stillStamped(&reader), reader.isAtEnd else { return nil }
      return Stored(report: report, kinds: kinds)
    } catch {
      return nil
    }
  }

  /// Reads the entries, each a path (the bytes it shares with the one before, then the
  /// rest) and its stamp or none, and `stat`s each: true when every one is unchanged.
  private func stillStamped(_ reader: inout CacheRecordReader) throws -> Bool {
    let prefix = Array(root.utf8) + [UInt8(ascii: "/")]
    // The stored path, and the C string `stat` gets: the root, a slash and a relative path,
    // or an absolute one, then a NUL; both reused from entry to entry.
    var path: [UInt8] = []
    var cPath: [UInt8] = []
    path.reserveCapacity(4096)
    cPath.reserveCapacity(4096)
    while try reader.bool() {
      let shared = try reader.int()
      guard shared >= 0, shared <= path.count else { throw CacheRecordReader.Damaged() }
      path.removeSubrange(shared...)
      try reader.rawBytes { path.append(contentsOf: $0) }
      let stored = try reader.optional { try $0.record(FullStamp.self) }
      cPath.removeAll(keepingCapacity: true)
      if path.first != UInt8(ascii: "/") { cPath.append(contentsOf: prefix) }
      cPath.append(contentsOf: path)
      cPath.append(0)
      let current = cPath.withUnsafeBufferPointer {
        $0.withMemoryRebound(to: CChar.self) { FullStamp.of($0.baseAddress!) }
      }
      if current != stored { return false }
    }
    return true
  }

  /// Removes the snapshot (before a build that may write outputs without taking one).
  func discard() { unlink(path) }

  /// Takes the snapshot after a build that started at `started` (`now()`) and left `outputs`
  /// (each written file stamped right after its write), from what `inputs` names; none when a
  /// file read was changed too close to the start, or what was read no longer is what the
  /// build saw.
  func record(_ stored: Stored, started: Int64, inputs: SnapshotInputs, outputs: EmittedOutputs) throws {
    struct NotSettled: Error {}
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let report = String(decoding: try encoder.encode(stored.report), as: UTF8.self)
    // A read that is an output folder keeps the stamp taken with the folders (it was written into).
    let folders = Set(inputs.outputFolders)
    do {
      // Written as each path is stamped, never listed first: one entry per path, each the
      // bytes it shares with the one before, the rest, and its stamp. A path may come twice
      // (a page read and rewritten in place): it is stamped the same both times.
      try CheckedRecordFile.write(path, magic: Self.magic, context: context) { body in
        body.string(report)
        body.array(stored.kinds.map(\.rawValue).sorted()) { $0.string($1) }
        var previous: [UInt8] = []
        var current: [UInt8] = []
        func add(_ file: String, _ stamp: FullStamp?) {
          current.removeAll(keepingCapacity: true)
          current.append(contentsOf: relative(file).utf8)
          let shared = zip(previous, current).prefix { $0 == $1 }.count
          body.bool(true)
          body.int(shared)
          body.rawBytes(current[shared...])
          body.optional(stamp) { $0.record($1) }
          swap(&previous, &current)
        }
        func settled(_ file: String, written: FullStamp? = nil) throws {
          guard let stamp = written.map({ .some($0) }) ?? settledStamp(of: file, started: started, outputs: outputs)
          else { throw NotSettled() }
          add(file, stamp)
        }
        // The folders first, then what was read is asked after (`stillAsRead`, at the end).
        for folder in inputs.outputFolders { add(folder, FullStamp.of(folder)) }
        inputs.eachOutputFolder { add($0, FullStamp.of($0)) }
        for file in outputs.files { try settled(file) }
        for (file, emitted) in outputs.expected { try settled(outputs.folder + "/" + file, written: emitted.written) }
        for (file, emitted) in outputs.documents { try settled(outputs.folder + "/" + file, written: emitted.written) }
        for file in inputs.read where !folders.contains(file) { try settled(file) }
        var failure: (any Error)?
        let prefix = outputs.folder + "/"
        inputs.eachRead { file, document in
          guard failure == nil, !folders.contains(file) else { return }
          // A document rewritten in place keeps the stamp its write gave it.
          let written = document.flatMap { document in
            file.hasPrefix(prefix)
              ? outputs.documents.file(of: document, at: String(file.dropFirst(prefix.count))) : nil
          }?.written
          do { try settled(file, written: written) } catch { failure = error }
        }
        if let failure { throw failure }
        body.bool(false)
        guard inputs.stillAsRead() else { throw NotSettled() }
      }
    } catch is NotSettled {
      // Changed too close to the start, or not what the build read: no snapshot (the
      // temporary file is gone).
      return
    }
  }

  /// The stamp to keep for `file`: the one taken right after this build wrote it, else its
  /// stamp now (`.some(nil)` when it does not exist); nil when it changed so close to the
  /// build's start that a later change could keep that stamp.
  private func settledStamp(of file: String, started: Int64, outputs: EmittedOutputs) -> FullStamp?? {
    if let stamp = outputs.written(file) { return .some(stamp) }
    let stamp = FullStamp.of(file)
    if stamp?.isRacy(started: started) == true { return nil }
    return .some(stamp)
  }

  /// `path` as stored: relative to the root when inside it.
  private func relative(_ path: String) -> String {
    path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
  }
}

/// What a build's emit stage left, for the snapshot: the outputs it produced (relative to the
/// output folder, `folder`), and files elsewhere (absolute: site mode's manifest).
struct EmittedOutputs {
  var folder = ""
  var expected: [String: EmittedFile] = [:]
  /// The documents' own outputs, when the emit stage kept them apart (`DocumentOutputs`).
  var documents = DocumentOutputs()
  var files: [String] = []
  /// The full stamp of each of `files` the build wrote, taken right after the write.
  var writtenOutside: [String: FullStamp] = [:]

  /// The stamp taken right after this build wrote `file` (absolute), when it did.
  func written(_ file: String) -> FullStamp? {
    let prefix = folder + "/"
    if file.hasPrefix(prefix), let emitted = expected[String(file.dropFirst(prefix.count))] { return emitted.written }
    return writtenOutside[file]
  }
}
