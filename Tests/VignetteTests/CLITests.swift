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

  @Test("check names each out-of-date output file, where it differs and what it is made from, and counts them")
  func checkNamesStaleOutput() async throws {
    // Markdown mode: a hand edit on line 3 of a rewritten post, a variant gone, a file left over.
    let site = try RealContentTests.site()
    try site.write("assets/posts/p.md", "# P\n\n![A](/images/a.jpg)\n")
    #expect(try await site.build().errors == 0)
    let content = try #require(site.read("output/content/p.md"))
    try site.write("output/content/p.md", content.replacingOccurrences(of: "![A]", with: "![B]"))
    let variant = try #require(try site.manifest().images.first?.variants.last)
    try FileManager.default.removeItem(atPath: site.path("output/" + variant.path))
    try site.write("output/html/old.html", "left over\n")
    let result = try await CLI.run(["check"], in: site.root)
    #expect(result.status == 1)
    #expect(
      result.stderr.split(separator: "\n").filter { $0.contains(": error: ") }.sorted() == [
        "output/content/p.md:3:3: error: out of date (made from assets/posts/p.md); `vignette build` writes it anew",
        "output/html/old.html:1:1: error: no longer produced by the build; `vignette build` removes it",
        "output/\(variant.path):1:1: error: missing (made from assets/images/a.jpg); `vignette build` writes it anew",
      ], "\(result.stderr)")
    #expect(!result.stderr.contains("pipeline.json"), "\(result.stderr)")
    #expect(result.stdout.contains("; 3 errors, 0 warnings"), "\(result.stdout)")
    #expect(try await CLI.run(["check", "--skip-output"], in: site.root).status == 0)

    // Site mode: the generator wrote a page again, and a variant is gone.
    let generated = try TestSite(#function + "-site")
    try generated.write("content/posts/a.md", "# A\n")
    try generated.image("public/images/wide.jpg", width: 300, height: 200)
    let page = "<p>A</p>\n<img src=\"/images/wide.jpg\" alt=\"x\">\n"
    try generated.write("public/posts/a/index.html", page)
    let build = try await CLI.run(["build", "--site", "public", "--offline"], in: generated.root)
    #expect(build.status == 0, "\(build.stderr)")
    try generated.write("public/posts/a/index.html", page)
    let variants = FileSystem.files(under: generated.path("public/images")).filter { $0 != "wide.jpg" }
    let gone = try #require(variants.first)
    try FileManager.default.removeItem(atPath: generated.path("public/images/" + gone))
    let check = try await CLI.run(["check", "--site", "public"], in: generated.root)
    #expect(check.status == 1)
    #expect(
      check.stderr.split(separator: "\n").filter { $0.contains(": error: ") }.sorted() == [
        "public/images/\(gone):1:1: error: missing (made from public/images/wide.jpg); `vignette build --site` writes it anew",
        "public/posts/a/index.html:2:2: error: out of date (made from content/posts/a.md); `vignette build --site` writes it anew",
      ], "\(check.stderr)")
    #expect(check.stdout.contains("; 2 errors, 0 warnings"), "\(check.stdout)")
  }
}
