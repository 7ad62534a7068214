import Foundation

/// Everything a stock Hugo site needs to show Vignette's output, written under `output/`:
///
/// - `data/vignette/images.json`: one entry per processed image, keyed by the URL that
///   `MarkdownRewriter` writes into posts (the largest fallback variant), holding the
///   `srcset`s, `sizes`, `width`, `height` and placeholder the templates need;
/// - `data/vignette/videos.json`: one entry per YouTube video (title, poster URL);
/// - `layouts/partials/vignette/picture.html`: `<picture>` for a URL (or a dict with `src`,
///   `alt`, `title`, `class`, `eager`), a plain `<img>` when the URL is not Vignette's;
/// - `layouts/partials/vignette/image.html`: the data entry of a URL, for themes of their own;
/// - `layouts/partials/vignette/eager.html` and `data/vignette/first.json`: which image of a
///   page loads at once (its first figure or markdown image), as on Vignette's own pages;
/// - `layouts/_default/_markup/render-image.html`: markdown images through that partial;
/// - `layouts/shortcodes/figure.html`: Hugo's `figure`, with `<picture>` for the `<img>`;
/// - `layouts/shortcodes/youtube.html`: the click-to-play facade of `VideoFacade`;
/// - `static/vignette/video.css`, `static/vignette/video.js`: the facade's style and script
///   (when the site has videos).
///
/// None of it needs `markup.goldmark.renderer.unsafe`: render hooks, shortcodes and partials
/// are templates, and Hugo's `html/template` escapes every value they print.
/// The templates use only what Hugo 0.111 (Debian 12) has: `site.Data`, `index`, `dict`,
/// partials with `return`, `.Get`, `.Page.Params`.
public enum HugoSupport {
  /// The files, as paths relative to `output/` with their bytes. Each image is keyed by the
  /// URL `MarkdownRewriter.fallbackURL` gives it.
  ///
  /// `firstImages` maps a post's path under the content folder to the URL of its first
  /// figure or markdown image: that one loads at once with high priority (it is most likely
  /// the page's largest paint), every other image lazily.
  public static func files(
    images: some Sequence<RenderedImage>, videos: some Sequence<Video>, sizes: String,
    firstImages: [String: FirstImage] = [:], basePath: String = ""
  ) throws -> [(String, Data)] {
    let encoder = PrettyJSON.encoder()
    return try files(
      images: images.compactMap { try imagePiece($0, sizes: sizes, basePath: basePath, with: encoder) },
      videos: videos, sizes: sizes,
      firstImages: firstImages.map {
        SitePieces.Piece(key: $0.key, bytes: try PrettyJSON.member($0.key, $0.value, depth: 1, with: encoder))
      }, basePath: basePath)
  }

  /// The files of the markdown site `build`, its images' and posts' entries taken from
  /// `pieces` when what they are made from is unchanged (watch mode).
  static func files(_ build: BuildOutcome<ScannedPost>, sizes: String, basePath: String, pieces: SitePieces) throws
    -> [(String, Data)]
  {
    let encoder = PrettyJSON.encoder()
    let images = try build.images.sorted { $0.key < $1.key }.compactMap { key, rendered in
      try pieces.image(.hugoImage, key, source: rendered.source, rendered: rendered.image) {
        try imagePiece(rendered.image, sizes: sizes, basePath: basePath, with: encoder)
      }
    }
    let first = try build.documents.compactMap { outcome in
      try pieces.document(.hugoFirstImage, outcome.document.relativePath) {
        try firstImage(of: outcome, basePath: basePath).map {
          let key = outcome.document.relativePath
          return SitePieces.Piece(key: key, bytes: try PrettyJSON.member(key, $0, depth: 1, with: encoder))
        }
      }
    }
    return try files(images: images, videos: build.videos.values, sizes: sizes, firstImages: first, basePath: basePath)
  }

  /// The entry of `images.json` for `image`, keyed by its URL; nil when it has none.
  private static func imagePiece(_ image: RenderedImage, sizes: String, basePath: String, with encoder: JSONEncoder)
    throws -> SitePieces.Piece?
  {
    guard let url = MarkdownRewriter.fallbackURL(image, basePath: basePath),
      let entry = ImageEntry(image, sizes: sizes, basePath: basePath)
    else { return nil }
    return SitePieces.Piece(key: url, bytes: try PrettyJSON.member(url, entry, depth: 1, with: encoder))
  }

