import Foundation
import Testing

@testable import Vignette

/// What came out wrong on real blogs (references, markup, videos and `check`), built end to
/// end on small generated sites.
@Suite("real content")
struct RealContentTests {
  /// A site with one small opaque JPEG at `assets/images/a.jpg`, widths 48 and 96, JPEG only.
  static func site(_ name: String = #function, config: String = "") throws -> TestSite {
    let site = try TestSite(name)
    try site.image("assets/images/a.jpg", width: 120, height: 80)
    try site.config(
      """
      {"assetRoots": ["assets"], "youtube": {"offline": true},
       "images": {"widths": [48, 96], "formats": ["auto"]}\(config)}
      """)
    return site
  }

  @Test("an image on the line after a list item is rewritten, at its own column, and the manifest agrees")
  func imageAfterListItem() async throws {
    let site = try Self.site()
    try site.write("assets/posts/p.md", "List:\n\n- one\n- two\n![](/images/a.jpg)\n")
    let report = try await site.build()
    #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
    let output = try #require(site.read("output/content/p.md"))
    #expect(output.hasPrefix("List:\n\n- one\n- two\n![](/images/a.96w."), "\(output)")
    let reference = try #require(try site.manifest().posts.first?.references.first)
    #expect(reference.line == 5 && reference.column == 1 && reference.status == .ok)
    #expect(site.read("output/html/p.html")?.contains("<picture>") == true)
  }

  @Test("a reference that cannot be located in the source is reported as skipped in the manifest")
  func unlocatedIsSkipped() async throws {
    let site = try Self.site()
    // A YAML escape: the value is "/images/a.jpg", but those bytes are not in the file.
    try site.write("assets/posts/p.md", "---\nimage: \"/images/\\u0061.jpg\"\n---\nText.\n")
    let report = try await site.build()
    #expect(report.diagnostics.map(\.message).contains { $0.hasPrefix("cannot locate") }, "\(report.diagnostics)")
    let reference = try #require(try site.manifest().posts.first?.references.first)
    #expect(reference.status == .skipped)
    #expect(reference.message?.hasPrefix("cannot locate") == true)
  }

  /// `on…=` event-handler attributes anywhere in `html`, and `<script>` elements without `src`.
  static func inlineScripts(_ html: String) -> [String] {
    let handlers = html.matches(of: /\s(on[a-z]+)\s*=/.ignoresCase()).map { String($0.output.1) }
    let scripts = html.matches(of: /<script(?![^>]*\ssrc=)[^>]*>/.ignoresCase()).map { String($0.output) }
    return handlers + scripts
  }

