import Foundation
import Testing
import Vips

@testable import Vignette

@Suite("building the example site")
struct ExampleBuildTests {
  @Test("every manifest entry is true to the file it names")
  func manifestIsTrue() async throws {
    let site = try TestSite.example()
    let report = try await site.build()
    #expect(!report.diagnostics.hasErrors, "\(report.diagnostics)")
    let manifest = try site.manifest()
    #expect(manifest.images.map(\.source) == ["assets/images/lookBack.png", "assets/images/lookBackAlbum.png"])
    let expected: [String: (Int, Int, [Int])] = [
      "assets/images/lookBack.png": (1920, 1080, [480, 960, 1440, 1920]),
      // The album is flat artwork: its 960w JPEG (40 kB) is heavier than the 33 kB source,
      // which is served at 1200w in place of that width's 57 kB JPEG.
      "assets/images/lookBackAlbum.png": (1200, 1200, [480, 1200]),
    ]
    for image in manifest.images {
      let (width, height, widths) = try #require(expected[image.source])
      #expect(image.width == width && image.height == height)
      let data = try Data(contentsOf: URL(fileURLWithPath: site.path(image.source)))
      #expect(image.hash == Checksum.sha256(data))
      #expect(image.placeholder?.color.hasPrefix("#") == true)
      // The fallback (JPEG: the pictures are opaque) exists at every width, the source itself
      // where the JPEG would be heavier than it (the album is flat artwork); AVIF and WebP at
      // every width where they are not larger than the fallback.
      #expect(Self.fallback(image).map(\.width) == widths)
      if image.servedSource == true {
        #expect(image.variants.allSatisfy { $0.bytes <= data.count }, "\(image.variants)")
      }
      for variant in image.variants {
        let path = site.path("output/" + variant.path)
        #expect(variant.path == "static" + variant.url)
        let header = try ImageHeader(path: path)
        #expect(header.width == variant.width && header.height == variant.height, "\(variant.path)")
        #expect(header.loader.hasPrefix(Self.loader(variant.format)), "\(variant.path) is \(header.loader)")
        #expect(FileSystem.stamp(path)?.size == Int64(variant.bytes))
        try VipsImage.verifyDecodes(path: path)
        #expect(header.bands == 3)
        #expect(!header.hasICCProfile)
      }
    }
    #expect(manifest.posts.count == 1)
    let post = try #require(manifest.posts.first)
    #expect(post.source == "assets/posts/look-back.md")
    #expect(post.output == "content/look-back.md")
    #expect(post.references.map(\.kind) == [.figure, .figure, .youtube, .youtube])
    #expect(post.references.filter { $0.kind == .figure }.allSatisfy { $0.status == .ok })
    #expect(manifest.videos.map(\.id) == ["GBl2DSOL7bw", "qnY9NL0E5ZM"])
  }

  /// The `<img>`'s candidates: the JPEGs, and the source file where it is served itself.
  static func fallback(_ image: Manifest.Image) -> [Manifest.Variant] {
    image.variants.filter {
      $0.format == .jpeg || image.servedSource == true && $0.format == .png && $0.width == image.width
    }.sorted { $0.width < $1.width }
  }

  static func loader(_ format: VariantFormat) -> String {
    switch format {
    case .avif: "heifload"
    case .jpeg: "jpegload"
    default: format.rawValue + "load"
    }
  }

  @Test("the rewritten post differs from the source only inside the figure targets")
  func rewriteTouchesOnlyTargets() async throws {
    let site = try TestSite.example()
    try await site.build()
    let source = try #require(site.read("assets/posts/look-back.md"))
    let output = try #require(site.read("output/content/look-back.md"))
    let manifest = try site.manifest()
    var expected = source
    for image in manifest.images {
      let fallback = try #require(Self.fallback(image).last)
      expected = expected.replacingOccurrences(
        of: "\"/" + image.source.dropFirst("assets/".count) + "\"", with: "\"\(fallback.url)\"")
    }
    #expect(output == expected)
    #expect(output != source)
  }

  @Test("the HTML page shows each figure as a responsive picture")
  func htmlPage() async throws {
    let site = try TestSite.example()
    try await site.build()
    let html = try #require(site.read("output/html/look-back.html"))
    #expect(html.components(separatedBy: "<figure><picture>").count - 1 == 2)
    #expect(html.contains("<source type=\"image/avif\" srcset=\"../static/images/lookBack.480w."))
    #expect(html.contains("<source type=\"image/webp\""))
    #expect(html.contains("sizes=\"(min-width: 768px) 768px, 100vw\""))
    #expect(html.contains("width=\"1920\" height=\"1080\" alt=\"alt text\" fetchpriority=\"high\" decoding=\"async\""))
    #expect(html.contains("width=\"1200\" height=\"1200\" alt=\"alt text\" loading=\"lazy\" decoding=\"async\""))
    #expect(html.contains("<title>Look Back</title>"))
    #expect(html.contains("data-vignette-video=\"qnY9NL0E5ZM\""))
    #expect(!html.contains("{{<"))
    // Every URL in the page points at a file that exists, relative to the page.
    let urls = html.matches(of: /\.\.\/static\/[^" ,]+/).map { String($0.output) }
    #expect(urls.count > 10)
    for url in Set(urls) {
      #expect(FileSystem.isFile(site.path("output/html/" + url)), "\(url)")
    }
  }

  @Test("a second build with nothing changed encodes nothing and writes nothing")
  func secondBuildIsNoOp() async throws {
    let site = try TestSite.example()
    let first = try await site.build()
    #expect(first.rendered == 2)
    let manifest = try Data(contentsOf: URL(fileURLWithPath: site.path("output/manifest.json")))
    let second = try await site.build()
    #expect(second.rendered == 0)
    #expect(second.reused == 2)
    #expect(second.written == 0)
    #expect(try Data(contentsOf: URL(fileURLWithPath: site.path("output/manifest.json"))) == manifest)
  }

  @Test("a build from a clean cache gives byte-identical output")
  func reproducible() async throws {
    let site = try TestSite.example()
    try await site.build()
    let first = try Self.snapshot(site.path("output"))
    try FileManager.default.removeItem(atPath: site.path("output"))
    try FileManager.default.removeItem(atPath: site.path(".vignette-cache"))
    try await site.build()
    #expect(try Self.snapshot(site.path("output")) == first)
  }

  @Test("a missing image is an error at its line; the rest of the site is still built")
  func missingImage() async throws {
    let site = try TestSite.example()
    try site.write("assets/posts/broken.md", "Text\n\n{{< figure src=\"/images/nope.png\" >}}\n")
    let report = try await site.build()
    #expect(
      report.diagnostics.map(\.description).contains(
        "assets/posts/broken.md:3:1: error: image \"/images/nope.png\" not found (looked for assets/images/nope.png and assets/posts/images/nope.png)"
      ))
    #expect(site.read("output/content/look-back.md") != nil)
    #expect(try site.manifest().images.count == 2)
  }

  @Test("outputs that no longer belong to any reference are removed")
  func staleOutputsRemoved() async throws {
    let site = try TestSite.example()
    try await site.build()
    let before = try site.manifest().images.flatMap(\.variants).map(\.path)
    try site.write("assets/posts/look-back.md", "Just text now.\n")
    let report = try await site.build()
    #expect(report.removed >= before.count)
    for path in before { #expect(!FileSystem.isFile(site.path("output/" + path))) }
  }

  static func snapshot(_ folder: String) throws -> [String: String] {
    var result: [String: String] = [:]
    for file in FileSystem.files(under: folder) {
      result[file] = Checksum.sha256(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file)))
    }
    return result
  }
}
