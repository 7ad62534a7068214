import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Watches folders recursively with Linux inotify and hands out debounced batches of changed
/// paths. Folders created (or moved in) while watching are watched as they appear, and the
/// files already inside them count as changed, so nothing written in the gap is missed.
///
/// One thread calls `next`; any thread may call `stop`. The watches and what they saw are
/// in a `Mutex`, held for bookkeeping only, never while waiting for events.
public final class FileWatcher: Sendable {
  /// The folders watched, recursively.
  public let roots: [String]
  private let inotify: Int32
  private let wake: (read: Int32, write: Int32)
  private let state: Mutex<Watches>

  /// Everything that changes a file's bytes or its presence. `IN_MODIFY` catches a file
  /// truncated and rewritten in place; `IN_CLOSE_WRITE`/`IN_MOVED_TO` catch the usual saves.
  private static let mask = UInt32(
    IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF
      | IN_ONLYDIR)

  /// Starts watching `roots` and every folder below them, except those inside `excluded`,
  /// and the single `files` (such as the config) wherever they are.
  public init(roots: [String], excluding excluded: [String] = [], files: [String] = []) throws {
    let fd = inotify_init1(Int32(IN_CLOEXEC) | Int32(IN_NONBLOCK))
    guard fd >= 0 else { throw Self.systemError("inotify_init1") }
    var pipe: [Int32] = [0, 0]
    guard Glibc.pipe(&pipe) == 0 else {
      close(fd)
      throw Self.systemError("pipe")
    }
    inotify = fd
    wake = (pipe[0], pipe[1])
    self.roots = roots
    var watches = Watches(inotify: fd, roots: roots, excluded: excluded)
    for root in roots { _ = watches.addTree(root) }
    for file in files where !roots.contains(where: { FileSystem.isInside(file, $0) }) {
      let folder = (file as NSString).deletingLastPathComponent
      let wd = inotify_add_watch(fd, folder, UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MODIFY))
      if wd >= 0 { watches.singles[wd, default: (folder, [])].names.insert((file as NSString).lastPathComponent) }
    }
    state = Mutex(watches)
  }

  deinit {
    close(inotify)
    close(wake.read)
    close(wake.write)
  }

  /// Makes `next` return nil (now, if it is waiting). Safe from any thread, and from a
  /// signal handler's dispatch source.
  public func stop() {
    state.withLock { $0.stopped = true }
    var byte: UInt8 = 1
    _ = write(wake.write, &byte, 1)
  }

  public var isStopped: Bool { state.withLock { $0.stopped } }

  /// Waits for changes, then until `quiet` passes with no further event and no changed file
  /// is still open for writing (a large image being copied in), or `limit` since the first
  /// event, and returns the changed paths. Returns nil once stopped.
  public func next(quiet: Duration = .milliseconds(30), limit: Duration = .seconds(2)) -> Set<String>? {
    let clock = ContinuousClock()
    var changes = Set<String>()
    var deadline: ContinuousClock.Instant?
    while !isStopped {
      var timeout: Int32 = -1
      if let deadline {
        let left = min(quiet, deadline - clock.now)
        timeout = Int32(max(0, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
      }
      var fds = [
        pollfd(fd: inotify, events: Int16(POLLIN), revents: 0),
        pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0),
      ]
      let ready = poll(&fds, 2, timeout)
      if ready < 0 {
        if errno == EINTR { continue }
        return nil
      }
      if fds[1].revents != 0 { return nil }
      if ready > 0 { changes.formUnion(state.withLock { $0.drain() }) }
      guard !changes.isEmpty else { continue }
      if deadline == nil { deadline = clock.now + limit }
      let settled = changes
      let done = state.withLock { watches in
        guard let deadline, clock.now >= deadline || (ready == 0 && watches.writing.isDisjoint(with: settled)) else {
          return false
        }
        watches.writing.subtract(settled)
        return true
      }
      if done { return changes }
    }
    return nil
  }

  /// The inotify watches and what they have seen.
  private struct Watches: Sendable {
    let inotify: Int32
    let roots: [String]
    let excluded: [String]
    var folders: [Int32: String] = [:]
    /// Files modified since they were last closed: still being written, most likely.
    var writing = Set<String>()
    /// Single files watched through their folder (not recursively): folder's watch → names.
    var singles: [Int32: (folder: String, names: Set<String>)] = [:]
    var stopped = false

    init(inotify: Int32, roots: [String], excluded: [String]) {
      self.inotify = inotify
      self.roots = roots
      self.excluded = excluded
    }

    /// Reads every pending event and turns it into changed paths.
    mutating func drain() -> Set<String> {
      var changes = Set<String>()
      var buffer = [UInt8](repeating: 0, count: 64 * 1024)
      while true {
        let count = read(inotify, &buffer, buffer.count)
        guard count > 0 else { break }
        var offset = 0
        while offset + 16 <= count {
          let (wd, mask, length) = buffer.withUnsafeBytes { raw in
            (
              raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
              raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
              Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            )
          }
          let nameBytes = buffer[(offset + 16)..<min(count, offset + 16 + length)].prefix { $0 != 0 }
          offset += 16 + length
          handle(wd: wd, mask: mask, name: String(decoding: nameBytes, as: UTF8.self), into: &changes)
        }
      }
      return changes
    }

    private mutating func handle(wd: Int32, mask: UInt32, name: String, into changes: inout Set<String>) {
      if mask & UInt32(IN_Q_OVERFLOW) != 0 {
        // Events were lost: watch whatever folders appeared and report the roots as changed.
        for root in roots { _ = addTree(root) }
        changes.formUnion(roots)
        return
      }
      if let single = singles[wd], folders[wd] == nil {
        if single.names.contains(name) { changes.insert(single.folder + "/" + name) }
        return
      }
      guard let folder = folders[wd] else { return }
      if mask & UInt32(IN_IGNORED) != 0 || mask & UInt32(IN_DELETE_SELF) != 0 {
        folders[wd] = nil
        return
      }
      guard !name.isEmpty else { return }
      let path = folder + "/" + name
      if mask & UInt32(IN_ISDIR) != 0 {
        if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
          changes.formUnion(addTree(path))
          changes.insert(path)
        } else if mask & UInt32(IN_MOVED_FROM | IN_DELETE) != 0 {
          unwatch(below: path)
          changes.insert(path)
        }
        return
      }
      if mask & UInt32(IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO) != 0 {
        writing.remove(path)
      } else if mask & UInt32(IN_MODIFY) != 0 {
        writing.insert(path)
      }
      if !FileWatcher.isScratch(name) { changes.insert(path) }
    }

    /// Watches `folder` and every folder below it; returns the files found inside.
    mutating func addTree(_ folder: String) -> [String] {
      guard !excluded.contains(where: { FileSystem.isInside(folder, $0) }) else { return [] }
      let wd = inotify_add_watch(inotify, folder, FileWatcher.mask)
      guard wd >= 0 else { return [] }
      folders[wd] = folder
      var files: [String] = []
      for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
        let path = folder + "/" + entry
        if FileSystem.isDirectory(path) {
          files += addTree(path)
        } else if !FileWatcher.isScratch(entry) {
          files.append(path)
        }
      }
      return files
    }

    /// Stops watching a folder that moved away or was removed, and everything below it.
    private mutating func unwatch(below folder: String) {
      for (wd, path) in folders where FileSystem.isInside(path, folder) {
        inotify_rm_watch(inotify, wd)
        folders[wd] = nil
      }
    }
  }

  /// Editors' and tools' scratch files, whose changes never matter: swap and backup files,
  /// Emacs lock files, Vim's write probe, and temporary files awaiting a rename.
  static func isScratch(_ name: String) -> Bool {
    name.hasSuffix("~") || name.hasSuffix(".swp") || name.hasSuffix(".swx") || name.hasSuffix(".tmp")
      || name.hasPrefix(".#") || (name.hasPrefix("#") && name.hasSuffix("#")) || name == "4913"
  }

  private static func systemError(_ call: String) -> Error {
    let code = errno
    return NSError(
      domain: NSPOSIXErrorDomain, code: Int(code),
      userInfo: [NSLocalizedDescriptionKey: "\(call) failed: \(String(cString: strerror(code)))"])
  }
}
