import Foundation
import Synchronization

/// What one build remembers for the next in the same process (watch mode), so a rebuild
/// re-scans and rewrites only the documents a change touched:
/// - each document's scan, kept until the watcher reports the file (or a folder it is in)
///   changed: a rebuild neither reads nor `stat`s the posts nobody touched;
/// - the digest of each document's outputs (`EmitDigest`), kept while the document and the
///   outcome of each of its references (rendered image, video) are unchanged;
/// - the index of emitted outputs (`EmitIndex`) and the scan cache (`ScanCache`), so each is
///   read from the cache folder once;
/// - the encoded pieces of the manifest and Hugo's data files (`SitePieces`), one per
///   document and image, so a one-post edit encodes that post's pieces alone.
/// - each document's resolution, kept while its scan is and no file but a known post was
///   reported changed (an image or a folder added, replaced or removed may change where
///   any reference points, so every document is resolved again then).
/// - every file of the output folder the last build produced, so the next removes those it
///   no longer produces without walking the folder.
/// Everything else (planning, the outcome) runs in full each time.
public final class PipelineMemo: Sendable {
  private struct State {
    var scans: [String: (serial: Int, document: any ScannedDocument)] = [:]
    /// Each document's resolution by path, with the scan it was made from.
    var resolutions: [String: (serial: Int, resolved: any Sendable)] = [:]
    var emits: [String: Emitted] = [:]
    var index: (folder: String, index: EmitIndex)?
    var scanCache: (folder: String, context: String, cache: ScanCache)?
    var sitePieces: (context: String, pieces: [SitePieces.Kind: [String: SitePieces.Known]])?
    var serial = 0
    var outputs: (folder: String, files: Set<String>)?
  }

  private let state = Mutex(State())

  struct Emitted: Sendable {
    var key: EmitKey
    var digest: String?
  }

  /// Everything a document's outputs are made from.
  struct EmitKey: Hashable, Sendable {
    var scan: Int
    var references: [ReferenceOutcome]
    /// Whether the site has videos (each page then carries the facade's style and script).
    var siteHasVideos: Bool
  }

  public init() {}

  /// Forgets what is known about `paths` (files or folders): what the watcher reported. A
  /// file's stamp is no guide (one rewritten twice within the file system's timestamp
  /// granularity keeps it), and the watcher reports every change, so the stamps of files it
  /// did not report are never looked at.
  public func invalidate(_ paths: some Sequence<String>) {
    state.withLock { state in
      for path in paths {
        // An edit of a known post changes that post's resolution alone (its scan's serial).
        if state.scans[path] == nil || !FileSystem.isFile(path) { state.resolutions = [:] }
        for key in state.scans.keys where FileSystem.isInside(key, path) { state.scans[key] = nil }
      }
    }
  }

  /// The document at `path`, scanned again only when the watcher reported it changed.
  func document<Document: ScannedDocument>(
    at path: String, scan: () throws -> Document
  ) rethrows -> (document: Document, serial: Int) {
    if let known = state.withLock({ $0.scans[path] }), let document = known.document as? Document {
      return (document, known.serial)
    }
    let document = try scan()
    return state.withLock { state in
      state.serial += 1
      state.scans[path] = (state.serial, document)
      return (document, state.serial)
    }
  }

  func serial(of path: String) -> Int? { state.withLock { $0.scans[path]?.serial } }

  /// The resolution of each of `documents` made from its current scan, nil where there is
  /// none (resolve those, then `keep` them).
  func resolutions<Document>(of documents: [Document]) -> [ResolvedDocument<Document>?] {
    state.withLock { state in
      documents.map { document in
        guard let serial = state.scans[document.path]?.serial, let known = state.resolutions[document.path],
          known.serial == serial
        else { return nil }
        return known.resolved as? ResolvedDocument<Document>
      }
    }
  }

  /// Keeps `resolved` for the next build, under the scan its document came from.
  func keep<Document>(_ resolved: some Sequence<ResolvedDocument<Document>>) {
    state.withLock { state in
      for item in resolved {
        guard let serial = state.scans[item.document.path]?.serial else { continue }
        state.resolutions[item.document.path] = (serial, item)
      }
    }
  }

  /// The digest of a document's outputs (`EmitDigest`), computed again only when `key`
  /// changed since the last build.
  func emitDigest(_ document: String, key: EmitKey, compute: () -> String?) -> String? {
    if let known = state.withLock({ $0.emits[document] }), known.key == key { return known.digest }
    let digest = compute()
    state.withLock { $0.emits[document] = Emitted(key: key, digest: digest) }
    return digest
  }

  /// The index of emitted outputs for the cache folder `folder`, loaded once for the
  /// session.
  func emitIndex(folder: String) -> EmitIndex {
    state.withLock { state in
      if let index = state.index, index.folder == folder { return index.index }
      let index = EmitIndex(folder: folder)
      state.index = (folder, index)
      return index
    }
  }

  /// The scan cache for the cache folder `folder` and `context`, loaded once for the session.
  func scanCache(folder: String, context: String) -> ScanCache {
    state.withLock { state in
      if let known = state.scanCache, known.folder == folder, known.context == context { return known.cache }
      let cache = ScanCache(folder: folder, context: context)
      state.scanCache = (folder, context, cache)
      return cache
    }
  }

  /// The pieces of the site's files the last build made in `context`; none after another.
  func sitePieces(context: String) -> [SitePieces.Kind: [String: SitePieces.Known]] {
    state.withLock { state in
      guard let known = state.sitePieces, known.context == context else { return [:] }
      return known.pieces
    }
  }

  /// Keeps `pieces`, made in `context`, for the next build (in place of the last build's).
  func keepSitePieces(_ pieces: [SitePieces.Kind: [String: SitePieces.Known]], context: String) {
    state.withLock { $0.sitePieces = (context, pieces) }
  }

  /// The files the last build produced in the output folder `folder` (`Emitter.expected`),
  /// forgotten until `keepOutputs`.
  func takeOutputs(folder: String) -> Set<String>? {
    state.withLock { state in
      defer { state.outputs = nil }
      return state.outputs?.folder == folder ? state.outputs?.files : nil
    }
  }

  func keepOutputs(_ files: Set<String>, folder: String) { state.withLock { $0.outputs = (folder, files) } }
}
