import Foundation
import HTML
import Testing
import Vips

@testable import Vignette

/// `vignette build --site`: real pages, real libvips, a folder rewritten in place.
@Suite struct SiteBuildTests {
  static let home = """
    <!doctype html>
    <html><head><meta charset="utf-8"><title>Home</title>
    <meta property="og:image" content="https://example.com/blog/images/wide.jpg">
    </head><body>
    <p><img src="images/wide.jpg" alt="relative" class="theme-class" loading="lazy"></p>
    <a href="/blog/images/wide.jpg"><img src="/blog/images/alpha.png#center" alt="root-relative in a link"></a>
    <pre>&lt;img src="images/wide.jpg"&gt;</pre>
    </body></html>

    """

  static let post = """
    <!doctype html>
    <html><head><title>A post</title><link rel="canonical" href="https://example.com/blog/posts/a/"></head><body>
    <article><img src='https://example.com/blog/images/wide.jpg?v=1' alt='absolute'>
    <img src="https://cdn.example.org/x.jpg" alt="remote">
    <img src="../../images/missing.jpg" alt="missing"></article>
    </body></html>

    """

  /// A project with `content/posts/a.md` and a generated `public/` under the sub-path `/blog/`.
  func site(_ name: String = #function) throws -> TestSite {
    let site = try TestSite(name)
    try site.config(
      #"{"site": "public", "baseURL": "https://example.com/blog/", "youtube": {"offline": true}, "images": {"widths": [320, 640], "formats": ["webp", "auto"]}}"#
    )
    try site.write("content/posts/a.md", "# A post\n")
    try site.image("public/images/wide.jpg", width: 900, height: 600)
    try site.image("public/images/alpha.png", width: 700, height: 500, alpha: true)
    try site.write("public/index.html", Self.home)
    try site.write("public/posts/a/index.html", Self.post)
    return site
  }

  func digest(_ site: TestSite) throws -> [String: String] {
    var digest: [String: String] = [:]
    for relative in FileSystem.files(under: site.path("public")) {
      digest[relative] = Checksum.sha256(try Data(contentsOf: URL(fileURLWithPath: site.path("public/" + relative))))
    }
    return digest
  }

