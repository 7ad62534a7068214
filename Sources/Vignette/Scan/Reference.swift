import Foundation
import Markdown

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
  public var shortcode: Shortcode?
  /// Front-matter key path, for front-matter references.
  public var key: String?
}

/// A post after scanning: its text, front matter, every shortcode tag, every reference, and
/// the problems found on the way.
public struct ScannedPost: ScannedDocument {
  /// Absolute path of the post.
  public var path: String
  /// Path relative to the content folder (what the output mirrors).
  public var relativePath: String
  public var source: SourceText
  public var frontMatter: FrontMatter?
  /// Offset where the markdown body starts (after the front matter).
  public var bodyStart: Int
  public var tokens: [ShortcodeToken]
  public var references: [Reference]
  public var diagnostics: [Diagnostic]
}
