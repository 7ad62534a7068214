import Foundation

/// Where a site is served from: an origin (`https://example.com`, when known) and the path
/// its root folder is served at (`/`, or `/blog/` for a site under a sub-path).
public struct SiteBase: Sendable, Hashable {
  /// Lower-cased scheme and host, with a port when not the default; nil when unknown.
  public var origin: String?
  /// Always starts and ends with `/`.
  public var path: String

  public init(origin: String? = nil, path: String = "/") {
    self.origin = origin
    self.path = path
  }

  /// `https://example.com/blog/` (or `/blog/`) as a base; nil when it is not an http(s) URL
  /// or a root-relative path.
  public init?(url text: String) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.hasPrefix("/") && !trimmed.hasPrefix("//") {
      self.init(path: Self.folder(trimmed))
      return
    }
    guard let url = URL(string: trimmed), let origin = Self.origin(of: url) else { return nil }
    self.init(origin: origin, path: Self.folder(url.path.isEmpty ? "/" : url.path))
  }

  /// `scheme://host[:port]` of an http(s) URL, lower-cased.
  static func origin(of url: URL) -> String? {
    guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
      let host = url.host?.lowercased(), !host.isEmpty
    else { return nil }
    let port = url.port.flatMap { ($0 == 80 && scheme == "http") || ($0 == 443 && scheme == "https") ? nil : $0 }
    return "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
  }

  static func folder(_ path: String) -> String {
    var path = path.hasPrefix("/") ? path : "/" + path
    if !path.hasSuffix("/") { path += "/" }
    return path
  }

  /// The base a page's own `<link rel=canonical>` tells: its URL minus the page's place in the
  /// site folder (`https://example.com/blog/posts/a/` for `posts/a/index.html` gives
  /// `https://example.com/blog/`). Nil when the canonical URL does not end with that place.
  public static func fromCanonical(_ canonical: String, pagePath: String) -> SiteBase? {
    guard let url = URL(string: canonical.trimmingCharacters(in: .whitespaces)), let origin = origin(of: url) else {
      return nil
    }
    let path = url.path.isEmpty ? "/" : url.path
    let page = "/" + pagePath
    var forms = [page]
    if page.hasSuffix("/index.html") {
      forms.append(String(page.dropLast("index.html".count)))
    } else if page.hasSuffix(".html") {
      forms.append(String(page.dropLast(".html".count)))
      forms.append(String(page.dropLast(".html".count)) + "/")
    }
    for form in forms {
      let bare = form.hasSuffix("/") ? String(form.dropLast()) : form
      for candidate in Set([form, bare]) where path.hasSuffix(candidate) {
        return SiteBase(origin: origin, path: folder(String(path.dropLast(candidate.count))))
      }
    }
    return nil
  }
}

/// Where a URL written in a page points, for site mode.
public enum SiteTarget: Sendable, Hashable {
  /// A file of the site: its path relative to the site folder and as a URL path from the
  /// site root (`/images/a.jpg`, without the base path).
  case local(file: String, urlPath: String)
  /// Another host, or a URL outside the site's base path: left alone and counted.
  case remote
  /// `data:` and other URLs that name no file.
  case inline
  /// Under the site, but no such file.
  case missing(String)
  /// Points outside the site folder, or at a folder.
  case invalid(String)
}

/// Resolves URLs written in one page of a site folder as the browser would, never reading
/// outside the folder.
public struct SiteAddress: Sendable {
  /// The site folder, absolute and canonical.
  public var folder: String
  public var base: SiteBase
  /// The page's path relative to the folder (`posts/a/index.html`).
  public var pagePath: String
  /// The page's `<base href>` as written, if any.
  public var baseHref: String?

  public init(folder: String, base: SiteBase, pagePath: String, baseHref: String? = nil) {
    self.folder = folder
    self.base = base
    self.pagePath = pagePath
    self.baseHref = baseHref
  }

  /// An origin for URL arithmetic when the real one is unknown; never written anywhere.
  private static let placeholderOrigin = "http://vignette.invalid"

