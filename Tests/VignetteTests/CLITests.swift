import Foundation
import Testing

@testable import Vignette

@Suite("the vignette command")
struct CLITests {
  @Test("build with no arguments builds ./pipeline.json; a second run encodes nothing")
  func buildAndRebuild() async throws {
    let site = try TestSite.example()
    let first = try await CLI.run(["build"], in: site.root)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout.contains("2 images rendered"))
    let second = try await CLI.run(["build"], in: site.root)
    #expect(second.status == 0)
    #expect(second.stdout.contains("nothing to encode (2 images reused from the cache)"))
    #expect(second.stdout.contains("0 files written"))
  }

  @Test(
    "a bad config exits 2 and names the key",
    arguments: [
      (#"{"images": {"widths": [0]}}"#, "pipeline.json: error: images.widths[0]: 0 is out of range"),
      (#"{"images": {"formats": ["bmp"]}}"#, "pipeline.json: error: images.formats[0]: unknown format \"bmp\""),
      (#"{"typo": true}"#, "pipeline.json: error: typo: unknown key"),
    ])
  func badConfig(json: String, message: String) async throws {
    let site = try TestSite()
    try site.config(json)
    let result = try await CLI.run(["build"], in: site.root)
    #expect(result.status == 2)
    #expect(result.stderr.contains(message), "\(result.stderr)")
  }

  @Test("bad usage exits 2")
  func badUsage() async throws {
    let site = try TestSite()
    #expect(try await CLI.run(["build", "--no-such-flag"], in: site.root).status == 2)
    #expect(try await CLI.run(["build", "--jobs", "0"], in: site.root).status == 2)
    #expect(try await CLI.run(["build", "--config", "missing.json"], in: site.root).status == 2)
  }

  @Test("a content problem exits 1 with FILE:LINE:COL, and the rest is still built")
  func contentProblem() async throws {
    let site = try TestSite.example()
    try site.write("assets/posts/bad.md", "One\n\nTwo ![x](/images/missing.png)\n")
    let result = try await CLI.run(["build"], in: site.root)
    #expect(result.status == 1)
    #expect(result.stderr.contains("assets/posts/bad.md:3:5: error: image \"/images/missing.png\" not found"))
    #expect(site.read("output/html/look-back.html") != nil)
  }

  @Test("the built binary writes the Hugo templates of its resources, byte for byte")
  func templatesFromResources() async throws {
    let site = try TestSite()
    try site.config()
    try site.image("assets/images/a.png", width: 40, height: 30)
    try site.write("assets/posts/p.md", TestSite.post("P", images: ["a.png"]))
    let result = try await CLI.run(["build"], in: site.root)
    #expect(result.status == 0, "\(result.stderr)")
    let resources = TestSite.repositoryRoot + "/Sources/Vignette/Resources/hugo/"
    let templates = FileSystem.files(under: resources)
    #expect(templates.count == HugoSupport.templates.count)
    for template in templates {
      let expected = try #require(FileManager.default.contents(atPath: resources + template))
      #expect(FileManager.default.contents(atPath: site.path("output/" + template)) == expected, "\(template)")
    }
  }
}
