import Foundation

/// `pipeline.json`, version 1. Every key has a default, so `{}` is a valid config; unknown
/// keys, wrong types and impossible values are errors that name the key path.
public struct PipelineConfig: Sendable, Equatable {
  public var version = 1
  /// Folder of posts, searched recursively.
  public var content = "assets/posts"
  /// Where site-absolute paths such as `/images/x.png` are looked up, in order.
  public var assetRoots = ["assets", "static"]
  /// Whether `assetRoots` was written in the file (a missing folder is then an error).
  public var assetRootsGiven = false
  /// All generated files go here and nowhere else.
  public var output = "output"
  /// Content-addressed build cache, outside `output`.
  public var cache = ".vignette-cache"
  public var images = ImageSettings()
  public var youtube = YouTubeSettings()
  /// Front-matter keys that hold images, on top of the standard ones.
  public var frontMatterImageKeys: [String] = []
  /// Site mode: the generator's output folder (`public`), rewritten in place after it builds.
  public var site: String?
  /// Where the site is served (`https://example.com/blog/` or `/blog/`). Markdown mode puts
  /// its path in front of every variant URL (unset: the Hugo config's `baseURL`, if any).
  /// Site mode: otherwise each page's `<link rel=canonical>` or `<base href>` tells, and
  /// root-relative URLs are taken as `/`.
  public var baseURL: String?
  /// The shared HTTP cache behind the local one; none by default.
  public var remoteCache: RemoteCacheSettings?

  public init() {}

  public static func == (a: Self, b: Self) -> Bool {
    a.version == b.version && a.content == b.content && a.assetRoots == b.assetRoots && a.output == b.output
      && a.cache == b.cache && a.images == b.images && a.youtube == b.youtube
      && a.frontMatterImageKeys == b.frontMatterImageKeys && a.remoteCache == b.remoteCache && a.baseURL == b.baseURL
  }
}

/// The `remoteCache` section: an HTTP cache in the Bazel remote-cache layout (`/cas/<sha256>`
/// for variant bytes, `/ac/<key>` for render records). The auth header never comes from here,
/// only from the `VIGNETTE_REMOTE_CACHE_HEADER` environment variable.
public struct RemoteCacheSettings: Sendable, Equatable {
  /// Base URL, `http` or `https`; `/cas/…` and `/ac/…` are appended to its path.
  public var url: String
  /// Download only, never upload (builds of untrusted code, such as pull requests from forks).
  public var readOnly = false

  public init(url: String, readOnly: Bool = false) {
    self.url = url
    self.readOnly = readOnly
  }

  /// Why `url` cannot be a remote cache's base URL, or nil when it can.
  public static func problem(url: String) -> String? {
    guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
      let host = parsed.host, !host.isEmpty
    else { return "must be an http or https URL, found \"\(url)\"" }
    guard parsed.query == nil, parsed.fragment == nil else {
      return "must not have a query or fragment, found \"\(url)\""
    }
    guard parsed.user == nil, parsed.password == nil else {
      return "must not carry credentials; set VIGNETTE_REMOTE_CACHE_HEADER instead"
    }
    return nil
  }
}

/// The `images` section.
public struct ImageSettings: Sendable, Equatable, Hashable {
  /// Target widths; never upscaled, and the source width is added when smaller than the largest.
  public var widths = [480, 960, 1440, 1920]
  /// Output formats in `<source>` order; the last is the `<img>` fallback.
  public var formats: [OutputFormat] = [.avif, .webp, .auto]
  public var quality = Quality()
  public var effort = Effort()
  /// The `sizes` attribute written next to every `srcset`.
  public var sizes = "(min-width: 768px) 768px, 100vw"
  /// Images with more pixels than this are refused before decoding.
  public var maxPixels = 100_000_000
  /// libvips loaders to use beyond the web formats (JPEG, PNG, WebP, GIF, HEIF/AVIF, SVG,
  /// TIFF), such as `jp2k`: names from `VipsLibrary.optionalLoaders`. Off by default, since
  /// their libraries have crashed or hung libvips 8.14 on real files.
  public var loaders: [String] = []

  public init() {}

  public struct Quality: Sendable, Equatable, Hashable {
    public var avif = 50
    public var webp = 80
    public var jpeg = 80
    public init() {}
  }

  /// Encoder effort: WebP 0–6, AVIF 0–9 (higher is slower and smaller).
  public struct Effort: Sendable, Equatable, Hashable {
    public var avif = 2
    public var webp = 4
    public init() {}
  }
}

/// A configured output format. `auto` is JPEG for opaque images and PNG for images with alpha.
public enum OutputFormat: String, Sendable, CaseIterable, Codable, Hashable {
  case avif, webp, jpeg, png, auto
}

/// The `youtube` section.
public struct YouTubeSettings: Sendable, Equatable {
  public var oembed = "https://www.youtube.com/oembed"
  public var thumbnails = "https://i.ytimg.com/vi"
  /// Committed metadata, so CI builds need no network.
  public var lockfile = "vignette.lock.json"
  /// Use only the lockfile and the cache; never touch the network.
  public var offline = false
  public init() {}
}

/// A problem with `pipeline.json` itself: exit status 2.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
  public var file: String
  /// Dotted key path, such as `images.widths[1]`; empty for the whole file.
  public var keyPath: String
  public var message: String

  public var description: String {
    keyPath.isEmpty ? "\(file): error: \(message)" : "\(file): error: \(keyPath): \(message)"
  }
}