  @Test("pages and Hugo templates have no inline script; only opaque images get a placeholder")
  func cspSafePlaceholder() async throws {
    let site = try Self.site()
    try site.image("assets/images/clear.png", width: 120, height: 80, alpha: true)
    try site.write(
      "assets/posts/p.md", "![a](/images/a.jpg)\n\n![clear](/images/clear.png)\n\n{{< youtube GBl2DSOL7bw >}}\n")
    try site.write(
      "vignette.lock.json",
      #"{"version": 1, "videos": {"GBl2DSOL7bw": {"title": "A video", "origin": "oembed"}}}"#)
    let report = try await site.build()
    #expect(!report.diagnostics.hasErrors, "\(report.diagnostics)")
    let html = try #require(site.read("output/html/p.html"))
    #expect(Self.inlineScripts(html) == [])
    #expect(html.contains("<script src=\"../static/vignette/video.js\" defer></script>"))
    #expect(site.read("output/static/vignette/video.js")?.contains("youtube-nocookie.com") == true)
    for template in FileSystem.files(under: site.path("output/layouts")) {
      #expect(Self.inlineScripts(site.read("output/layouts/" + template) ?? "") == [], "\(template)")
    }
    let images = try site.manifest().images
    #expect(images.first { $0.source.hasSuffix("a.jpg") }?.placeholder != nil)
    #expect(images.first { $0.source.hasSuffix("clear.png") }.map { $0.placeholder == nil } == true)
    let imgs = html.matches(of: /<img [^>]*>/).map { String($0.output) }
    #expect(imgs.count == 2)
    #expect(imgs.first { $0.contains("a.96w.") }?.contains("style=\"background-color:#") == true, "\(imgs)")
    #expect(imgs.first { $0.contains("clear.96w.") }.map { !$0.contains("style=") } == true, "\(imgs)")
  }

  @Test("a target's query and fragment stay on the rewritten URL and the page's <img>")
  func fragmentAndQueryKept() async throws {
    let site = try Self.site()
    try site.write(
      "assets/posts/p.md",
      "![A](/images/a.jpg#center)\n\n{{< figure src=\"/images/a.jpg?v=2#wide\" >}}\n\n<img src=\"/images/a.jpg#raw\">\n"
    )
    let report = try await site.build()
    #expect(!report.diagnostics.hasErrors, "\(report.diagnostics)")
    let output = try #require(site.read("output/content/p.md"))
    let url = try #require(output.firstMatch(of: /\/images\/a\.96w\.[0-9a-f]{8}\.jpg/).map { String($0.output) })
    #expect(
      output == "![A](\(url)#center)\n\n{{< figure src=\"\(url)?v=2#wide\" >}}\n\n<img src=\"\(url)#raw\">\n")
    let html = try #require(site.read("output/html/p.html"))
    for suffix in ["#center", "?v=2#wide", "#raw"] {
      #expect(html.contains("src=\"../static\(url)\(suffix)\""), "\(suffix) in \(html)")
    }
    // Hugo's data is keyed by the URL alone; the templates drop the suffix to look it up.
    let images =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: site.path("output/data/vignette/images.json")))) as? [String: Any]
    #expect(images?.keys.sorted() == [url])
    #expect(site.read("output/layouts/partials/vignette/image.html")?.contains(#"replaceRE "[?#].*" "" $url"#) == true)
  }

  @Test("a figure's width and height are kept in the markup, the missing one from the aspect ratio")
  func figureDisplaySize() async throws {
    let site = try Self.site()
    try site.write(
      "assets/posts/p.md",
      """
      Sizes:

      {{< figure src="/images/a.jpg" width="48" >}}

      {{< figure src="/images/a.jpg" height="20px" >}}

      {{< figure src="/images/a.jpg" width="30" height="30" >}}

      {{< figure src="/images/a.jpg" width="50%" >}}

      """)
    let report = try await site.build()
    #expect(!report.diagnostics.hasErrors, "\(report.diagnostics)")
    let html = try #require(site.read("output/html/p.html"))
    let sizes = html.matches(of: /<img [^>]*width="(\d+)" height="(\d+)"/).map { "\($0.output.1)×\($0.output.2)" }
    // The largest variant is 96×64.
    #expect(sizes == ["48×32", "30×20", "30×30", "96×64"])
    #expect(PictureMarkup.displaySize(width: "0300", height: nil, intrinsic: (96, 64)) == nil)
    #expect(PictureMarkup.displaySize(width: "100", height: nil, intrinsic: (96, 64))?.height == 67)
  }

  @Test("variant URLs carry the path of baseURL, from pipeline.json or the Hugo config; files stay where they were")
  func basePath() async throws {
    let site = try Self.site(config: #", "baseURL": "https://example.com/blog/""#)
    try site.write("assets/posts/p.md", "![A](/images/a.jpg)\n")
    #expect(!(try await site.build()).diagnostics.hasErrors)
    let output = try #require(site.read("output/content/p.md"))
    #expect(output.hasPrefix("![A](/blog/images/a.96w."), "\(output)")
    let variant = try #require(try site.manifest().images.first?.variants.last)
    #expect(variant.url.hasPrefix("/blog/images/a.96w.") && variant.path == "static" + variant.url.dropFirst(5))
    #expect(FileSystem.isFile(site.path("output/" + variant.path)))
    let data = try #require(site.read("output/data/vignette/images.json"))
    #expect(data.contains("\"/blog/images/a.96w.") && !data.contains("\"/images/") && !data.contains(" /images/"))
    // The HTML pages open from disk: no base path there.
    #expect(site.read("output/html/p.html")?.contains("src=\"../static/images/a.96w.") == true)

    // Without the key, the Hugo config beside pipeline.json gives it.
    let hugo = try Self.site()
    try hugo.write("assets/posts/p.md", "![A](/images/a.jpg)\n")
    try hugo.write("hugo.toml", "title = 'x'\nbaseurl = 'https://example.com/site/'\n")
    #expect(!(try await hugo.build()).diagnostics.hasErrors)
    #expect(hugo.read("output/content/p.md")?.hasPrefix("![A](/site/images/a.96w.") == true)
  }

  @Test("a bad baseURL is a config error that names its file and key")
  func badBaseURL() async throws {
    let site = try Self.site(config: #", "baseURL": "blog/""#)
    await #expect(throws: ConfigError.self) { try await site.build() }
    do {
      try await site.build()
    } catch let error as ConfigError {
      #expect(error.keyPath == "baseURL" && error.file.hasSuffix("pipeline.json"), "\(error)")
    }
    let hugo = try Self.site()
    try hugo.write("hugo.yaml", "title: x\nbaseURL: [1]\n")
    do {
      try await hugo.build()
      Issue.record("no error for a list as baseURL")
    } catch let error as ConfigError {
      #expect(error.description == "hugo.yaml: error: baseURL: expected a string")
    }
    try hugo.write("hugo.yaml", "baseURL: ftp://example.com/\n")
    do {
      try await hugo.build()
      Issue.record("no error for an ftp URL")
    } catch let error as ConfigError {
      #expect(error.file == "hugo.yaml" && error.keyPath == "baseURL" && error.message.contains("ftp://"))
    }
  }
}
