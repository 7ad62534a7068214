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
    firstImages: [String: FirstImage] = [:]
  ) throws -> [(String, Data)] {
    var imageData: [String: ImageEntry] = [:]
    for image in images {
      if let url = MarkdownRewriter.fallbackURL(image), let entry = ImageEntry(image, sizes: sizes) {
        imageData[url] = entry
      }
    }
    var videoData: [String: VideoEntry] = [:]
    for video in videos {
      var entry = VideoEntry(
        id: video.id, title: video.title, author: video.author, watchURL: video.watchURL, unavailable: video.unavailable
      )
      if let poster = video.poster, let url = MarkdownRewriter.fallbackURL(poster),
        let data = ImageEntry(poster, sizes: sizes)
      {
        entry.poster = url
        imageData[url] = data
      }
      videoData[video.id] = entry
    }
    var files: [(String, Data)] = [
      ("data/vignette/images.json", try encode(imageData)),
      ("data/vignette/videos.json", try encode(videoData)),
      ("data/vignette/first.json", try encode(firstImages)),
      ("layouts/partials/vignette/image.html", Data(imagePartial.utf8)),
      ("layouts/partials/vignette/eager.html", Data(eagerPartial.utf8)),
      ("layouts/partials/vignette/picture.html", Data(picturePartial.utf8)),
      ("layouts/_default/_markup/render-image.html", Data(renderImageHook.utf8)),
      ("layouts/shortcodes/figure.html", Data(figureShortcode.utf8)),
      ("layouts/shortcodes/youtube.html", Data(youtubeShortcode.utf8)),
    ]
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

  /// For each post (by its path under the content folder), its first processed figure or
  /// markdown image.
  static func firstImages(_ posts: [DocumentOutcome<ScannedPost>]) -> [String: FirstImage] {
    var result: [String: FirstImage] = [:]
    for outcome in posts {
      let post = outcome.document
      let markdown = post.references.filter { $0.kind == .markdown }
      let ordinals = shortcodeOrdinals(post.tokens)
      for item in outcome.references where item.reference.kind == .figure || item.reference.kind == .markdown {
        let reference = item.reference
        guard reference.targetRange != nil, let image = item.image, let src = MarkdownRewriter.fallbackURL(image)
        else { continue }
        let ordinal =
          reference.kind == .markdown
          ? markdown.firstIndex(of: reference) : reference.shortcode.flatMap { ordinals[$0.range.lowerBound] }
        if let ordinal {
          result[post.relativePath] = FirstImage(src: src, kind: reference.kind.rawValue, ordinal: ordinal)
        }
        break
      }
    }
    return result
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

    init?(_ image: RenderedImage, sizes: String) {
      guard let largest = image.fallback.last else { return nil }
      src = PictureMarkup.encode(largest.urlPath)
      width = largest.width
      height = largest.height
      self.sizes = sizes
      if image.fallbackHasSrcset { srcset = RenderedImage.srcset(image.fallback) { PictureMarkup.encode($0.urlPath) } }
      sources = image.formats.dropLast().map {
        Source(
          type: $0.mimeType, srcset: RenderedImage.srcset(image.candidates($0)) { PictureMarkup.encode($0.urlPath) })
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

  /// `partial "vignette/image.html" "/images/x.1920w.1a2b3c4d.jpg"` → the data entry, or false
  /// (also for anything that is not a string).
  static let imagePartial = """
    {{- /* Generated by Vignette. The images.json entry for a URL, or false. */ -}}
    {{- $entry := false -}}
    {{- $url := . -}}
    {{- if eq (printf "%T" $url) "string" -}}
    {{- with site.Data.vignette -}}{{- with .images -}}{{- with index . $url -}}{{- $entry = . -}}{{- end -}}{{- end -}}{{- end -}}
    {{- end -}}
    {{- return $entry -}}

    """

  /// `partial "vignette/eager.html" (dict "page" .Page "src" $url "kind" "markdown" "ordinal" .Ordinal)`:
  /// whether this is the page's first image (`data/vignette/first.json`).
  static let eagerPartial = """
    {{- /* Generated by Vignette. Whether this image is the first figure or markdown image of its page. */ -}}
    {{- $eager := false -}}
    {{- with .page.File -}}
    {{- $path := .Path -}}
    {{- with site.Data.vignette -}}{{- with .first -}}{{- with index . $path -}}
    {{- $eager = and (eq .src $.src) (eq .kind $.kind) (eq (int .ordinal) (int $.ordinal)) -}}
    {{- end -}}{{- end -}}{{- end -}}
    {{- end -}}
    {{- return $eager -}}

    """

  static let picturePartial = """
    {{- /* Generated by Vignette. A <picture> for a URL Vignette rewrote; a plain <img> for any other.
      Context: the URL, or a map with "src" (or "image", as in a `cover` table) and optional "alt",
      "title", "class", "eager". */ -}}
    {{- $args := . -}}
    {{- if eq (printf "%T" .) "string" -}}{{- $args = dict "src" . -}}{{- end -}}
    {{- $src := or $args.src $args.image -}}
    {{- with partial "vignette/image.html" $src -}}
    {{- $image := . -}}
    <picture>
    {{- range .sources -}}<source type="{{ .type }}" srcset="{{ .srcset }}" sizes="{{ $image.sizes }}">{{- end -}}
    <img src="{{ .src }}"
    {{- with .srcset }} srcset="{{ . }}" sizes="{{ $image.sizes }}"{{ end }} width="{{ .width }}" height="{{ .height }}" alt="{{ $args.alt }}"
    {{- with $args.title }} title="{{ . }}"{{ end -}}
    {{- with $args.class }} class="{{ . }}"{{ end -}}
    {{- if $args.eager }} fetchpriority="high"{{ else }} loading="lazy"{{ end }} decoding="async"
    {{- with .style }} style="{{ . | safeCSS }}" onload="this.style.background='none'"{{ end -}}
    ></picture>
    {{- else -}}
    <img src="{{ $src }}" alt="{{ $args.alt }}"{{ with $args.title }} title="{{ . }}"{{ end }}{{ with $args.class }} class="{{ . }}"{{ end }}>
    {{- end -}}

    """

  static let renderImageHook = """
    {{- /* Generated by Vignette: markdown images as <picture> when Vignette processed them. */ -}}
    {{- if partial "vignette/image.html" .Destination -}}
    {{- $eager := partial "vignette/eager.html" (dict "page" .Page "src" .Destination "kind" "markdown" "ordinal" .Ordinal) -}}
    {{- partial "vignette/picture.html" (dict "src" .Destination "alt" .PlainText "title" .Title "eager" $eager) -}}
    {{- else -}}
    <img src="{{ .Destination | safeURL }}" alt="{{ .PlainText }}"{{ with .Title }} title="{{ . }}"{{ end }}>
    {{- end -}}

    """

  /// Hugo's own `figure` (same parameters and markup), with `<picture>` in place of `<img>`
  /// for the images Vignette processed.
  static let figureShortcode = """
    {{- /* Generated by Vignette: Hugo's figure shortcode with <picture> for processed images. */ -}}
    {{- $src := .Get "src" -}}
    {{- $alt := "" -}}
    {{- with .Get "alt" }}{{ $alt = . }}{{ else }}{{ with $.Get "caption" }}{{ $alt = . | markdownify | plainify }}{{ end }}{{ end -}}
    <figure{{ with .Get "class" }} class="{{ . }}"{{ end }}>
    {{- if .Get "link" -}}
    <a href="{{ .Get "link" }}"{{ with .Get "target" }} target="{{ . }}"{{ end }}{{ with .Get "rel" }} rel="{{ . }}"{{ end }}>
    {{- end -}}
    {{- if partial "vignette/image.html" $src -}}
    {{- partial "vignette/picture.html" (dict "src" $src "alt" $alt "eager" (partial "vignette/eager.html" (dict "page" .Page "src" $src "kind" "figure" "ordinal" .Ordinal))) -}}
    {{- else -}}
    <img src="{{ $src }}"
    {{- if or (.Get "alt") (.Get "caption") }} alt="{{ $alt }}"{{ end -}}
    {{- with .Get "width" }} width="{{ . }}"{{ end -}}
    {{- with .Get "height" }} height="{{ . }}"{{ end -}}
    {{- with .Get "loading" }} loading="{{ . }}"{{ end -}}
    >
    {{- end -}}
    {{- if .Get "link" }}</a>{{ end -}}
    {{- if or (or (.Get "title") (.Get "caption")) (.Get "attr") -}}
    <figcaption>
    {{- with .Get "title" }}<h4>{{ . }}</h4>{{ end -}}
    {{- if or (.Get "caption") (.Get "attr") -}}<p>
    {{- .Get "caption" | markdownify -}}
    {{- with .Get "attrlink" }} <a href="{{ . }}">{{ else }}{{ with $.Get "attr" }} {{ end }}{{ end -}}
    {{- .Get "attr" | markdownify -}}
    {{- if .Get "attrlink" }}</a>{{ end -}}
    </p>
    {{- end -}}
    </figcaption>
    {{- end -}}
    </figure>

    """

  /// The click-to-play facade of `VideoFacade.html` (same markup and classes), from
  /// `data/vignette/videos.json`; a video YouTube refuses is a plain link, as there.
  static let youtubeShortcode = """
    {{- /* Generated by Vignette: a click-to-play facade; nothing loads from YouTube before a click. */ -}}
    {{- $id := or (.Get "id") (.Get 0) -}}
    {{- $video := dict -}}
    {{- with site.Data.vignette }}{{ with .videos }}{{ with index . $id }}{{ $video = . }}{{ end }}{{ end }}{{ end -}}
    {{- $title := or $video.title (.Get "title") "YouTube video" -}}
    {{- $start := int (or (.Get "start") 0) -}}
    {{- $end := int (or (.Get "end") 0) -}}
    {{- $link := printf "https://www.youtube.com/watch?v=%s" $id -}}
    {{- if gt $start 0 }}{{ $link = printf "%s&t=%ds" $link $start }}{{ end -}}
    <link rel="stylesheet" href="{{ "vignette/video.css" | relURL }}"><script src="{{ "vignette/video.js" | relURL }}" defer></script>
    <figure class="vignette-video{{ if $video.unavailable }} vignette-video--link{{ end }}"><div class="vignette-video__frame"><a class="vignette-video__link" href="{{ $link }}"
    {{- if $video.unavailable }} aria-label="Watch on YouTube: {{ $title }}">
    {{- else }} data-vignette-video="{{ $id }}"
    {{- if gt $start 0 }} data-start="{{ $start }}"{{ end }}{{ if gt $end 0 }} data-end="{{ $end }}"{{ end }} data-title="{{ or (.Get "title") $video.title "YouTube video" }}" aria-label="Play: {{ $title }}">
    {{- end -}}
    {{- with $video.poster -}}
    {{- partial "vignette/picture.html" (dict "src" . "alt" "" "class" "vignette-video__poster") -}}
    {{- else -}}
    <span class="vignette-video__blank"></span>
    {{- end -}}
    {{- if not $video.unavailable }}<span class="vignette-video__play" aria-hidden="true"></span>{{ end -}}
    <span class="vignette-video__title" dir="auto">{{ $title }}</span></a></div>
    {{- /**/ -}}
    <figcaption><a href="{{ $link }}">Watch “<bdi>{{ $title }}</bdi>” on YouTube</a></figcaption></figure>

    """
}
