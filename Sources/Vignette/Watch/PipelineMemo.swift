import Foundation

/// What one build remembers for the next in the same process (watch mode), so a rebuild
/// re-scans and rewrites only the posts a change touched:
/// - each post's scan, kept while the file's size and mtime stay the same and the watcher
///   has not reported it changed;
/// - each post's emitted outputs, kept while the post, the outcome of each of its references
///   (rendered image, video) and the output files themselves are unchanged.
/// Everything else (resolving, planning, the manifest) runs in full each time; it is cheap.
public final class PipelineMemo: @unchecked Sendable {
  private let lock = NSLock()
  private var scans: [String: (stamp: FileStamp, serial: Int, post: ScannedPost)] = [:]
  private var emits: [String: Emitted] = [:]
  private var serial = 0

  struct Emitted {
    var key: EmitKey
    var outputs: [String: FileStamp]
  }

  /// Everything a post's outputs are made from.
  struct EmitKey: Hashable {
    var scan: Int
    var targets: [ResolvedTarget]
    var images: [Int: RenderedImage]
    var videos: [Video?]
  }

  public init() {}

  /// Forgets what is known about `paths` (files or folders), whatever their stamps say: a
  /// file rewritten twice within the file system's timestamp granularity keeps its stamp.
  public func invalidate(_ paths: some Sequence<String>) {
    lock.withLock {
      for path in paths {
        for key in scans.keys where FileSystem.isInside(key, path) { scans[key] = nil }
      }
    }
  }

  /// The post at `path`, scanned again only when it changed.
  func post(at path: String, scan: () throws -> ScannedPost) rethrows -> (post: ScannedPost, serial: Int) {
    let stamp = FileSystem.stamp(path)
    if let stamp, let known = lock.withLock({ scans[path] }), known.stamp == stamp {
      return (known.post, known.serial)
    }
    let post = try scan()
    return lock.withLock {
      serial += 1
      if let stamp { scans[path] = (stamp, serial, post) }
      return (post, serial)
    }
  }

  func serial(of path: String) -> Int? { lock.withLock { scans[path]?.serial } }

  /// Whether a post's outputs are still what `key` makes (checked by the outputs' sizes and
  /// mtimes too, so an output deleted or edited by hand is written again).
  func isEmitted(_ post: String, key: EmitKey, outputFolder: String) -> Bool {
    guard let known = lock.withLock({ emits[post] }), known.key == key else { return false }
    return known.outputs.allSatisfy { relative, stamp in FileSystem.stamp(outputFolder + "/" + relative) == stamp }
  }

  func remember(_ post: String, key: EmitKey, outputs: [String], outputFolder: String) {
    var stamps: [String: FileStamp] = [:]
    for relative in outputs {
      guard let stamp = FileSystem.stamp(outputFolder + "/" + relative) else { return }
      stamps[relative] = stamp
    }
    lock.withLock { emits[post] = Emitted(key: key, outputs: stamps) }
  }
}
