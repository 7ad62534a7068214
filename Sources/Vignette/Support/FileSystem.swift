import Foundation

/// File operations the pipeline uses: atomic writes, safe containment checks, walks.
public enum FileSystem {
  /// Writes `data` to `path` through a temporary file in the same folder and a rename, so a
  /// reader (or an interrupted build) sees the old file or the new one, never half of one.
  /// Returns false when the file already had exactly these bytes and was left alone.
  @discardableResult
  public static func writeAtomically(_ data: Data, to path: String) throws -> Bool {
    if let existing = FileManager.default.contents(atPath: path), existing == data { return false }
    try replaceAtomically(path) { handle in
      try handle.write(contentsOf: data)
      return true
    }
    return true
  }

  /// Writes what `produce` hands to `write`, in order, as the file at `path`, atomically (a
  /// temporary file beside it, renamed over it): for a file too large to build in memory
  /// first. Unlike `writeAtomically(_:to:)` it always writes, without reading the file there.
  public static func writeAtomically(
    to path: String, _ produce: (_ write: ([UInt8]) throws -> Void) throws -> Void
  ) throws {
    try replaceAtomically(path) { handle in
      var buffer: [UInt8] = []
      buffer.reserveCapacity(1 << 16)
      try produce { bytes in
        buffer += bytes
        if buffer.count >= 1 << 16 {
          try handle.write(contentsOf: buffer)
          buffer.removeAll(keepingCapacity: true)
        }
      }
      try handle.write(contentsOf: buffer)
      return true
    }
  }

  /// Makes the file at `path` through `fill`, which writes a temporary file beside it (through
  /// its handle) and says whether to put that in place by a rename (false: the file there is
  /// left as it is). The temporary file never outlives the call, also when `fill` throws.
  static func replaceAtomically(_ path: String, _ fill: (FileHandle) throws -> Bool) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp").path
    guard FileManager.default.createFile(atPath: temporary, contents: nil),
      let handle = FileHandle(forWritingAtPath: temporary)
    else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    do {
      let keep = try fill(handle)
      try handle.close()
      if !keep {
        try? FileManager.default.removeItem(atPath: temporary)
      } else if rename(temporary, path) != 0 {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
      }
    } catch {
      try? handle.close()
      try? FileManager.default.removeItem(atPath: temporary)
      throw error
    }
  }

  @discardableResult
  public static func writeAtomically(_ string: String, to path: String) throws -> Bool {
    try writeAtomically(Data(string.utf8), to: path)
  }

  /// `path` with symlinks resolved and `.`/`..` removed.
  public static func canonical(_ path: String) -> String {
    URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
  }

  /// Whether `path` lies inside `folder` (both canonical).
  public static func isInside(_ path: String, _ folder: String) -> Bool {
    path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
  }

  /// `path` relative to `base` when inside it, else `path` unchanged.
  public static func relative(_ path: String, to base: String) -> String {
    let prefix = base.hasSuffix("/") ? base : base + "/"
    return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
  }

  public static func isDirectory(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
  }

  public static func isFile(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
  }

  /// Every regular file under `folder` (recursively), as paths relative to it, sorted.
  public static func files(under folder: String) -> [String] {
    var result: [String] = []
    walk(folder) { relative, _ in result.append(relative) }
    return result.sorted()
  }

  /// `folder` and every folder under it (absolute paths; symlinked folders are not entered).
  public static func folders(under folder: String) -> [String] {
    var result: [String] = []
    walk(folder, entered: { result.append($0.isEmpty ? folder : folder + "/" + $0) }, { _, _ in })
    return result
  }

  /// Calls `visit` with each regular file under `folder` (a symlink counts when it points at
  /// a regular file; symlinked folders are not entered, as `FileManager`'s enumerator does)
  /// and a function giving its stamp. Written on `opendir`/`readdir` with the entry types
  /// they report, rather than `FileManager.enumerator`, which builds URL objects and needs a
  /// `stat` per entry. The stamp is read only when `visit` asks for it. `entered` is called
  /// with each folder it reads (`""` for `folder` itself).
  static func walk(
    _ folder: String, entered: (String) -> Void = { _ in }, _ visit: (String, () -> FileStamp?) -> Void
  ) {
    // Each folder is read when it is met, its parent still open: what is held is the path
    // down to it, not every folder met and not yet read (a site has a folder per page).
    func read(_ relative: String) {
      guard let directory = opendir(relative.isEmpty ? folder : folder + "/" + relative) else { return }
      defer { closedir(directory) }
      entered(relative)
      let descriptor = dirfd(directory)
      while let entry = readdir(directory) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
          $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
        }
        if name == "." || name == ".." { continue }
        let path = relative.isEmpty ? name : relative + "/" + name
        var type = Int32(entry.pointee.d_type)
        var info = stat()
        var known = false
        if type == Int32(DT_UNKNOWN) || type == Int32(DT_LNK) {
          // Follow a symlink to what it names; an unknown type (some file systems) is looked up.
          guard fstatat(descriptor, name, &info, type == Int32(DT_LNK) ? 0 : AT_SYMLINK_NOFOLLOW) == 0 else {
            continue
          }
          known = true
          switch info.st_mode & S_IFMT {
          case S_IFREG: type = Int32(DT_REG)
          case S_IFDIR where type == Int32(DT_UNKNOWN): type = Int32(DT_DIR)
          default: continue
          }
        }
        if type == Int32(DT_DIR) {
          read(path)
        } else if type == Int32(DT_REG) {
          visit(path) {
            if !known { guard fstatat(descriptor, name, &info, 0) == 0 else { return nil } }
            return FileStamp(info)
          }
        }
      }
    }
    read("")
  }

  /// Size and modification time in nanoseconds, for cheap change detection.
  public static func stamp(_ path: String) -> FileStamp? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return FileStamp(info)
  }

  /// Removes `path` and then every empty parent folder up to (not including) `stop`.
  /// `rmdir` removes a folder only when it is empty: listing the folder to find out cost a
  /// build that removed tens of thousands of stale variants from one folder time quadratic in
  /// their number (`perf`: 71% of it in `getdents64`).
  public static func remove(_ path: String, pruningUpTo stop: String) {
    try? FileManager.default.removeItem(atPath: path)
    var folder = (path as NSString).deletingLastPathComponent
    while folder.count > stop.count, isInside(folder, stop), rmdir(folder) == 0 {
      folder = (folder as NSString).deletingLastPathComponent
    }
  }
}

