import Foundation
import Synchronization

/// What one build remembers for the next in the same process (watch mode), so a rebuild
/// re-scans and rewrites only the documents a change touched:
/// - each document's scan, kept while the file's size and mtime stay the same and the
///   watcher has not reported it changed;
/// - each document's emitted outputs, kept while the document, the outcome of each of its
///   references (rendered image, video) and the output files themselves are unchanged.
/// Everything else (resolving, planning, the manifest) runs in full each time; it is cheap.
public final class PipelineMemo: Sendable {
  private struct State {
    var scans: [String: (stamp: FileStamp, serial: Int, document: any ScannedDocument)] = [:]
    var emits: [String: Emitted] = [:]
    var serial = 0
  }

  private let state = Mutex(State())

  struct Emitted: Sendable {
    var key: EmitKey
    var outputs: [String: FileStamp]
  }

  /// Everything a document's outputs are made from.
  struct EmitKey: Hashable, Sendable {
    var scan: Int
    var references: [ReferenceOutcome]
    /// Whether the site has videos (each page then carries the facade's style and script).
    var siteHasVideos: Bool
  }

  public init() {}

  /// Forgets what is known about `paths` (files or folders), whatever their stamps say: a
  /// file rewritten twice within the file system's timestamp granularity keeps its stamp.
  public func invalidate(_ paths: some Sequence<String>) {
    state.withLock { state in
      for path in paths {
        for key in state.scans.keys where FileSystem.isInside(key, path) { state.scans[key] = nil }
      }
    }
  }

  /// The document at `path`, scanned again only when it changed.
  func document<Document: ScannedDocument>(
    at path: String, scan: () throws -> Document
  ) rethrows -> (document: Document, serial: Int) {
    let stamp = FileSystem.stamp(path)
    if let stamp, let known = state.withLock({ $0.scans[path] }), known.stamp == stamp,
      let document = known.document as? Document
    {
      return (document, known.serial)
    }
    let document = try scan()
    return state.withLock { state in
      state.serial += 1
      if let stamp { state.scans[path] = (stamp, state.serial, document) }
      return (document, state.serial)
    }
  }

  func serial(of path: String) -> Int? { state.withLock { $0.scans[path]?.serial } }

  /// The outputs of a document when they are still what `key` makes (checked by the
  /// outputs' sizes and mtimes too, so an output deleted or edited by hand is written again).
  func emitted(_ document: String, key: EmitKey, outputFolder: String) -> [String]? {
    guard let known = state.withLock({ $0.emits[document] }), known.key == key,
      known.outputs.allSatisfy({ relative, stamp in FileSystem.stamp(outputFolder + "/" + relative) == stamp })
    else { return nil }
    return known.outputs.keys.sorted()
  }

  func remember(_ document: String, key: EmitKey, outputs: [String], outputFolder: String) {
    var stamps: [String: FileStamp] = [:]
    for relative in outputs {
      guard let stamp = FileSystem.stamp(outputFolder + "/" + relative) else { return }
      stamps[relative] = stamp
    }
    state.withLock { $0.emits[document] = Emitted(key: key, outputs: stamps) }
  }
}
