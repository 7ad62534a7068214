import Foundation
import Synchronization

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
/// Site-absolute paths (`/images/x.png`) are looked up in the asset roots in order, then in
/// the content folder (a page bundle's file, which Hugo serves at that URL); relative paths
/// next to the post (page bundles). A figure looks in its page bundle first, as Hugo 0.124+'s
/// `figure` does (`.Page.Resources.Get`, then `resources.Get`). Remote URLs are left alone.
///
/// One resolver serves one build and looks each target up once: a site of 10,000 posts that
/// show the same pictures would otherwise walk the same paths (`stat`, symlinks) tens of
/// thousands of times. A site-absolute path gives the same file from every post (but a
/// figure in a page bundle, which looks in its bundle first), so it is remembered by the
/// target alone; a relative one with its post's folder. A missing image is never remembered:
/// its message names a file of that name near the post.
public struct ReferenceResolver: Sendable {
  public var content: String
  public var assetRoots: [String]
  /// How paths are shown in messages (relative to the project folder).
  public var display: @Sendable (String) -> String
  private let known = Known()

  /// What this resolver found, by target, figure or not, and the folder when it matters.
  private final class Known: Sendable {
    struct Key: Hashable {
      var target: String
      var figure: Bool
      var folder: String?
    }
    let found = Mutex([Key: ResolvedTarget]())
  }

  public init(content: String, assetRoots: [String], display: @escaping @Sendable (String) -> String = { $0 }) {
    self.content = content
    self.assetRoots = assetRoots
    self.display = display
  }

  public init(project: Project) {
    self.init(content: project.content, assetRoots: project.assetRoots, display: { [project] in project.display($0) })
  }

  /// Resolves `target` as written in the post at `postPath`; `figure` for a `figure`
  /// shortcode's `src`, which Hugo looks up as a page resource first.
  public func resolve(_ target: String, from postPath: String, figure: Bool = false) -> ResolvedTarget {
    // Split with Swift's own string operations: `NSString`'s path methods cost more than the
    // look-up of a known target on Linux, and this runs once per reference.
    let slash = postPath.lastIndex(of: "/")
    let folder = slash.map { $0 == postPath.startIndex ? "/" : String(postPath[..<$0]) } ?? ""
    let file = slash.map { postPath[postPath.index(after: $0)...] } ?? postPath[...]
    let name = file.lastIndex(of: ".").map { file[..<$0] } ?? file
    let isBundle = name == "index" || name == "_index"
    // As `lookUp` trims it (`trimmingCharacters(in: .whitespaces)`), from the front only.
    let absolute = target.unicodeScalars.first { !CharacterSet.whitespaces.contains($0) } == "/"
    let key = Known.Key(target: target, figure: figure, folder: absolute && !(figure && isBundle) ? nil : folder)
    if let found = known.found.withLock({ $0[key] }) { return found }
    let resolved = lookUp(target, folder: folder, isBundle: isBundle, figure: figure)
    if resolved.status != .missing { known.found.withLock { $0[key] = resolved } }
    return resolved
  }

  private func lookUp(_ target: String, folder: String, isBundle: Bool, figure: Bool) -> ResolvedTarget {
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

    // A name typed in one Unicode normalization may be stored in the other (macOS writes
    // NFD): the written form first, then NFC, then NFD.
    let spellings = [
      decoded, decoded.precomposedStringWithCanonicalMapping, decoded.decomposedStringWithCanonicalMapping,
    ]
    .reduce(into: [String]()) { list, spelling in
      // Swift's `==` equates the normalizations; compare bytes.
      if !list.contains(where: { $0.utf8.elementsEqual(spelling.utf8) }) { list.append(spelling) }
    }
    // Where to look, in order: each a folder the path is relative to, and the root that
    // decides its URL.
    var places: [(folder: String, root: String)] = []
    if decoded.hasPrefix("/") {
      if figure && isBundle { places.append((folder, content)) }
      places += assetRoots.map { ($0, $0) }
      places.append((content, content))
    } else {
      places.append((folder, content))
      if figure { places += assetRoots.map { ($0, $0) } }
    }
    let relative = decoded.hasPrefix("/") ? String(decoded.dropFirst()) : decoded
    let candidates = places.flatMap { place in
      spellings.map { spelling in
        (file: place.folder + "/" + (spelling.hasPrefix("/") ? String(spelling.dropFirst()) : spelling), place.root)
      }
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
    let looked = places.map { display(URL(fileURLWithPath: $0.folder + "/" + relative).standardizedFileURL.path) }
    var message = "image \"\(target)\" not found (looked for \(Self.list(looked)))"
    if let nearby = sameName(as: (relative as NSString).lastPathComponent, near: folder) {
      message += "; a file of that name is at \(display(nearby))"
    }
    return .init(status: .missing, message: message)
  }

  /// `a`, `a and b`, `a, b and c`.
  static func list(_ items: [String]) -> String {
    items.count < 2 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
  }

  /// A file named `name` (or so but for case) in the post's folder and below, else in the
  /// asset roots, else anywhere in the content folder: what the author most likely meant.
  func sameName(as name: String, near folder: String) -> String? {
    let wanted = name.lowercased().precomposedStringWithCanonicalMapping
    for base in [folder] + assetRoots + [content] {
      let files = FileSystem.files(under: base)
      let matches = files.filter {
        ($0 as NSString).lastPathComponent.lowercased().precomposedStringWithCanonicalMapping == wanted
      }
      // The exact name first, then a match but for case; the shallowest first.
      if let best = matches.min(by: {
        let exact = (($0 as NSString).lastPathComponent == name, ($1 as NSString).lastPathComponent == name)
        if exact.0 != exact.1 { return exact.0 }
        return $0.split(separator: "/").count < $1.split(separator: "/").count
      }) {
        return base + "/" + best
      }
    }
    return nil
  }

  static func hasScheme(_ text: String) -> Bool {
    guard let colon = text.firstIndex(of: ":") else { return false }
    let scheme = text[..<colon]
    guard let first = scheme.first, first.isLetter, scheme.count > 1 else { return false }
    return scheme.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
  }
}