  /// The files, from the members of `images.json` (by URL; the last of a URL wins) and of
  /// `first.json`.
  private static func files(
    images: [SitePieces.Piece], videos: some Sequence<Video>, sizes: String, firstImages: [SitePieces.Piece],
    basePath: String
  ) throws -> [(String, Data)] {
    let encoder = PrettyJSON.encoder()
    var imageData = Dictionary(images.map { ($0.key, $0) }) { _, last in last }
    var videoData: [String: VideoEntry] = [:]
    for video in videos {
      var entry = VideoEntry(
        id: video.id, title: video.title, author: video.author, watchURL: video.watchURL, unavailable: video.unavailable
      )
      if let poster = video.poster, let url = MarkdownRewriter.fallbackURL(poster, basePath: basePath),
        let data = ImageEntry(poster, sizes: sizes, basePath: basePath)
      {
        entry.poster = url
        imageData[url] = SitePieces.Piece(key: url, bytes: try PrettyJSON.member(url, data, depth: 1, with: encoder))
      }
      videoData[video.id] = entry
    }
    var files: [(String, Data)] = [
      ("data/vignette/images.json", Data(PrettyJSON.object(Array(imageData.values), depth: 0) + [0x0A])),
      ("data/vignette/videos.json", try encode(videoData)),
      ("data/vignette/first.json", Data(PrettyJSON.object(firstImages, depth: 0) + [0x0A])),
    ]
    for path in templates { files.append((path, try template(path))) }
    // The facade's style and script, served only by a site that has videos.
    if !videoData.isEmpty {
      files.append(("static/vignette/video.css", Data((VideoFacade.css + "\n").utf8)))
      // Guarded, so a page with several embeds (one `<script>` each) listens once.
      files.append(
        (
          "static/vignette/video.js",
          Data("if(!window.vignetteVideo){window.vignetteVideo=true;\n\(VideoFacade.script)\n}\n".utf8)
        ))
    }
    return files
  }

  /// Where a post's first image is, as Hugo's templates can tell: the rewritten URL, and the
  /// `.Ordinal` Hugo gives it (among the page's markdown images for the render hook, among
  /// its top-level shortcodes for `figure`), so that an image used again further down stays
  /// lazy.
  public struct FirstImage: Encodable, Equatable, Sendable {
    public var src: String
    public var kind: String
    public var ordinal: Int
  }

  /// The post's first processed figure or markdown image (its entry in `first.json`, keyed
  /// by its path under the content folder), if any.
  static func firstImage(of outcome: DocumentOutcome<ScannedPost>, basePath: String = "") -> FirstImage? {
    let post = outcome.document
    for item in outcome.references where item.reference.kind == .figure || item.reference.kind == .markdown {
      let reference = item.reference
      guard reference.targetRange != nil, let image = item.image,
        let src = MarkdownRewriter.fallbackURL(image, basePath: basePath)
      else { continue }
      let ordinal =
        reference.kind == .markdown
        ? post.references.filter { $0.kind == .markdown }.firstIndex(of: reference)
        : reference.shortcode.flatMap { post.shortcodeOrdinals[$0.range.lowerBound] }
      return ordinal.map { FirstImage(src: src, kind: reference.kind.rawValue, ordinal: $0) }
    }
    return nil
  }

  /// Hugo's `.Ordinal` of each top-level shortcode (by offset): its place among the page's
  /// shortcodes that are not inside another one's content.
  static func shortcodeOrdinals(_ tokens: [ShortcodeToken]) -> [Int: Int] {
    let tags = tokens.compactMap { token -> Shortcode? in
      if case .tag(let tag) = token { return tag }
      return nil
    }
    // An opening tag is paired when a closing tag of its name follows (innermost first).
    var paired = Set<Int>()
    var open: [Shortcode] = []
    for tag in tags {
      if tag.isClosing {
        if let index = open.lastIndex(where: { $0.name == tag.name }) {
          paired.insert(open[index].range.lowerBound)
          open.remove(at: index)
        }
      } else if !tag.isSelfClosing {
        open.append(tag)
      }
    }
    var ordinals: [Int: Int] = [:]
    var depth = 0
    var next = 0
    for tag in tags {
      if tag.isClosing {
        depth = max(0, depth - 1)
        continue
      }
      if depth == 0 {
        ordinals[tag.range.lowerBound] = next
        next += 1
      }
      if paired.contains(tag.range.lowerBound) { depth += 1 }
    }
    return ordinals
  }

