import Foundation

/// Rewrites a post for Hugo: each processed reference's target bytes become the URL of its
/// fallback variant; every other byte of the post stays exactly as written.
public enum MarkdownRewriter {
  /// One replacement: the bytes at `range` become `text`.
  public struct Edit: Sendable, Hashable {
    public var range: Range<Int>
    public var text: String
  }

  /// Applies `edits` (non-overlapping; duplicates of the same range allowed) to `source`.
  /// A replacement inside single quotes (`src='…'`, `image: '…'`) has its `'` percent-encoded,
  /// so it cannot end the quoted value early.
  public static func apply(_ edits: [Edit], to source: SourceText) -> [UInt8] {
    var result: [UInt8] = []
    result.reserveCapacity(source.bytes.count + edits.count * 32)
    var cursor = 0
    var seen = Set<Range<Int>>()
    for edit in edits.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) where seen.insert(edit.range).inserted {
      guard edit.range.lowerBound >= cursor else { continue }
      result += source.bytes[cursor..<edit.range.lowerBound]
      let quoted = edit.range.lowerBound > 0 && source.bytes[edit.range.lowerBound - 1] == UInt8(ascii: "'")
      result += Array((quoted ? edit.text.replacingOccurrences(of: "'", with: "%27") : edit.text).utf8)
      cursor = edit.range.upperBound
    }
    result += source.bytes[cursor...]
    return result
  }

  /// The URL a rewritten reference points at: the largest variant of the fallback format,
  /// under the site's base path (`/blog` for a site served from `/blog/`).
  public static func fallbackURL(_ image: RenderedImage, basePath: String = "") -> String? {
    image.fallback.last.map { PictureMarkup.encode(basePath + $0.urlPath) }
  }

  /// The `?query#fragment` of a target as written (`b.png#center` gives `#center`), which a
  /// rewrite keeps: themes style images by it (PaperMod centres `#center` images).
  public static func suffix(of target: String) -> String {
    guard let cut = target.firstIndex(where: { $0 == "?" || $0 == "#" }) else { return "" }
    return String(target[cut...])
  }
}