  @Test func rewritesThePagesInPlaceAndASecondRunChangesNothing() async throws {
    let site = try site()
    let report = try await site.build()
    #expect(report.pages == 2 && report.remote == 1)
    #expect(!report.diagnostics.hasErrors, "\(report.diagnostics)")
    #expect(
      report.diagnostics.map(\.description) == [
        "public/posts/a/index.html:5:1: warning: image \"../../images/missing.jpg\" not found in the site folder; left as written (page made from content/posts/a.md)"
      ])
    let home = try #require(site.read("public/index.html"))
    let document = HTMLDocument.parse(Array(home.utf8))
    let images = document.elements.indices.filter { document.elements[$0].tag == "img" }
    #expect(images.count == 2)
    for index in images {
      let img = document.elements[index]
      let picture = try #require(document.enclosing(index, "picture"), "\(img)")
      #expect(document.elements[picture].attribute("data-vignette") != nil)
      #expect(img["srcset"] != nil && img["width"] != nil && img["height"] != nil)
      for candidate in SitePage.srcsetCandidates(img["srcset"]!) {
        let path = candidate.url.hasPrefix("/blog/") ? String(candidate.url.dropFirst(6)) : candidate.url
        #expect(FileSystem.isFile(site.path("public/" + path)), "\(candidate.url) is not in the folder")
      }
    }
    let first = document.elements[images[0]]
    #expect(first["class"] == "theme-class" && first["loading"] == "lazy" && first["alt"] == "relative")
    #expect((first["width"], first["height"]) == ("900", "600"))
    #expect(first["src"]!.hasPrefix("images/wide.") && !first["src"]!.hasPrefix("/"))
    #expect(document.elements[images[1]]["src"]!.hasSuffix("#center"))
    #expect(document.elements[images[1]]["src"]!.hasPrefix("/blog/images/alpha."))
    // The link and the social card still point at the original, which stays published.
    #expect(home.contains(#"<a href="/blog/images/wide.jpg">"#))
    #expect(home.contains(#"content="https://example.com/blog/images/wide.jpg""#))
    #expect(home.contains(#"<pre>&lt;img src="images/wide.jpg"&gt;</pre>"#))
    #expect(FileSystem.isFile(site.path("public/images/wide.jpg")))
    let post = try #require(site.read("public/posts/a/index.html"))
    #expect(post.contains(#"src="https://example.com/blog/images/wide."#) && post.contains("?v=1"))
    #expect(post.contains(#"<img src="https://cdn.example.org/x.jpg" alt="remote">"#))
    // Nothing of the build machine in the folder, and everything Vignette keeps outside it.
    for relative in FileSystem.files(under: site.path("public")) {
      let data = try Data(contentsOf: URL(fileURLWithPath: site.path("public/" + relative)))
      #expect(data.range(of: Data(site.root.utf8)) == nil, "\(relative) names the build machine's folder")
    }
    #expect(FileSystem.isFile(site.path(".vignette-cache/site/manifest.json")))
    let manifest = try JSONDecoder().decode(
      Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: site.path(".vignette-cache/site/manifest.json"))))
    #expect(manifest.images.map(\.source) == ["public/images/alpha.png", "public/images/wide.jpg"])

    let before = try digest(site)
    let again = try await site.build()
    #expect(try digest(site) == before)
    #expect(again.written == 0 && again.rendered == 0)
    let check = try await site.build(check: true)
    #expect(check.differences.isEmpty, "\(check.differences)")
    let manifestAgain = try Data(contentsOf: URL(fileURLWithPath: site.path(".vignette-cache/site/manifest.json")))
    #expect(try JSONDecoder().decode(Manifest.self, from: manifestAgain) == manifest)
  }

  @Test func afterTheGeneratorRebuildsARunGivesWhatTheFirstGave() async throws {
    let site = try site()
    try await site.build()
    let first = try digest(site)
    // The generator writes its pages again (and leaves the variants, as Hugo does).
    try site.write("public/index.html", Self.home)
    try site.write("public/posts/a/index.html", Self.post)
    #expect(try digest(site) != first)
    try await site.build()
    #expect(try digest(site) == first)
  }

  @Test func checkWritesNothingAndListsWhatWouldChange() async throws {
    let site = try site()
    let before = try digest(site)
    let check = try await site.build(check: true)
    #expect(try digest(site) == before)
    let differences = check.differences.map(\.description)
    #expect(differences.contains("public/index.html is out of date"), "\(differences)")
    #expect(differences.contains { $0.hasPrefix("public/images/wide.320w.") && $0.contains(" is missing") })
    #expect(!FileSystem.isFile(site.path(".vignette-cache/site/pages.bin")))
  }

  @Test func aBrokenImageIsAnErrorAtItsTagAndTheRestIsBuilt() async throws {
    let site = try site()
    try site.write("public/images/broken.jpg", "not a picture")
    try site.write("public/other.html", "<p>\n  <img src=\"images/broken.jpg\" alt=\"b\"><img src=\"images/wide.jpg\">")
    let report = try await site.build()
    #expect(
      report.diagnostics.contains {
        $0.severity == .error && $0.file == "public/other.html" && ($0.line, $0.column) == (2, 3)
          && $0.message.contains("public/images/broken.jpg")
      }, "\(report.diagnostics)")
    let other = try #require(site.read("public/other.html"))
    #expect(
      other.hasPrefix("<p>\n  <img src=\"images/broken.jpg\" alt=\"b\"><picture data-vignette=\"images/wide.jpg\">"))
    #expect(site.read("public/index.html")!.contains("<picture data-vignette="))
    // Left for the next run to try again: the page is read again, the error stays.
    let again = try await site.build()
    #expect(again.diagnostics.contains { $0.severity == .error && $0.file == "public/other.html" })
  }

  @Test(
    "a density srcset gains AVIF/WebP sources with the same descriptors, each file at its own size; the theme's picture keeps its sources first"
  )
  func densitySrcsetAndTheThemesPictureWithSources() async throws {
    let site = try TestSite()
    try site.config(#"{"site": "public", "youtube": {"offline": true}, "images": {"formats": ["webp", "auto"]}}"#)
    try site.image("public/images/photo.jpg", width: 400, height: 300)
    try site.image("public/images/photo@2x.jpg", width: 800, height: 600)
    try site.image("public/images/crop.jpg", width: 300, height: 300)
    let themeSource = #"<source media="(max-width: 600px)" srcset="images/crop.jpg">"#
    try site.write(
      "public/index.html",
      """
      <img src="images/photo.jpg" srcset="images/photo@2x.jpg 2x" alt="density">
      <picture>\(themeSource)<img src="images/photo@2x.jpg" alt="art"></picture>

      """)
    let report = try await site.build()
    #expect(!report.diagnostics.hasErrors, "\(report.diagnostics)")
    let html = try #require(site.read("public/index.html"))
    let document = HTMLDocument.parse(Array(html.utf8))
    let sources = document.elements.filter { $0.tag == "source" && $0["type"] == "image/webp" }
    #expect(sources.count == 2, "\(html)")
    let density = try #require(sources.first)
    let candidates = SitePage.srcsetCandidates(density["srcset"] ?? "")
    #expect(candidates.map(\.descriptor) == ["1x", "2x"])
    #expect(candidates.map(\.url).allSatisfy { $0.hasPrefix("images/photo") && $0.hasSuffix(".webp") })
    // Each candidate's file at its own size: 400 and 800 pixels wide.
    for (candidate, width) in zip(candidates, [400, 800]) {
      let header = try ImageHeader(path: site.path("public/" + candidate.url))
      #expect(header.width == width)
    }
    let imgs = document.elements.filter { $0.tag == "img" }
    #expect(imgs[0]["srcset"] == "images/photo@2x.jpg 2x" && imgs[0]["src"] == "images/photo.jpg")
    #expect((imgs[0]["width"], imgs[0]["height"]) == ("400", "300"))
    // The theme's source stays first, as written; Vignette's follow it.
    #expect(
      html.contains("<picture data-vignette=\"images/photo@2x.jpg\">" + themeSource + "<source type=\"image/webp\""))
    #expect(imgs[1]["srcset"] != nil && (imgs[1]["width"], imgs[1]["height"]) == ("800", "600"))

    let again = try await site.build()
    #expect(again.written == 0 && again.rendered == 0)
    #expect(site.read("public/index.html") == html)
    #expect(try await site.build(check: true).differences.isEmpty)
  }

  @Test func siteFlagWithoutAnyConfigFile() async throws {
    let site = try TestSite()
    try site.image("public/images/wide.jpg", width: 300, height: 200)
    try site.write("public/index.html", "<img src=\"/images/wide.jpg\" alt=\"x\">")
    let build = try await CLI.run(["build", "--site", "public", "--offline"], in: site.root)
    #expect(build.status == 0, "\(build.stderr)")
    #expect(build.stdout.contains("Built 1 page, 1 references (0 remote left as written)"), "\(build.stdout)")
    #expect(site.read("public/index.html")!.hasPrefix("<picture data-vignette=\"images/wide.jpg\">"))
    #expect(try await CLI.run(["check", "--site", "public"], in: site.root).status == 0)
    try site.write("public/index.html", "<img src=\"/images/wide.jpg\" alt=\"x\">")
    let check = try await CLI.run(["check", "--site", "public"], in: site.root)
    #expect(check.status == 1)
    #expect(check.stderr.contains("public/index.html:1:2: error: out of date"), "\(check.stderr)")
    #expect(try await CLI.run(["build", "--site", "no-such-folder"], in: site.root).status == 2)
  }
}

