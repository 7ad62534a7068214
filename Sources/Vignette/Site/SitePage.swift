import Foundation
import HTML

/// One generated page of a site folder after parsing: every `<img>` and YouTube `<iframe>` it
/// has, each with what site mode will do with it. Plain values; the gumbo tree is gone.
public struct SitePage: Sendable {
  /// Path relative to the site folder.
  public var path: String
  public var source: SourceText
  public var document: HTMLDocument
  public var address: SiteAddress
  public var images: [Image] = []
  public var videos: [Video] = []
  /// Problems found while reading the page (a missing image, a URL outside the folder).
  public var diagnostics: [Diagnostic] = []

  /// The attribute that marks Vignette's `<picture>` (and the files it links) in site mode.
  public static let marker = "data-vignette"

  /// An `<img>` and its fate.
  public struct Image: Sendable {
    /// Index in `document.elements`.
    public var element: Int
    public var action: Action
  }

  public enum Action: Sendable, Hashable {
    /// Becomes a `<picture>` made from `file` (a bare `<img>`, or the `<img>` of the theme's
    /// own `<picture>`: `picture` is then that element's index, and Vignette's `<source>`s go
    /// after the theme's, see `SiteRewriter`).
    case replace(file: String, urlPath: String, picture: Int?)
    /// Has a `srcset` with width descriptors, all local: keeps it and gains modern-format
    /// `<source>`s at the same widths, made from the widest candidate.
    case addSources(file: String, urlPath: String, candidates: [Candidate])
    /// Has a `srcset` with density descriptors (`1x`, `2x`), all local: keeps it and gains
    /// modern-format `<source>`s with the same descriptors, each candidate's file rendered at
    /// its own size. Narrowest density first; the `1x` one is there (the `src` when the
    /// `srcset` has none).
    case addDensitySources(candidates: [DensityCandidate])
    /// Inside Vignette's own markup from an earlier run: the renders it shows
    /// (`SiteRewriter.renderKeys`), named by its marker's value, or for a density `srcset`
    /// (which the `<img>` keeps as the theme wrote it) read from that `srcset` again.
    case done(keys: [String])
    /// Left as written, for the reason given (counted, never an error).
    case remote
    case skipped(String)

    /// The files of the site the theme's markup points at, whose sizes no added candidate
    /// may exceed.
    public var themeFiles: [String] {
      switch self {
      case .replace(let file, _, _): [file]
      case .addSources(_, _, let candidates): candidates.map(\.file)
      case .addDensitySources(let candidates): candidates.map(\.file)
      default: []
      }
    }
  }

  /// A `srcset` candidate with a width descriptor.
  public struct Candidate: Sendable, Hashable {
    public var file: String
    public var width: Int
  }

  /// A `srcset` candidate with a density descriptor (or the `src`, the implied `1x`).
  public struct DensityCandidate: Sendable, Hashable {
    public var file: String
    /// The URL as the page wrote it (character references decoded).
    public var url: String
    /// The density (`2` for `2x`) and its descriptor as written.
    public var density: Double
    public var descriptor: String
  }

  /// A YouTube `<iframe>` that becomes the facade (or, `done`, a facade an earlier run made).
  public struct Video: Sendable, Hashable {
    public var element: Int
    public var done = false
    public var id: String
    public var start: Int?
    public var end: Int?
    public var title: String?
  }

  /// Parses `bytes` (the page at `path` under `folder`) and decides what to do with each
  /// image and video. `configuredBase` (from `--base-url` or `baseURL`) wins over what the page
  /// says about itself (`<link rel=canonical>`, `<base href>`).
  public init(path: String, bytes: [UInt8], folder: String, configuredBase: SiteBase?) {
    self.path = path
    source = SourceText(bytes: bytes)
    document = HTMLDocument.parse(bytes)
    let elements = document.elements
    let live = elements.filter { !$0.inTemplate }
    let baseHref = live.first { $0.tag == "base" && $0["href"] != nil }?["href"]
    var base = configuredBase
    if base == nil,
      let canonical = live.first(where: {
        $0.tag == "link" && ($0["rel"] ?? "").lowercased().split(separator: " ").contains("canonical")
      })?["href"]
    {
      base = SiteBase.fromCanonical(canonical, pagePath: path)
    }
    if base == nil, let baseHref, let fromHref = SiteBase(url: baseHref), fromHref.origin != nil {
      base = SiteBase.fromCanonical(baseHref, pagePath: path) ?? fromHref
    }
    address = SiteAddress(folder: folder, base: base ?? SiteBase(), pagePath: path, baseHref: baseHref)
    for index in elements.indices where !elements[index].inTemplate {
      switch elements[index].tag {
      case "img": images.append(Image(element: index, action: action(forImage: index)))
      case "iframe": if let video = video(index) { videos.append(video) }
      case "figure":
        if let value = elements[index][Self.marker], value.hasPrefix("video:") {
          videos.append(Video(element: index, done: true, id: String(value.dropFirst(6))))
        }
      default: break
      }
    }
  }

  /// 1-based line and column of an element, for diagnostics.
  public func position(_ element: Int) -> (line: Int, column: Int) {
    (document.elements[element].line, document.elements[element].column)
  }

