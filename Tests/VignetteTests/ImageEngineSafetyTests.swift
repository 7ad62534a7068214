import Foundation
import Testing
import Vips

@testable import Vignette

/// Hostile and broken sources, and the cache: the build names the post, line and file of each
/// bad image and goes on; a cache never hands back stale variants; outputs are reproducible.
@Suite("Image engine: safety and cache")
struct ImageEngineSafetyTests {
  @Test("libvips runs without liborc's compiled code, whose code memory races on 8.14 (it crashed render threads)")
  func noVectorCode() throws {
    try VipsLibrary.start()
    #expect(!VipsLibrary.usesVectorCode)
  }

  @Test("A header claiming 50000×50000 pixels is refused from the header, before any decode")
  func maxPixels() async throws {
    let site = try TestSite()
    try site.write("assets/images/bomb.png", Data(TestSources.headerOnlyPNG(width: 50_000, height: 50_000)))
    let header = try ImageHeader(path: site.path("assets/images/bomb.png"))
    #expect((header.width, header.height) == (50_000, 50_000))
    try site.image("assets/images/fine.jpg", width: 120, height: 80)
    try site.post(images: ["fine.jpg", "bomb.png"])
    try site.imageConfig(widths: [480], formats: ["webp", "jpeg"])
    let report = try await site.build()
    let errors = report.diagnostics.filter { $0.severity == .error }
    #expect(errors.count == 1)
    let error = try #require(errors.first)
    #expect(error.file == "assets/posts/post.md" && error.line == 3)
    // The file holds no pixels: a decode would have failed with a different message.
    #expect(error.message.contains("bomb.png") && error.message.contains("maxPixels"), "\(error.message)")
    #expect(try site.manifestImage("fine.jpg")?.variants.isEmpty == false)
  }

  @Test("Truncated, empty and non-image files each get an error naming post, line and file; the build goes on")
  func brokenFiles() async throws {
    let site = try TestSite()
    let jpeg = try TestSources.image(width: 300, height: 200) { x, y in (UInt8(x % 256), UInt8(y), 128, 255) }.saved(
      as: ".jpg[Q=90]")
    try site.write("assets/images/truncated.jpg", Data(jpeg.prefix(jpeg.count / 2)))
    try site.write("assets/images/empty.png", Data())
    try site.write("assets/images/notes.jpg", "these are my notes, not a picture\n")
    // Mislabelled: JPEG bytes in a file named .png. libvips sniffs the content, so it works.
    try site.write("assets/images/mislabelled.png", Data(jpeg))
    try site.image("assets/images/fine.jpg", width: 120, height: 80)
    let files = ["truncated.jpg", "empty.png", "notes.jpg", "mislabelled.png", "fine.jpg"]
    try site.post(images: files)
    try site.imageConfig(widths: [480], formats: ["webp", "jpeg"])
    let report = try await site.build()
    let errors = report.diagnostics.filter { $0.severity == .error }
    #expect(errors.count == 3, "\(report.diagnostics)")
    for (index, file) in files.prefix(3).enumerated() {
      let error = errors.first { $0.message.contains(file) }
      #expect(
        error?.file == "assets/posts/post.md" && error?.line == 2 * index + 1, "\(file): \(String(describing: error))")
    }
    #expect(errors.allSatisfy { $0.description.hasPrefix("assets/posts/post.md:") })
    let mislabelled = try #require(try site.manifestImage("mislabelled.png"))
    #expect((mislabelled.width, mislabelled.height) == (300, 200))
    #expect(Set(mislabelled.variants.map(\.format)) == [.webp, .jpeg])
    #expect(try site.manifestImage("fine.jpg")?.variants.isEmpty == false)
    #expect(site.read("output/content/post.md") != nil)
  }

  @Test("The cache reuses unchanged work and re-encodes when a setting or the source changes")
  func cacheKeys() async throws {
    let site = try TestSite()
    try site.image("assets/images/a.jpg", width: 640, height: 480)
    try site.post(images: ["a.jpg"])
    try site.imageConfig(widths: [320], formats: ["webp", "jpeg"], quality: "\"webp\": 80")
    #expect(try await site.build().rendered == 1)
    let first = try #require(try site.manifestImage("a.jpg"))
    let again = try await site.build()
    #expect((again.rendered, again.reused, again.written) == (0, 1, 0))
    // A changed setting: new variants, under new names.
    try site.imageConfig(widths: [320], formats: ["webp", "jpeg"], quality: "\"webp\": 60")
    let requality = try await site.build()
    #expect(requality.rendered == 1)
    let second = try #require(try site.manifestImage("a.jpg"))
    let webp = { (image: Manifest.Image) in image.variants.first { $0.format == .webp } }
    #expect(webp(first)?.path != webp(second)?.path)
    #expect(webp(first)?.bytes != webp(second)?.bytes)
    // A changed source with the same name, size and settings is rendered again.
    try site.write(
      "assets/images/a.jpg", Data(try TestSources.solid(width: 640, height: 480, 10, 200, 10).saved(as: ".jpg")))
    #expect(try await site.build().rendered == 1)
    #expect(try site.manifestImage("a.jpg")?.hash != second.hash)
  }

  @Test("Variants of images no post uses any more are removed; identical files keep their own names")
  func staleOutputs() async throws {
    let site = try TestSite()
    // Same bytes under two names: the cache shares the work, each keeps its own file names.
    try site.image("assets/images/keep.jpg", width: 200, height: 100)
    try site.image("assets/images/drop.jpg", width: 200, height: 100)
    try site.post(images: ["keep.jpg", "drop.jpg"])
    try site.imageConfig(widths: [480], formats: ["webp", "jpeg"])
    try await site.build()
    let before = FileSystem.files(under: site.path("output/static/images"))
    #expect(before.contains { $0.hasPrefix("drop.") })
    try site.post(images: ["keep.jpg"])
    let report = try await site.build()
    let after = FileSystem.files(under: site.path("output/static/images"))
    #expect(!after.contains { $0.hasPrefix("drop.") })
    #expect(after.contains { $0.hasPrefix("keep.") })
    #expect(report.removed == before.count - after.count)
  }

  @Test("Two builds of the same input, from cold caches and with different job counts, are byte-identical")
  func reproducible() async throws {
    let site = try TestSite()
    try site.image("assets/images/photo.jpg", width: 700, height: 400)
    try site.image("assets/images/cutout.png", width: 300, height: 300, alpha: true)
    try site.image("assets/images/small.webp", width: 200, height: 120)
    try site.post(images: ["photo.jpg", "cutout.png", "small.webp"])
    try site.imageConfig(widths: [160, 480], formats: ["avif", "webp", "auto"])
    try await site.build { $0.jobs = 1 }
    let first = try site.outputDigest()
    #expect(first.count > 10)
    try FileManager.default.removeItem(atPath: site.path("output"))
    try FileManager.default.removeItem(atPath: site.path(".vignette-cache"))
    try await site.build {
      $0.jobs = 3
      $0.vipsThreads = 2
    }
    #expect(try site.outputDigest() == first)
  }
}