@Suite("Watch session in site mode")
struct SiteWatchTests {
  @Test("a page the generator writes again is rewritten again; Vignette's own writes change nothing more")
  func regeneratedPagesAreRewritten() async throws {
    let site = try TestSite()
    try site.config(
      #"{"site": "public", "youtube": {"offline": true}, "images": {"widths": [200], "formats": ["webp", "auto"]}}"#)
    try site.image("public/a.jpg", width: 300, height: 200)
    try site.image("public/b.png", width: 260, height: 200)
    try site.write("public/index.html", "<img src=\"a.jpg\" alt=\"a\">")
    var options = BuildOptions(configPath: site.path("pipeline.json"))
    options.jobs = 2
    let session = try WatchSession(options: options)
    let box = WatchSessionTests.EventBox()
    let task = session.runOnOwnThread { [box] in box.append($0) }
    #expect(
      await eventually(within: .seconds(300)) {
        site.read("public/index.html")?.contains("data-vignette=\"a.jpg\"") == true
      })
    try site.save("public/index.html", "<p><img src=\"b.png\" alt=\"b\"></p>")
    #expect(
      await eventually(within: .seconds(300)) {
        site.read("public/index.html")?.contains("data-vignette=\"b.png\"") == true
      })
    session.stop()
    await task.value
    let failures = box.all.compactMap { if case .failed(let message, _) = $0 { message } else { nil } }
    #expect(failures.isEmpty)
  }
}