/// Size and modification time of a file.
public struct FileStamp: Codable, Sendable, Hashable {
  public var size: Int64
  public var modified: Int64

  public init(size: Int64, modified: Int64) {
    self.size = size
    self.modified = modified
  }

  /// The size and mtime (in nanoseconds) `stat` gave.
  init(_ info: stat) {
    self.init(
      size: Int64(info.st_size), modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
  }
}

extension FileSystem {
  /// Reads from the file open at `descriptor`, from `offset`, into `buffer` as far as the file
  /// goes (`pread` until it is full or the file ends); how many bytes it read.
  static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
    var done = 0
    while done < buffer.count {
      let count = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
      if count <= 0 { break }
      done += count
    }
    return done
  }

  /// Whether `left` sorts before `right` in path order: by their UTF-8 bytes, the order of
  /// `SortedWalk`.
  static func precedes(_ left: String, _ right: String) -> Bool {
    left.utf8.lexicographicallyPrecedes(right.utf8)
  }

  /// The regular files under a folder in path order (`precedes`), as `walk` finds them (a
  /// symlink counts when it points at a regular file; symlinked folders are not entered), one
  /// at a time. Each folder is read whole when it is met and its entries sorted, a folder
  /// below them as its name with a `/`: what is held is the names of the folders down to the
  /// file, in one buffer each, not a path per file.
  final class SortedWalk {
    private typealias Entry = (start: Int32, end: Int32, folder: Bool)
    private let root: String
    private var frames: [Frame] = []
    private var started = false

    private struct Frame {
      let relative: String
      let descriptor: Int32
      /// The names, one after another.
      var names: [UInt8] = []
      /// Each entry: where its name starts and ends in `names`, and whether it is a folder.
      var entries: [Entry] = []
      var next = 0
    }

    init(_ root: String) { self.root = root }

    deinit { for frame in frames { close(frame.descriptor) } }