  /// What the templates read for one image. URLs are percent-encoded as in the posts.
  struct ImageEntry: Encodable, Equatable {
    var src: String
    var width: Int
    var height: Int
    /// `srcset` of the fallback format; nil for a single variant, GIF or SVG.
    var srcset: String?
    var sizes: String
    /// One `<source>` per other format, best first.
    var sources: [Source]
    /// `background-color:…;background-image:url(data:…)` shown until the image loads.
    var style: String?

    struct Source: Encodable, Equatable {
      var type: String
      var srcset: String
    }

    /// `basePath` (`/blog` for a site served from `/blog/`) goes in front of every URL.
    init?(_ image: RenderedImage, sizes: String, basePath: String) {
      guard let largest = image.fallback.last else { return nil }
      src = PictureMarkup.encode(basePath + largest.urlPath)
      width = largest.width
      height = largest.height
      self.sizes = sizes
      if image.fallbackHasSrcset {
        srcset = RenderedImage.srcset(image.fallback) { PictureMarkup.encode(basePath + $0.urlPath) }
      }
      sources = image.formats.dropLast().map {
        Source(
          type: $0.mimeType,
          srcset: RenderedImage.srcset(image.candidates($0)) { PictureMarkup.encode(basePath + $0.urlPath) })
      }
      style = image.placeholder?.style
    }
  }

  struct VideoEntry: Encodable, Equatable {
    var id: String
    var title: String?
    var author: String?
    var watchURL: String
    /// YouTube refuses to embed it: the facade is a plain link.
    var unavailable: Bool
    /// Key of the poster in `images.json`.
    var poster: String?
  }

  private static func encode(_ value: some Encodable) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(value)
    data.append(0x0A)
    return data
  }

  // MARK: Templates (Go html/template, as Hugo 0.111 runs them)

  /// The templates, as paths under `output/`: each is the file of that path under
  /// `Resources/hugo/` in this package, written out byte for byte.
  ///
  /// - `layouts/partials/vignette/image.html`: `partial "vignette/image.html" "/images/x.1920w.1a2b3c4d.jpg"`
  ///   → the data entry, or false (also for anything that is not a string);
  /// - `layouts/partials/vignette/eager.html`: `partial "vignette/eager.html" (dict "page" .Page
  ///   "src" $url "kind" "markdown" "ordinal" .Ordinal)` → whether this is the page's first
  ///   image (`data/vignette/first.json`);
  /// - `layouts/partials/vignette/picture.html`: `<picture>` for a URL Vignette rewrote;
  /// - `layouts/_default/_markup/render-image.html`: markdown images through that partial;
  /// - `layouts/shortcodes/figure.html`: Hugo's own `figure` (same parameters and markup),
  ///   with `<picture>` in place of `<img>` for the images Vignette processed;
  /// - `layouts/shortcodes/youtube.html`: the facade of `VideoFacade.html`, from the data.
  static let templates = [
    "layouts/partials/vignette/image.html",
    "layouts/partials/vignette/eager.html",
    "layouts/partials/vignette/picture.html",
    "layouts/_default/_markup/render-image.html",
    "layouts/shortcodes/figure.html",
    "layouts/shortcodes/youtube.html",
  ]

  /// The bytes of the template at `path` (under `output/`), from the package's resources.
  static func template(_ path: String) throws -> Data {
    guard let folder = Bundle.module.resourceURL?.appendingPathComponent("hugo"),
      let data = FileManager.default.contents(atPath: folder.appendingPathComponent(path).path)
    else {
      throw CocoaError(
        .fileReadNoSuchFile,
        userInfo: [NSLocalizedDescriptionKey: "Vignette's Hugo template \(path) is missing from its resources"])
    }
    return data
  }
}