@Suite("Site mode with YouTube")
struct SiteVideoTests {
  @Test func iframesBecomeTheFacadeWithALocalPosterAndTheFilesLinkedOnce() async throws {
    let server = try LoopbackServer()
    defer { server.stop() }
    let id = "GBl2DSOL7bw"
    server.on("/oembed/\(id)", .oembed(title: "Hachi", author: "someone"))
    server.on(
      "/vi/\(id)/maxresdefault.jpg",
      .jpeg(try TestImages.gradient(width: 1280, height: 720, alpha: false, format: .jpeg)))
    let site = try TestSite()
    try site.config(
      #"{"site": "public", "images": {"widths": [480], "formats": ["webp", "auto"]}, "youtube": {\#(server.youtubeConfig)}}"#
    )
    let wrapper = #"<div style="position: relative; padding-bottom: 56.25%; height: 0; overflow: hidden;">"#
    let page = """
      <html><head><title>v</title></head><body>
      \(wrapper)<iframe src="https://www.youtube.com/embed/\(id)?start=42" style="position: absolute; width: 100%; height: 100%;" allowfullscreen title="YouTube Video"></iframe></div>
      <iframe src="https://www.youtube-nocookie.com/embed/\(id)"></iframe>
      </body></html>
      """
    try site.write("public/posts/v/index.html", page)
    let report = try await site.build()
    #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
    let html = try #require(site.read("public/posts/v/index.html"))
    #expect(!html.contains("<iframe"))
    #expect(html.contains(wrapper + #"<figure data-vignette="video:\#(id)" style="position: absolute;"#))
    #expect(html.contains(#"data-start="42""#))
    #expect(!html.contains(server.base) && !html.contains("ytimg"))
    let stylesheets = html.components(separatedBy: #"<link rel="stylesheet" href="../../vignette/facade."#).count - 1
    let scripts = html.components(separatedBy: #"<script src="../../vignette/facade."#).count - 1
    #expect(stylesheets == 1 && scripts == 1)
    #expect(html.contains(#"data-vignette></head>"#) && html.contains("data-vignette></script></body>"))
    let files = FileSystem.files(under: site.path("public/vignette"))
    #expect(files.contains { $0.hasPrefix("videos/\(id).480w.") && $0.hasSuffix(".webp") }, "\(files)")
    #expect(files.filter { $0.hasPrefix("facade.") }.count == 2)
    for file in files where file.hasPrefix("videos/") {
      #expect(html.contains("../../vignette/" + file), "\(file) is not used")
    }
    #expect(site.read("vignette.lock.json")?.contains(id) == true)
    let before = site.read("public/posts/v/index.html")
    let again = try await site.build { $0.offline = true }
    #expect(again.diagnostics.isEmpty && again.written == 0, "\(again.diagnostics)")
    #expect(site.read("public/posts/v/index.html") == before)
  }
}