    /// The next file's path relative to the folder; nil after the last.
    func next() -> String? {
      if !started {
        started = true
        enter("")
      }
      while !frames.isEmpty {
        let top = frames.count - 1
        guard frames[top].next < frames[top].entries.count else {
          close(frames.removeLast().descriptor)
          continue
        }
        let entry = frames[top].entries[frames[top].next]
        frames[top].next += 1
        let name = String(decoding: frames[top].names[Int(entry.start)..<Int(entry.end)], as: UTF8.self)
        let path = frames[top].relative.isEmpty ? name : frames[top].relative + "/" + name
        if entry.folder {
          enter(path)
        } else {
          return path
        }
      }
      return nil
    }

    /// Size and mtime of the file `next` gave last (through its symlink).
    func stamp() -> FileStamp? {
      guard let frame = frames.last, frame.next > 0 else { return nil }
      let entry = frame.entries[frame.next - 1]
      return Self.status(of: frame.names[Int(entry.start)..<Int(entry.end)], in: frame.descriptor, following: true)
        .map(FileStamp.init)
    }

    /// `fstatat` of the entry named `name` of the folder open at `descriptor`.
    private static func status(of name: ArraySlice<UInt8>, in descriptor: Int32, following: Bool) -> stat? {
      var info = stat()
      var path = Array(name)
      path.append(0)
      let found = path.withUnsafeBufferPointer {
        $0.withMemoryRebound(to: CChar.self) {
          fstatat(descriptor, $0.baseAddress!, &info, following ? 0 : AT_SYMLINK_NOFOLLOW) == 0
        }
      }
      return found ? info : nil
    }

    private func enter(_ relative: String) {
      let descriptor = open(relative.isEmpty ? root : root + "/" + relative, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
      guard descriptor >= 0 else { return }
      // `fdopendir` takes the descriptor over: a second one stays open for `fstatat`.
      let listing = dup(descriptor)
      guard listing >= 0, let directory = fdopendir(listing) else {
        if listing >= 0 { close(listing) }
        close(descriptor)
        return
      }
      defer { closedir(directory) }
      var frame = Frame(relative: relative, descriptor: descriptor)
      while let entry = readdir(directory) {
        var type = Int32(entry.pointee.d_type)
        let start = frame.names.count
        withUnsafePointer(to: entry.pointee.d_name) {
          $0.withMemoryRebound(to: UInt8.self, capacity: Int(NAME_MAX) + 1) { name in
            var index = 0
            while name[index] != 0 {
              frame.names.append(name[index])
              index += 1
            }
          }
        }
        let name = frame.names[start...]
        if name.elementsEqual([UInt8(ascii: ".")]) || name.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
          frame.names.removeLast(name.count)
          continue
        }
        if type == Int32(DT_UNKNOWN) || type == Int32(DT_LNK) {
          // Follow a symlink to what it names; an unknown type (some file systems) is looked up.
          let info = Self.status(of: name, in: descriptor, following: type == Int32(DT_LNK))
          switch info.map({ $0.st_mode & S_IFMT }) {
          case S_IFREG: type = Int32(DT_REG)
          case S_IFDIR where type == Int32(DT_UNKNOWN): type = Int32(DT_DIR)
          default: type = -1
          }
        }
        guard type == Int32(DT_REG) || type == Int32(DT_DIR) else {
          frame.names.removeLast(frame.names.count - start)
          continue
        }
        frame.entries.append((Int32(start), Int32(frame.names.count), type == Int32(DT_DIR)))
      }
      // A folder sorts as its name with a `/` after it, so that the files come in the order
      // of their whole paths.
      frame.entries.sort { [names = frame.names] left, right in Self.precedes(names, left, right) }
      frames.append(frame)
    }

    private static func precedes(_ names: [UInt8], _ left: Entry, _ right: Entry) -> Bool {
      names.withUnsafeBufferPointer { names in
        // The byte at `index` of an entry's key: its name, then `/` for a folder, then none.
        func unit(_ entry: Entry, _ index: Int) -> Int {
          let at = Int(entry.start) + index
          if at < Int(entry.end) { return Int(names[at]) }
          return at == Int(entry.end) && entry.folder ? Int(UInt8(ascii: "/")) : -1
        }
        var index = 0
        while true {
          let (l, r) = (unit(left, index), unit(right, index))
          if l != r { return l < r }
          if l < 0 { return false }
          index += 1
        }
      }
    }
  }
}
