import Foundation

/// The scans of the last build, kept in the cache folder (`scans.bin`, see `CacheIndex`): for each post (by its
/// path under the content folder) the SHA-256 of its bytes and what scanning those bytes
/// found (references, diagnostics, where the body starts, the shortcodes' ordinals). A post
/// whose bytes hash the same is taken from here instead of being parsed again with
/// cmark-gfm, Hugo's shortcode lexer and the front-matter parsers; any other post is scanned.
/// The key is the bytes, never the file's size and mtime, so an edit that keeps both is seen.
///
/// The whole file is dropped when its context differs: the scanner's settings (extra
/// front-matter image keys), the project and content folders (diagnostics name files
/// relative to them) and the Vignette binary (a new scanner may find other references).
/// Only a build saves it (`MarkdownFrontEnd.finish`); a check reads it and writes nothing.
final class ScanCache: Sendable {
  struct Entry: CacheRecord, Sendable, Equatable {
    var digest: String
    var bodyStart: Int
    var references: [Reference]
    var diagnostics: [Diagnostic]
    var ordinals: [Int: Int]

    init(digest: String, bodyStart: Int, references: [Reference], diagnostics: [Diagnostic], ordinals: [Int: Int]) {
      self.digest = digest
      self.bodyStart = bodyStart
      self.references = references
      self.diagnostics = diagnostics
      self.ordinals = ordinals
    }

    init(from reader: inout CacheRecordReader) throws {
      digest = try reader.string()
      bodyStart = try reader.int()
      references = try reader.array { try $0.record(Reference.self) }
      diagnostics = try reader.array { try $0.record(Diagnostic.self) }
      let pairs = try reader.array { reader in (try reader.int(), try reader.int()) }
      ordinals = Dictionary(pairs) { first, _ in first }
    }

    func write(to writer: inout CacheRecordWriter) {
      writer.string(digest)
      writer.int(bodyStart)
      writer.array(references) { $0.record($1) }
      writer.array(diagnostics) { $0.record($1) }
      writer.array(ordinals.sorted { $0.key < $1.key }) { writer, pair in
        writer.int(pair.key)
        writer.int(pair.value)
      }
    }
  }

  /// Bumped when what a scan finds changes without the binary changing.
  static let version = "scan-1"

  private let entries: CacheIndex<Entry>

  /// The cache stored in `folder` for scans made in `context` (`ScanCache.context`); empty
  /// when it is missing, damaged or from another context.
  init(folder: String, context: String) {
    entries = CacheIndex(path: folder + "/scans.bin", context: context)
  }

  /// The context of the scans of `project`'s posts: a digest, so no path is stored.
  static func context(_ project: Project) -> String {
    let parts = [
      version, EmitDigest.executableStamp, project.root, project.content,
      project.config.frontMatterImageKeys.joined(separator: "\u{0}"),
    ]
    return Checksum.sha256(parts.joined(separator: "\n"))
  }

  /// The scan of the post at `path` (`relativePath` under the content folder): read, hashed,
  /// and taken from the cache when its bytes are those scanned last time, else scanned with
  /// `scanner` and remembered (`parsed`).
  func scan(path: String, relativePath: String, with scanner: PostScanner) throws -> (
    post: ScannedPost, parsed: Bool
  ) {
    let source = SourceText(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    let digest = source.bytes.withUnsafeBytes { Checksum.sha256($0) }
    if let entry = entries[relativePath], entry.digest == digest {
      let post = ScannedPost(
        path: path, relativePath: relativePath, source: source, digest: digest, bodyStart: entry.bodyStart,
        references: entry.references, diagnostics: entry.diagnostics, shortcodeOrdinals: entry.ordinals)
      return (post, false)
    }
    let post = scanner.scan(source: source, path: path, relativePath: relativePath, digest: digest)
    entries.set(
      relativePath,
      Entry(
        digest: digest, bodyStart: post.bodyStart, references: post.references, diagnostics: post.diagnostics,
        ordinals: post.shortcodeOrdinals))
    return (post, true)
  }

  /// Drops the entries of posts not in `posts` (deleted or renamed).
  func retain(_ posts: Set<String>) { entries.retain(posts) }

  /// Writes the cache when it changed since it was loaded or last saved.
  func save() throws { try entries.save() }
}
