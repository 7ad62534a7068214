import Foundation
import Vips

/// Writes the output folder: every file atomically and only when its bytes change; at the
/// end, the files Vignette owns (`OutputLayout.owned`) that no longer belong to the build are
/// removed.
/// In check mode it writes nothing and records each difference instead: the one place where
/// what a build would write is compared with what `output/` holds.
final class Emitter {
  /// The folders under `output/` that Vignette owns and cleans.
  static let ownedFolders = ["content", "static", "html", "layouts", "data"]

  let project: Project
  let cache: BuildCache
  let checkOnly: Bool
  let layout: OutputLayout
  /// Check mode: SHA-256 of the variants rendered in this run, by variant key; the others
  /// (from the cache) are compared by size.
  let digests: [String: String]
  /// Every file of the output folder the build produces (relative to it), with its stamp
  /// right after it was written or found up to date: one table, keyed by the path the front
  /// end gave (site mode: the page's own string), since a large site writes one per page.
  private(set) var outputs: [String: EmittedFile] = [:]
  private(set) var written = 0
  private(set) var removed = 0
  private(set) var differences: [OutputDifference] = []
  /// The full stamp of each file outside the output folder this build wrote (absolute path).
  private(set) var writtenOutside: [String: FullStamp] = [:]
  /// What each document's outputs became, when they are kept out of `outputs` (site mode: a
  /// page each, so never a table of every page).
  private(set) var documents: DocumentOutputs

  /// The files the build produces, relative to the output folder.
  var expected: Set<String> {
    var paths = Set(outputs.keys)
    for (path, _) in documents { paths.insert(path) }
    return paths
  }

  init(
    project: Project, cache: BuildCache, checkOnly: Bool, layout: OutputLayout, digests: [String: String] = [:],
    documents: DocumentOutputs = DocumentOutputs()
  ) {
    self.project = project
    self.cache = cache
    self.checkOnly = checkOnly
    self.layout = layout
    self.digests = digests
    self.documents = documents
  }

  /// A generated file at `relative` (to the output folder), made from `source` (a post, as
  /// the user knows it; nil for files of the whole site), one of the outputs of the document
  /// at `document` in the outcome when it is one.
  func file(_ relative: String, _ data: Data, from source: String? = nil, document: Int? = nil) throws {
    let path = project.output + "/" + relative
    func record(_ file: EmittedFile) {
      if let document, documents.keeps {
        documents.add(relative, file, document: document)
      } else {
        outputs[relative] = file
      }
    }
    if checkOnly {
      record(.expected)
      if FileManager.default.contents(atPath: path) != data {
        differences.append(OutputDifference(path: path, display: project.display(path), source: source, expected: data))
      }
      return
    }
    if try FileSystem.writeAtomically(data, to: path) {
      written += 1
      record(FullStamp.of(path).map(EmittedFile.wrote) ?? .expected)
    } else {
      record(FileSystem.stamp(path).map(EmittedFile.found) ?? .expected)
    }
  }

  /// A file outside the output folder this build wrote (site mode's manifest, at the absolute
  /// `path`), for the build snapshot.
  func wrote(_ path: String) { writtenOutside[path] = FullStamp.of(path) }

  /// A file known to be up to date already (watch mode's memo): kept, not rewritten.
  func expect(_ relative: String) { if outputs[relative] == nil { outputs[relative] = .expected } }

  /// A variant, served from its URL path (under `static/` in markdown mode), made from
  /// `source` (the image, as the user knows it).
  func variant(_ variant: RenderedVariant, from source: String) throws {
    let relative = layout.path(ofVariantAt: variant.urlPath)
    let path = project.output + "/" + relative
    if checkOnly {
      outputs[relative] = .expected
      let matches =
        if let digest = digests[variant.key] {
          FileManager.default.contents(atPath: path).map(Checksum.sha256) == digest
        } else {
          FileSystem.stamp(path)?.size == Int64(variant.bytes)
        }
      if !matches { differences.append(OutputDifference(path: path, display: project.display(path), source: source)) }
      return
    }
    let (made, stamp) = try cache.materialize(variant, at: path)
    if made {
      written += 1
      outputs[relative] = FullStamp.of(path).map(EmittedFile.wrote) ?? .expected
    } else {
      outputs[relative] = stamp.map(EmittedFile.found) ?? .expected
    }
  }

  /// Files no longer made that `stillNamed` said are still pointed at, and so kept.
  private(set) var keptNamed: [String] = []