  /// The URL relative references are resolved against: `<base href>` over the page's own.
  var documentURL: URL? {
    let page = URL(
      string: (base.origin ?? Self.placeholderOrigin) + base.path + Self.escapeForParsing(pagePath))
    guard let baseHref, let page else { return page }
    return URL(string: Self.escapeForParsing(baseHref), relativeTo: page)?.absoluteURL ?? page
  }

  /// Percent-encodes what browsers encode before parsing (spaces, non-ASCII, quotes) so that
  /// Foundation's stricter parser accepts what a browser would.
  static func escapeForParsing(_ text: String) -> String {
    var allowed = CharacterSet(charactersIn: "!#$%&'()*+,-./:;=?@_~[]")
    allowed.formUnion(CharacterSet(charactersIn: "a"..."z"))
    allowed.formUnion(CharacterSet(charactersIn: "A"..."Z"))
    allowed.formUnion(CharacterSet(charactersIn: "0"..."9"))
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
  }

  /// Where `reference` (a decoded attribute value such as a `src`) points.
  public func resolve(_ reference: String) -> SiteTarget {
    let trimmed = reference.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty else { return .invalid("empty URL") }
    let lower = trimmed.lowercased()
    if lower.hasPrefix("data:") || lower.hasPrefix("blob:") || lower.hasPrefix("javascript:") { return .inline }
    guard let documentURL, let url = URL(string: Self.escapeForParsing(trimmed), relativeTo: documentURL)?.absoluteURL
    else { return .invalid("\"\(reference)\" is not a URL") }
    let origin = SiteBase.origin(of: url)
    let ours = origin == (base.origin ?? Self.placeholderOrigin)
    guard ours else { return origin == nil && url.scheme?.lowercased() == "file" ? .invalid("file: URL") : .remote }
    let path = url.path
    guard path.hasPrefix(base.path) || path + "/" == base.path else { return .remote }
    let relative = String(path.dropFirst(min(path.count, base.path.count)))
    let decoded = relative.removingPercentEncoding ?? relative
    guard !decoded.contains("\0") else { return .invalid("URL contains a NUL byte") }
    let lexical = URL(fileURLWithPath: folder + "/" + decoded).standardizedFileURL.path
    guard FileSystem.isInside(lexical, folder) else {
      return .invalid("\"\(reference)\" points outside the site folder; it was not read")
    }
    guard FileManager.default.fileExists(atPath: lexical) else {
      return .missing("image \"\(reference)\" not found in the site folder")
    }
    let canonical = FileSystem.canonical(lexical)
    guard FileSystem.isInside(canonical, folder) else {
      return .invalid("\"\(reference)\" is a link to a file outside the site folder; it was not read")
    }
    guard FileSystem.isFile(canonical) else { return .invalid("\"\(reference)\" is a folder, not an image") }
    let file = FileSystem.relative(lexical, to: folder)
    return .local(file: file, urlPath: "/" + file)
  }

  /// Splits a URL as written into the folder part (through its last `/` before any query or
  /// fragment) and the query and fragment (`?v=2#center`), both exactly as written.
  public static func split(_ written: String) -> (folder: Substring, name: Substring, suffix: Substring) {
    let end = written.firstIndex { $0 == "?" || $0 == "#" } ?? written.endIndex
    let path = written[..<end]
    let slash = path.lastIndex(of: "/").map { written.index(after: $0) } ?? path.startIndex
    return (written[..<slash], written[slash..<end], written[end...])
  }

  /// A URL from this page to `urlPath` under the site root: page-relative (`../../x`), so the
  /// site works from any base path and from disk; root-relative with the base path when the
  /// page has a `<base href>` (which would redirect relative URLs).
  public func url(toSitePath urlPath: String) -> String {
    let encoded = PictureMarkup.encode(String(urlPath.drop { $0 == "/" }))
    if baseHref != nil { return base.path + encoded }
    let depth = pagePath.split(separator: "/", omittingEmptySubsequences: true).count - 1
    return String(repeating: "../", count: max(0, depth)) + encoded
  }
}