  private mutating func action(forImage index: Int) -> Action {
    let img = document.elements[index]
    let ancestors = document.ancestors(of: index).map { document.elements[$0] }
    if let marked = ancestors.first(where: { $0.tag == "picture" && $0.attribute(Self.marker) != nil }) {
      if let srcset = img["srcset"], let candidates = densityCandidates(srcset, src: img["src"]) {
        return .done(keys: SiteRewriter.renderKeys(.addDensitySources(candidates: candidates)))
      }
      return .done(keys: [marked[Self.marker] ?? ""])
    }
    for lazy in ["data-src", "data-srcset", "data-lazy-src", "data-original"] where img.attribute(lazy) != nil {
      return .skipped("loaded by the theme's script (\(lazy))")
    }
    guard let src = img["src"] else { return .skipped("no src") }
    let target = resolve(src, at: index)
    guard case .local(let file, let urlPath) = target else {
      if case .remote = target { return .remote }
      return .skipped("not a local file")
    }
    let ext = (file as NSString).pathExtension.lowercased()
    guard !["svg", "svgz", "ico"].contains(ext) else { return .skipped("not a raster image") }
    let picture = document.enclosing(index, "picture")
    if let picture, index != document.children(of: picture).last(where: { document.elements[$0].tag == "img" }) {
      return .skipped("not the picture's image")
    }
    if let picture, document.elements[picture].endTag == nil { return .skipped("<picture> is not closed") }
    guard let srcset = img["srcset"] else { return .replace(file: file, urlPath: urlPath, picture: picture) }
    guard picture == nil else { return .skipped("srcset inside the theme's <picture>") }
    if let density = densityCandidates(srcset, src: src) { return .addDensitySources(candidates: density) }
    var candidates: [Candidate] = []
    for candidate in Self.srcsetCandidates(srcset) {
      guard let descriptor = candidate.descriptor, descriptor.hasSuffix("w"), let width = Int(descriptor.dropLast()),
        width > 0, case .local(let file, _) = address.resolve(candidate.url)
      else { return .skipped("srcset kept as written") }
      candidates.append(Candidate(file: file, width: width))
    }
    guard let widest = candidates.max(by: { $0.width < $1.width }) else { return .skipped("empty srcset") }
    return .addSources(
      file: widest.file, urlPath: "/" + widest.file, candidates: candidates.sorted { $0.width < $1.width })
  }

  /// The candidates of a `srcset` written with density descriptors only (none means `1x`),
  /// each a local file, no density twice, with `src` as the `1x` when the `srcset` has none
  /// (as the HTML standard's source set is built); nil for anything else.
  private func densityCandidates(_ srcset: String, src: String?) -> [DensityCandidate]? {
    var candidates: [DensityCandidate] = []
    func add(_ url: String, _ descriptor: String) -> Bool {
      guard descriptor.hasSuffix("x"), let density = Double(descriptor.dropLast()), density.isFinite, density > 0,
        !candidates.contains(where: { $0.density == density }), case .local(let file, _) = address.resolve(url),
        !["svg", "svgz", "ico"].contains((file as NSString).pathExtension.lowercased())
      else { return false }
      candidates.append(DensityCandidate(file: file, url: url, density: density, descriptor: descriptor))
      return true
    }
    for candidate in Self.srcsetCandidates(srcset) {
      guard add(candidate.url, candidate.descriptor ?? "1x") else { return nil }
    }
    if !candidates.contains(where: { $0.density == 1 }) {
      guard let src, add(src, "1x") else { return nil }
    }
    return candidates.sorted { $0.density < $1.density }
  }

  /// Resolves a URL of the element at `index`, with a diagnostic for a local URL that names
  /// no usable file.
  private mutating func resolve(_ url: String, at index: Int) -> SiteTarget {
    let target = address.resolve(url)
    let (line, column) = position(index)
    switch target {
    case .missing(let message), .invalid(let message):
      diagnostics.append(Diagnostic(.warning, file: path, line: line, column: column, message + "; left as written"))
    default:
      break
    }
    return target
  }

  /// The candidates of a `srcset` (URL and descriptor), following the HTML standard's
  /// parsing: a URL runs to white space, a trailing comma ends it without a descriptor.
  public static func srcsetCandidates(_ srcset: String) -> [(url: String, descriptor: String?)] {
    var result: [(String, String?)] = []
    var rest = Substring(srcset)
    while true {
      rest = rest.drop { $0.isWhitespace || $0 == "," }
      guard !rest.isEmpty else { break }
      let urlEnd = rest.firstIndex { $0.isWhitespace } ?? rest.endIndex
      var url = rest[..<urlEnd]
      rest = rest[urlEnd...]
      if url.hasSuffix(",") {
        while url.hasSuffix(",") { url = url.dropLast() }
        result.append((String(url), nil))
        continue
      }
      var depth = 0
      let descriptorEnd =
        rest.firstIndex { character in
          if character == "(" { depth += 1 } else if character == ")" { depth = max(0, depth - 1) }
          return character == "," && depth == 0
        } ?? rest.endIndex
      let descriptor = rest[..<descriptorEnd].trimmingCharacters(in: .whitespaces)
      rest = rest[descriptorEnd...]
      result.append((String(url), descriptor.isEmpty ? nil : descriptor))
    }
    return result
  }

  /// A YouTube embed (`youtube.com/embed/ID`, `youtube-nocookie.com/embed/ID`) that is a
  /// real element with its end tag, outside `<noscript>`.
  private func video(_ index: Int) -> Video? {
    let iframe = document.elements[index]
    guard iframe.endTag != nil, document.enclosing(index, "noscript") == nil, let src = iframe["src"],
      let components = URLComponents(string: src.hasPrefix("//") ? "https:" + src : src),
      let host = components.host?.lowercased(),
      ["youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com"]
        .contains(host)
    else { return nil }
    let parts = components.path.split(separator: "/")
    guard parts.count == 2, parts[0] == "embed", PostScanner.isVideoID(String(parts[1])) else { return nil }
    func number(_ name: String) -> Int? { components.queryItems?.first { $0.name == name }?.value.flatMap { Int($0) } }
    return Video(
      element: index, id: String(parts[1]), start: number("start"), end: number("end"), title: iframe["title"])
  }
}
