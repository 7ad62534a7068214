import Foundation
import Markdown
import Synchronization

/// One place in a document that points at an image or a video.
public struct Reference: Sendable, Hashable {
  public enum Kind: String, Sendable, Codable, Hashable {
    case figure, markdown, html, frontmatter, youtube
  }

  public var kind: Kind
  /// Byte offset in the document where the reference starts (what `line` and `column`
  /// name): the key later stages use to find a reference again, never its place in a list.
  public var offset: Int
  public var line: Int
  public var column: Int
  /// The path, URL or video id as written (after the syntax's own unescaping).
  public var target: String
  /// Bytes of the target in the document, when a rewrite can replace them.
  public var targetRange: Range<Int>?
  /// The shortcode tag, for figure and youtube references.
  public var shortcode: Shortcode? {
    get { tag?.shortcode }
    set { tag = newValue.map(Tag.init) }
  }
  /// Front-matter key path, for front-matter references.
  public var key: String?
  /// The shortcode behind one pointer: most references have none, and a build holds every
  /// reference of the site several times over (scanned, resolved, in the outcome).
  private var tag: Tag?

  private indirect enum Tag: Sendable, Hashable {
    case tag(Shortcode)

    init(_ shortcode: Shortcode) { self = .tag(shortcode) }

    var shortcode: Shortcode {
      switch self {
      case .tag(let shortcode): shortcode
      }
    }
  }

  public init(
    kind: Kind, offset: Int, line: Int, column: Int, target: String, targetRange: Range<Int>? = nil,
    shortcode: Shortcode? = nil, key: String? = nil
  ) {
    self.kind = kind
    self.offset = offset
    self.line = line
    self.column = column
    self.target = target
    self.targetRange = targetRange
    self.key = key
    tag = shortcode.map(Tag.init)
  }
}

/// A post after scanning: its text, every reference, and the problems found on the way; its
/// front matter and shortcode tags are parsed again from the text when a later stage asks for
/// them and the scan came from the scan cache (`ScanCache`), which keeps only what every build
/// needs.
public struct ScannedPost: ScannedDocument {
  /// Absolute path of the post.
  public var path: String { storage.path }
  /// Path relative to the content folder (what the output mirrors).
  public var relativePath: String { storage.relativePath }
  public var source: SourceText { storage.source }
  /// SHA-256 of the post's bytes.
  public var digest: String { storage.digest }
  /// Offset where the markdown body starts (after the front matter).
  public var bodyStart: Int { storage.bodyStart }
  public var references: [Reference] { storage.references }
  public var diagnostics: [Diagnostic] { storage.diagnostics }
  /// Hugo's `.Ordinal` of each top-level shortcode, by the offset of its tag.
  public var shortcodeOrdinals: [Int: Int] { storage.shortcodeOrdinals }
  /// Everything in one object, so that a copy (each stage hands every post on, several
  /// times) is one retain rather than one per field: in a rebuild of a large site that
  /// makes one post again, copying posts cost more than the rest of the resolve stage.
  private let storage: Storage

  private final class Storage: Sendable {
    let path: String
    let relativePath: String
    let source: SourceText
    let digest: String
    let bodyStart: Int
    let references: [Reference]
    let diagnostics: [Diagnostic]
    let shortcodeOrdinals: [Int: Int]
    let parsed: ParsedText

    init(
      path: String, relativePath: String, source: SourceText, digest: String, bodyStart: Int,
      references: [Reference], diagnostics: [Diagnostic], shortcodeOrdinals: [Int: Int], parsed: ParsedText
    ) {
      self.path = path
      self.relativePath = relativePath
      self.source = source
      self.digest = digest
      self.bodyStart = bodyStart
      self.references = references
      self.diagnostics = diagnostics
      self.shortcodeOrdinals = shortcodeOrdinals
      self.parsed = parsed
    }
  }

  init(
    path: String, relativePath: String, source: SourceText, digest: String, bodyStart: Int,
    references: [Reference], diagnostics: [Diagnostic], shortcodeOrdinals: [Int: Int],
    parsed: (frontMatter: FrontMatter?, tokens: [ShortcodeToken])? = nil
  ) {
    storage = Storage(
      path: path, relativePath: relativePath, source: source, digest: digest, bodyStart: bodyStart,
      references: references, diagnostics: diagnostics, shortcodeOrdinals: shortcodeOrdinals,
      parsed: ParsedText(source: source, bodyStart: bodyStart, parsed: parsed))
  }

  /// The front matter, when the post has one.
  public var frontMatter: FrontMatter? { storage.parsed.value.frontMatter }
  /// Every shortcode tag of the body, as Hugo's lexer finds them.
  public var tokens: [ShortcodeToken] { storage.parsed.value.tokens }
}

/// The front matter and shortcode tokens of a post, parsed from its text at most once, when
/// first asked for.
private final class ParsedText: Sendable {
  private let source: SourceText
  private let bodyStart: Int
  private let parsed: Mutex<(frontMatter: FrontMatter?, tokens: [ShortcodeToken])?>

  init(source: SourceText, bodyStart: Int, parsed: (frontMatter: FrontMatter?, tokens: [ShortcodeToken])?) {
    self.source = source
    self.bodyStart = bodyStart
    self.parsed = Mutex(parsed)
  }

  var value: (frontMatter: FrontMatter?, tokens: [ShortcodeToken]) {
    parsed.withLock { parsed in
      if let parsed { return parsed }
      let value = (
        frontMatter: try? FrontMatter.find(in: source),
        tokens: ShortcodeLexer(bytes: source.bytes[bodyStart...], base: bodyStart).tokens()
      )
      parsed = value
      return value
    }
  }
}
