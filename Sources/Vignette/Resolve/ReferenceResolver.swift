import Foundation

/// Where a reference points, once looked up.
public struct ResolvedTarget: Sendable, Hashable {
  public enum Status: String, Sendable, Codable, Hashable {
    case ok, missing, invalid, remote, skipped
  }

  public var status: Status
  /// Absolute, canonical path of the source file (status `ok`).
  public var file: String?
  /// URL path the file is served from, such as `/images/lookBack.png`.
  public var urlPath: String?
  /// Why the status is not `ok`.
  public var message: String?
}

/// Turns targets into files, never reading outside the content folder and the asset roots.
/// Site-absolute paths (`/images/x.png`) are looked up in the asset roots in order;
/// relative paths next to the post (page bundles). Remote URLs are left alone.
public struct ReferenceResolver: Sendable {
  public var content: String
  public var assetRoots: [String]

  public init(content: String, assetRoots: [String]) {
    self.content = content
    self.assetRoots = assetRoots
  }

  public init(project: Project) { self.init(content: project.content, assetRoots: project.assetRoots) }

  /// Resolves `target` as written in the post at `postPath`.
  public func resolve(_ target: String, from postPath: String) -> ResolvedTarget {
    let trimmed = target.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty else { return .init(status: .invalid, message: "empty image path") }
    if trimmed.hasPrefix("data:") {
      return .init(status: .skipped, message: "inline data URL left as written")
    }
    if trimmed.lowercased().hasPrefix("file:") {
      return .init(
        status: .invalid,
        message: "\"\(target)\" is a file: URL; only site paths and page-relative paths are read, so it was not")
    }
    if trimmed.hasPrefix("//") || Self.hasScheme(trimmed) {
      return .init(status: .remote, message: "remote URL left as written")
    }
    var path = trimmed
    if let cut = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[..<cut]) }
    let decoded = path.removingPercentEncoding ?? path
    if decoded.contains("\0") { return .init(status: .invalid, message: "path contains a NUL byte") }

    var candidates: [(file: String, root: String)] = []
    // A name typed in one Unicode normalization may be stored in the other (macOS writes
    // NFD): the written form first, then NFC, then NFD.
    let spellings = [
      decoded, decoded.precomposedStringWithCanonicalMapping, decoded.decomposedStringWithCanonicalMapping,
    ]
    .reduce(into: [String]()) { list, spelling in
      // Swift's `==` equates the normalizations; compare bytes.
      if !list.contains(where: { $0.utf8.elementsEqual(spelling.utf8) }) { list.append(spelling) }
    }
    if decoded.hasPrefix("/") {
      candidates = assetRoots.flatMap { root in spellings.map { (root + $0, root) } }
    } else {
      let folder = (postPath as NSString).deletingLastPathComponent
      candidates = spellings.map { (folder + "/" + $0, content) }
    }
    let allowed = [content] + assetRoots
    for (file, root) in candidates {
      let lexical = URL(fileURLWithPath: file).standardizedFileURL.path
      guard allowed.contains(where: { FileSystem.isInside(lexical, $0) }) else {
        return .init(
          status: .invalid, message: "\"\(target)\" points outside the content folder and asset roots; it was not read")
      }
      guard FileManager.default.fileExists(atPath: lexical) else { continue }
      let canonical = FileSystem.canonical(lexical)
      guard allowed.contains(where: { FileSystem.isInside(canonical, $0) }) else {
        return .init(
          status: .invalid,
          message: "\"\(target)\" is a link to a file outside the content folder and asset roots; it was not read")
      }
      guard FileSystem.isFile(canonical) else {
        return .init(status: .invalid, message: "\"\(target)\" is a folder, not an image")
      }
      let base = FileSystem.isInside(lexical, root) ? root : content
      return .init(status: .ok, file: canonical, urlPath: "/" + FileSystem.relative(lexical, to: base))
    }
    let looked =
      decoded.hasPrefix("/") ? "in \(assetRoots.count == 1 ? "the asset root" : "the asset roots")" : "next to the post"
    return .init(status: .missing, message: "image \"\(target)\" not found \(looked)")
  }

  static func hasScheme(_ text: String) -> Bool {
    guard let colon = text.firstIndex(of: ":") else { return false }
    let scheme = text[..<colon]
    guard let first = scheme.first, first.isLetter, scheme.count > 1 else { return false }
    return scheme.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
  }
}
