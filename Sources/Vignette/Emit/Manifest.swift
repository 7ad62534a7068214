import Foundation

/// `output/manifest.json`: a machine-readable record of the build. Paths are relative to
/// `output/`, sources relative to the project folder; lists are sorted and there are no
/// timestamps, so two builds of the same input are byte-identical.
public struct Manifest: Codable, Sendable, Equatable {
  public var version = 1
  public var images: [Image] = []
  public var posts: [Post] = []
  public var videos: [Video] = []

  public struct Image: Codable, Sendable, Equatable {
    public var source: String
    public var width: Int
    public var height: Int
    public var hash: String
    public var variants: [Variant]
    public var placeholder: Placeholder?
    /// How the source was handled when that is not the usual way (an animation copied
    /// unchanged, the source served itself).
    public var note: String? = nil
    /// True when the source file itself (stripped of metadata) is one of the candidates,
    /// because every variant at its width was heavier; `note` says so. Absent otherwise.
    public var servedSource: Bool? = nil
  }

  public struct Variant: Codable, Sendable, Equatable {
    public var path: String
    public var url: String
    public var width: Int
    public var height: Int
    public var format: VariantFormat
    public var bytes: Int
  }

  public struct Post: Codable, Sendable, Equatable {
    public var source: String
    public var output: String
    public var html: String
    public var references: [Reference]
  }

  public struct Reference: Codable, Sendable, Equatable {
    public var kind: Vignette.Reference.Kind
    public var line: Int
    public var column: Int
    public var target: String
    public var resolved: String?
    public var status: ResolvedTarget.Status
    public var message: String?
  }

  public struct Video: Codable, Sendable, Equatable {
    public var id: String
    public var title: String?
    public var author: String?
    public var authorURL: String?
    public var thumbnail: Image?
    /// True when YouTube refused the video (401, 403, 404) and the page links to it instead
    /// of embedding it; absent otherwise.
    public var unavailable: Bool?
  }

  public func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(self)
    data.append(0x0A)
    return data
  }
}

extension Manifest.Image {
  /// `basePath` (`/blog` for a site served from `/blog/`) goes in front of each variant's URL;
  /// `layout` says where under the output folder the variants are.
  init(source: String, image: SourceImage, rendered: RenderedImage, basePath: String, layout: OutputLayout) {
    self.init(
      source: source, width: rendered.width, height: rendered.height, hash: image.hash,
      variants: rendered.variants.map {
        Manifest.Variant(
          path: layout.path(ofVariantAt: $0.urlPath), url: basePath + $0.urlPath, width: $0.width,
          height: $0.height, format: $0.format, bytes: $0.bytes)
      }, placeholder: rendered.placeholder, note: rendered.note,
      servedSource: rendered.servedSourceJoins != nil ? true : nil)
  }
}

extension Manifest {
  /// The manifest of a build, derived from its outcome; `basePath` goes in front of every
  /// variant URL.
  init<F: FrontEnd>(
    _ build: BuildOutcome<F.Document>, frontEnd: F, display: (String) -> String, basePath: String = ""
  ) {
    let layout = frontEnd.layout
    images = Self.images(of: build).map { _, rendered in
      Image(
        source: display(rendered.source.file), image: rendered.source, rendered: rendered.image, basePath: basePath,
        layout: layout)
    }
    posts = build.documents.map { Post($0, paths: frontEnd.outputPaths(of: $0.document), display: display) }
    videos = Self.videos(of: build, basePath: basePath, layout: layout)
  }

  /// The images the manifest lists (videos' posters are listed with their videos), by key.
  private static func images<Document>(of build: BuildOutcome<Document>) -> [(key: String, value: RenderedSource)] {
    let posterFiles = Set(build.posters.values)
    return build.images.sorted { $0.key < $1.key }.filter { !posterFiles.contains($0.key) }
  }

  private static func videos<Document>(of build: BuildOutcome<Document>, basePath: String, layout: OutputLayout)
    -> [Video]
  {
    build.videos.values.sorted { $0.id < $1.id }.map { video in
      Video(
        id: video.id, title: video.title, author: video.author, authorURL: video.authorURL,
        thumbnail: build.posters[video.id].flatMap { build.images[$0] }.map {
          Image(
            source: video.posterURL ?? video.posterURLPath, image: $0.source, rendered: $0.image, basePath: basePath,
            layout: layout)
        },
        unavailable: video.unavailable ? true : nil)
    }
  }

  /// The bytes `Manifest(build, …).encoded()` gives, made from one piece per image and per
  /// document (`SitePieces`): watch mode encodes again only the pieces whose inputs changed.
  static func encoded<F: FrontEnd>(
    _ build: BuildOutcome<F.Document>, frontEnd: F, display: (String) -> String, basePath: String,
    pieces: SitePieces
  ) throws -> Data {
    var bytes: [UInt8] = []
    try write(build, frontEnd: frontEnd, display: display, basePath: basePath, pieces: pieces) { bytes += $0 }
    return Data(bytes)
  }

  /// The same bytes, handed to `output` a piece at a time: each document's entry is encoded
  /// as it is written, so a site of any size never has its whole manifest in memory.
  static func write<F: FrontEnd>(
    _ build: BuildOutcome<F.Document>, frontEnd: F, display: (String) -> String, basePath: String,
    pieces: SitePieces, to output: ([UInt8]) throws -> Void
  ) throws {
    let layout = frontEnd.layout
    let encoder = PrettyJSON.encoder()
    let images = try Self.images(of: build).compactMap { key, rendered in
      try pieces.image(.manifestImage, key, source: rendered.source, rendered: rendered.image) {
        let image = Image(
          source: display(rendered.source.file), image: rendered.source, rendered: rendered.image, basePath: basePath,
          layout: layout)
        return SitePieces.Piece(key: key, bytes: try PrettyJSON.element(image, depth: 2, with: encoder))
      }?.bytes
    }
    // The members in `.sortedKeys` order.
    try output(Array("{\n  \"images\" : ".utf8))
    try output(PrettyJSON.array(images, depth: 1))
    try output(Array(",\n  \"posts\" : ".utf8))
    try output(PrettyJSON.open)
    var first = true
    for outcome in build.documents {
      let piece = try pieces.document(.manifestPost, outcome.document.relativePath) {
        let post = Post(outcome, paths: frontEnd.outputPaths(of: outcome.document), display: display)
        return SitePieces.Piece(key: "", bytes: try PrettyJSON.element(post, depth: 2, with: encoder))
      }
      guard let piece else { continue }
      if !first { try output(PrettyJSON.separator) }
      first = false
      try output(piece.bytes)
    }
    try output(PrettyJSON.close(depth: 1))
    try output(Array(",\n  \"version\" : \(Manifest().version),\n".utf8))
    try output(
      PrettyJSON.member("videos", Self.videos(of: build, basePath: basePath, layout: layout), depth: 1, with: encoder))
    try output(Array("\n}\n".utf8))
  }
}

extension Manifest.Post {
  /// The entry of one document whose outputs are at `paths`.
  init<Document>(_ outcome: DocumentOutcome<Document>, paths: OutputPaths, display: (String) -> String) {
    self.init(
      source: display(outcome.document.path), output: paths.output, html: paths.html,
      references: outcome.references.map { item in
        let reference = item.reference
        return Manifest.Reference(
          kind: reference.kind, line: reference.line, column: reference.column, target: reference.target,
          resolved: item.file.map(display) ?? item.video?.watchURL, status: item.status, message: item.message)
      })
  }
}