  /// Removes what no longer belongs (or, in check mode, lists it), apart from the files that
  /// `stillNamed` says outputs the build did not remake still point at: those stay, and
  /// stay recorded as Vignette's, so a later build removes them once nothing names them.
  /// `previous` (watch mode) is every file the previous build of this session produced: then
  /// those the build no longer produces are removed without walking the owned folders, which
  /// nothing else is meant to write (the next `vignette build` removes anything else).
  func finish(stillNamed: ([String]) -> Set<String> = { _ in [] }, previous: Set<String>? = nil) throws {
    var stale: [String] = []
    switch layout.owned {
    case .folders(let folders) where previous != nil:
      stale = previous!.filter { path in
        outputs[path] == nil && folders.contains { path.hasPrefix($0) && path.dropFirst($0.count).first == "/" }
      }
    case .folders(let folders):
      // One `readdir` pass, no `stat` and no sort: only what the build did not produce.
      for folder in folders {
        FileSystem.walk(project.output + "/" + folder) { relative, _ in
          let path = folder + "/" + relative
          if outputs[path] == nil { stale.append(path) }
        }
      }
    case .files(let files):
      // Only what Vignette wrote and nothing has written since.
      stale = files.filter { FileSystem.stamp(project.output + "/" + $0.key) == $0.value }.map(\.key)
    }
    stale.removeAll { outputs[$0] != nil }
    if !stale.isEmpty && !documents.isEmpty {
      let candidates = Set(stale)
      var produced = Set<String>()
      for (path, _) in documents where candidates.contains(path) { produced.insert(path) }
      stale.removeAll { produced.contains($0) }
    }
    if !stale.isEmpty {
      keptNamed = stillNamed(stale).sorted()
      for relative in keptNamed {
        outputs[relative] =
          checkOnly ? .expected : FileSystem.stamp(project.output + "/" + relative).map(EmittedFile.found) ?? .expected
      }
    }
    for relative in stale.sorted() where outputs[relative] == nil {
      let path = project.output + "/" + relative
      if checkOnly {
        differences.append(OutputDifference(file: project.display(path), state: .leftOver))
      } else {
        FileSystem.remove(path, pruningUpTo: project.output)
        removed += 1
      }
    }
    differences = Array(Set(differences)).sorted()
  }

}

/// What the emit stage knows of one file it produced.
public enum EmittedFile: Sendable {
  /// Produced, not stamped: check mode, and files kept from an earlier build of the session.
  case expected
  /// Found up to date, with its size and mtime then.
  case found(FileStamp)
  /// Written by this build, with the full stamp taken right after the write, for the build
  /// snapshot: a file written again by someone else since then no longer matches.
  case wrote(FullStamp)

  /// Size and mtime right after the build wrote it or found it up to date.
  public var stamp: FileStamp? {
    switch self {
    case .expected: nil
    case .found(let stamp): stamp
    case .wrote(let full): FileStamp(size: full.size, modified: full.modified)
    }
  }

  /// The full stamp, when this build wrote it.
  var written: FullStamp? { if case .wrote(let full) = self { full } else { nil } }
}

extension EmittedFile: CacheRecord {
  init(from reader: inout CacheRecordReader) throws {
    switch try reader.int() {
    case 0: self = .expected
    case 1: self = .found(try reader.record())
    case 2: self = .wrote(try reader.record())
    default: throw CacheRecordReader.Damaged()
    }
  }

  func write(to writer: inout CacheRecordWriter) {
    switch self {
    case .expected: writer.int(0)
    case .found(let stamp):
      writer.int(1)
      writer.record(stamp)
    case .wrote(let stamp):
      writer.int(2)
      writer.record(stamp)
    }
  }
}

/// What the emit stage made of each document's outputs, by the document's position in the
/// outcome, kept in a spool (`Spool`) instead of a table: site mode writes a page for each of
/// thousands of pages. Without a spool (markdown mode) it keeps nothing, and the emitter's
/// table has every output.
public struct DocumentOutputs: Sendable, Sequence {
  private let spool: Spool?
  private let count: Int
  /// Where each document's last record is in the spool (-1: none); each record names the one
  /// before it of the same document. Made at the first record.
  private var heads: [Int] = []

  /// Keeps nothing.
  public init() {
    spool = nil
    count = 0
  }

  /// Keeps the outputs of `count` documents in `spool`.
  init(spool: Spool, count: Int) {
    self.spool = spool
    self.count = count
  }

  /// Whether it keeps the documents' outputs.
  var keeps: Bool { spool != nil }
  var isEmpty: Bool { heads.isEmpty }

  mutating func add(_ path: String, _ file: EmittedFile, document: Int) {
    guard let spool else { return }
    if heads.isEmpty { heads = Array(repeating: -1, count: count) }
    let previous = heads[document]
    heads[document] = spool.append { writer in
      writer.int(previous)
      writer.string(path)
      writer.record(file)
    }
  }

  /// Every output of the document at `document`, the last first.
  func files(of document: Int) -> [(path: String, file: EmittedFile)] {
    guard let spool, !heads.isEmpty else { return [] }
    var result: [(path: String, file: EmittedFile)] = []
    var next = heads[document]
    while next >= 0 {
      let (previous, path, file) = spool.read(at: next) {
        (try $0.int(), try $0.string(), try $0.record(EmittedFile.self))
      }
      result.append((path, file))
      next = previous
    }
    return result
  }

  /// The output at `path` of the document at `document`.
  public func file(of document: Int, at path: String) -> EmittedFile? {
    files(of: document).first { $0.path == path }?.file
  }

  /// Every output, document by document.
  public func makeIterator() -> Iterator { Iterator(outputs: self) }

  public struct Iterator: IteratorProtocol {
    let outputs: DocumentOutputs
    var document = 0
    var files: [(path: String, file: EmittedFile)] = []

    public mutating func next() -> (path: String, file: EmittedFile)? {
      while files.isEmpty {
        guard document < outputs.heads.count else { return nil }
        files = outputs.files(of: document)
        document += 1
      }
      return files.removeLast()
    }
  }
}
