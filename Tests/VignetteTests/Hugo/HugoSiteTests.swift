import Foundation
import Testing

@testable import Vignette

/// The real `hugo` (Debian's 0.111.3 or newer) building a stock site that mounts `output/`.
@Suite(.serialized) struct HugoSiteTests {
  /// `hugo` on the PATH, if installed.
  static let hugo = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(
    separator: ":"
  )
  .map { "\($0)/hugo" }.first { FileManager.default.isExecutableFile(atPath: $0) }

  /// The mounts docs/hugo.md documents. Hugo 0.111 takes the first mount's file for content
  /// and the last one's for layouts: Vignette's rewritten posts come before the original
  /// content (which still gives bundle resources and everything Vignette does not write), and
  /// its layouts, static files and data after the site's own.
  static func hugoConfig(output: String, content: String, baseURL: String = "https://example.org/") -> String {
    let mounts = [
      ("\(output)/content", "content"), (content, "content"), ("static", "static"), ("\(output)/static", "static"),
      ("layouts", "layouts"), ("\(output)/layouts", "layouts"), ("data", "data"), ("\(output)/data", "data"),
    ]
    return """
      baseURL = "\(baseURL)"
      title = "Vignette test"
      disableKinds = ["taxonomy", "term", "RSS", "sitemap"]

      [module]

      """ + mounts.map { "[[module.mounts]]\nsource = \"\($0.0)\"\ntarget = \"\($0.1)\"\n" }.joined()
  }

  @Test(
    "hugo renders <picture> for figures, markdown images and front-matter images",
    .enabled(if: hugo != nil, "hugo is not installed: apt-get install hugo (listed in scripts/apt-packages.txt)"))
  func hugoRendersPictures() async throws {
    let site = try TestSite()
    try site.config(#"{"images": {"widths": [320, 640], "formats": ["webp", "auto"]}, "youtube": {"offline": true}}"#)
    try site.image("assets/images/photo.png", width: 900, height: 600)
    try site.image("assets/images/inline shot.jpg", width: 800, height: 400)
    try site.image("assets/images/coverArt.jpg", width: 1000, height: 500)
    try site.write(
      "assets/posts/post.md",
      """
      +++
      title = "A post"
      cover = "/images/coverArt.jpg"
      +++

      Intro.

      {{< figure src="/images/photo.png" alt="A photo" caption="The *caption*" >}}

      An inline ![Inline shot](/images/inline%20shot.jpg "Shot title") in a sentence.

      ![Remote](https://example.com/remote.png)

      {{< youtube dQw4w9WgXcQ >}}

      {{< figure src="/images/photo.png" link="https://example.com/?a=1&b=2" target="_blank" rel="noopener" class="wide"
          title="T" caption="C" attr="Photo by *X*" attrlink="https://x.example/" >}}

      {{< figure src="https://example.com/r.png" alt="remote figure" width="10" >}}

      """)
    _ = try await site.build()

    let hugoSite = site.path("hugo")
    let run = try await Self.buildHugo(site)
    #expect(run.status == 0, "hugo failed:\n\(run.output)")
    let page = try #require(site.read("hugo/public/post/index.html"), "hugo wrote no page:\n\(run.output)")

    // Front matter: the theme's partial call.
    let header = try #require(Self.element("header", in: page))
    Self.expectPicture(header, alt: "Cover", width: 640, height: 320)
    #expect(header.contains("fetchpriority=\"high\""))

    // Figure: <figure><picture>…</picture><figcaption>.
    let figure = try #require(Self.element("figure", in: page))
    Self.expectPicture(figure, alt: "A photo", width: 640, height: 427)
    #expect(figure.contains("<figcaption><p>The <em>caption</em></p></figcaption>"))
    // The post's first image loads at once; the others lazily.
    #expect(figure.contains("fetchpriority=\"high\"") && !figure.contains("loading=\"lazy\""))

    // Markdown image (a space in its name) through the render hook.
    let paragraph = try #require(page.components(separatedBy: "<p>").first { $0.hasPrefix("An inline") })
    Self.expectPicture(paragraph, alt: "Inline shot", width: 640, height: 320)
    #expect(paragraph.contains("title=\"Shot title\" loading=\"lazy\""))
    #expect(paragraph.contains("src=\"/images/inline%20shot.640w."))

    // Every parameter of Hugo's figure keeps its meaning.
    #expect(
      page.contains(
        "<figure class=\"wide\"><a href=\"https://example.com/?a=1&amp;b=2\" target=\"_blank\" rel=\"noopener\"><picture>"
      ))
    #expect(
      page.contains(
        "</picture></a><figcaption><h4>T</h4><p>C <a href=\"https://x.example/\">Photo by <em>X</em></a></p></figcaption></figure>"
      ))
    #expect(
      page.contains("<figure><img src=\"https://example.com/r.png\" alt=\"remote figure\" width=\"10\"></figure>"))
    // Anything Vignette did not process stays a plain <img>.
    #expect(page.contains("<img src=\"https://example.com/remote.png\" alt=\"Remote\">"))
    // The video facade, with no iframe until a click, and no raw HTML omitted anywhere.
    #expect(
      page.contains(
        "class=\"vignette-video__link\" href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\" data-vignette-video=\"dQw4w9WgXcQ\""
      ))
    #expect(!page.contains("<iframe"))
    #expect(!page.contains("raw HTML omitted"))
    #expect(FileManager.default.fileExists(atPath: hugoSite + "/public/vignette/video.js"))
    // Every variant the page names was published by Hugo from output/static.
    let urls = Set(page.split { $0 == "\"" || $0 == " " || $0 == "," }.filter { $0.hasPrefix("/images/") })
    #expect(urls.count >= 6)
    for url in urls {
      let file = hugoSite + "/public" + (url.removingPercentEncoding ?? String(url))
      #expect(FileManager.default.fileExists(atPath: file), "\(url) is not published")
    }
  }

  /// A stock Hugo site in `site/hugo` that mounts `site/output`, built with the real hugo.
  static func buildHugo(_ site: TestSite, baseURL: String = "https://example.org/") async throws -> (
    status: Int32, output: String
  ) {
    let hugoSite = site.path("hugo")
    try site.write(
      "hugo/hugo.toml",
      hugoConfig(output: site.path("output"), content: site.path("assets/posts"), baseURL: baseURL))
    try site.write(
      "hugo/layouts/_default/single.html",
      """
      <!doctype html><html><body>
      <header>{{ with .Params.cover }}{{ if eq (printf "%T" .) "string" }}{{ partial "vignette/picture.html" (dict "src" . "alt" "Cover" "eager" true) }}{{ else }}{{ partial "vignette/picture.html" (merge . (dict "eager" true)) }}{{ end }}{{ end }}</header>
      <main>{{ .Content }}</main>
      </body></html>

      """)
    try site.write(
      "hugo/layouts/_default/list.html",
      "<!doctype html><html><body>{{ range .Pages }}{{ .Title }}{{ end }}</body></html>\n")
    try site.write("hugo/layouts/shortcodes/note.html", "<aside>{{ .Inner | markdownify }}</aside>")
    try site.write("hugo/static/.keep", "")
    try site.write("hugo/data/.keep", "")
    return try await run(hugo!, ["--source", hugoSite, "--destination", hugoSite + "/public"])
  }

  @Test(
    "hugo keeps a target's fragment, a figure's width and height, and serves variants under a sub-path baseURL",
    .enabled(if: hugo != nil, "hugo is not installed: apt-get install hugo (listed in scripts/apt-packages.txt)"))
  func hugoFragmentSizeAndBasePath() async throws {
    let site = try TestSite()
    try site.config(
      #"{"baseURL": "https://example.org/blog/", "images": {"widths": [320, 640], "formats": ["webp", "auto"]}, "youtube": {"offline": true}}"#
    )
    try site.image("assets/images/photo.png", width: 900, height: 600)
    try site.write(
      "assets/posts/post.md",
      """
      +++
      title = "A post"
      +++

      Intro.

      {{< figure src="/images/photo.png#center" alt="Centred" width="300" >}}

      Inline ![Wide](/images/photo.png#wide) here.

      """)
    #expect(!(try await site.build()).diagnostics.hasErrors)
    let run = try await Self.buildHugo(site, baseURL: "https://example.org/blog/")
    #expect(run.status == 0, "hugo failed:\n\(run.output)")
    let page = try #require(site.read("hugo/public/post/index.html"), "hugo wrote no page:\n\(run.output)")
    let figure = try #require(Self.element("figure", in: page))
    Self.expectPicture(figure, alt: "Centred", width: 300, height: 200)
    #expect(figure.contains(#"fetchpriority="high""#), "still the page's first image, fragment and all")
    #expect(
      figure.firstMatch(of: /<img src="\/blog\/images\/photo\.640w\.[0-9a-f]{8}\.jpg#center"/) != nil, "\(figure)")
    let paragraph = try #require(page.components(separatedBy: "<p>").first { $0.hasPrefix("Inline") })
    Self.expectPicture(paragraph, alt: "Wide", width: 640, height: 427)
    #expect(paragraph.firstMatch(of: /<img src="\/blog\/images\/photo\.640w\.[0-9a-f]{8}\.jpg#wide"/) != nil)
    // Every URL is under /blog/, and Hugo published the file behind it.
    let urls = Set(page.split { $0 == "\"" || $0 == " " || $0 == "," }.filter { $0.contains("/images/") })
    #expect(urls.count >= 4 && urls.allSatisfy { $0.hasPrefix("/blog/images/") }, "\(urls)")
    for url in urls {
      let path = url.dropFirst("/blog".count).split(separator: "#")[0]
      #expect(FileManager.default.fileExists(atPath: site.path("hugo/public" + path)), "\(url) is not published")
    }
  }

  @Test(
    "hugo builds the fixture site with every form, and shows a <picture> for each processed image",
    .enabled(if: hugo != nil, "hugo is not installed: apt-get install hugo (listed in scripts/apt-packages.txt)"))
  func hugoBuildsEveryForm() async throws {
    let (site, _) = try await FormsFixtureTests.build()
    let run = try await Self.buildHugo(site)
    #expect(run.status == 0, "hugo failed:\n\(run.output)")
    #expect(!run.output.contains("WARN") && !run.output.contains("ERROR"), "\(run.output)")
    let page = try #require(site.read("hugo/public/every-form/index.html"))
    // Markdown images (inline, reference, in a link, encoded, angle, Unicode) and the figures,
    // one of them in a fence where Hugo runs it too.
    for alt in [
      "Alt one", "Ref", "label two", "LABEL TWO", "Linked image", "space", "angle", "café", "A figure", "Raw\nalt",
      "Hugo runs this one",
    ] {
      let img = page.components(separatedBy: "<img ").first { $0.contains("alt=\"\(alt)\"") }
      #expect(
        img?.contains("srcset=") == true && img?.contains("width=\"320\"") == true, "no responsive <img> for \(alt)")
    }
    #expect(page.components(separatedBy: "<picture>").count - 1 == 12)
    #expect(
      page.components(separatedBy: "fetchpriority=\"high\"").count - 1 == 2, "the cover and the first image of the body"
    )
    // The front-matter `cover.image`, through the theme's partial call.
    let header = try #require(Self.element("header", in: page))
    #expect(header.contains("alt=\"The cover; /images/one.jpg is only text here\" fetchpriority=\"high\""))
    // What Vignette leaves alone stays as Hugo renders it.
    #expect(page.contains("An escaped call stays as written: {{&lt; figure src=&quot;/images/absent.png&quot; &gt;}}."))
    #expect(page.contains("<img src=\"https://example.com/remote.png\" alt=\"remote\">"))
    #expect(page.contains("<aside>Other shortcodes, <strong>paired</strong>, pass through.</aside>"))
    let bundle = try #require(site.read("hugo/public/bundle/index.html"))
    #expect(bundle.components(separatedBy: "<picture>").count - 1 == 3)
    // The original content, mounted after Vignette's, still gives the bundle its resources.
    #expect(FileManager.default.fileExists(atPath: site.path("hugo/public/bundle/cover.jpg")))
  }

  @Test(
    "the youtube override renders VideoFacade's facade, from the data",
    .enabled(if: hugo != nil, "hugo is not installed: apt-get install hugo (listed in scripts/apt-packages.txt)"))
  func youtubeFacadeMatchesVideoFacade() async throws {
    let site = try TestSite()
    try site.config(#"{"images": {"widths": [320], "formats": ["auto"]}, "youtube": {"offline": true}}"#)
    try site.write(
      "vignette.lock.json",
      #"{"version": 1, "videos": {"dQw4w9WgXcQ": {"origin": "hand", "title": "Rock & \"Roll\" <3 – ロック"}}}"#)
    try site.write(
      "assets/posts/video.md",
      "Intro.\n\n{{< youtube id=\"dQw4w9WgXcQ\" start=\"30\" title=\"Shortcode title\" >}}\n\n{{< youtube dQw4w9WgXcQ >}}\n"
    )
    _ = try await site.build()
    let run = try await Self.buildHugo(site)
    #expect(run.status == 0, "hugo failed:\n\(run.output)")
    let page = try #require(site.read("hugo/public/video/index.html"))
    let facades = Self.facades(in: page)
    var video = Video(id: "dQw4w9WgXcQ", title: "Rock & \"Roll\" <3 – ロック")
    video.poster = nil
    let picture = PictureMarkup(urlPrefix: "", sizes: "")
    let expected = [
      VideoFacade.html(
        video: video, start: 30, end: nil, shortcodeTitle: "Shortcode title", picture: picture, eager: false),
      VideoFacade.html(video: video, start: nil, end: nil, shortcodeTitle: nil, picture: picture, eager: false),
    ]
    // html/template writes `"` as &#34; where HTMLText writes &quot;; the markup is otherwise the same.
    #expect(facades.map { $0.replacingOccurrences(of: "&#34;", with: "&quot;") } == expected)
  }

  @Test(
    "the youtube override shows the poster as VideoFacade does, and an unavailable video as a plain link",
    .enabled(if: hugo != nil, "hugo is not installed: apt-get install hugo (listed in scripts/apt-packages.txt)"))
  func youtubePosterAndUnavailable() async throws {
    let site = try TestSite()
    var video = Video(id: "dQw4w9WgXcQ", title: "With a poster")
    video.poster = HugoSupportTests.image
    var gone = Video(id: "aaaaaaaaaaa", title: "Removed")
    gone.unavailable = true
    for (path, data) in try HugoSupport.files(images: [], videos: [video, gone], sizes: "100vw") {
      try site.write("output/" + path, data)
    }
    try site.write("output/content/v.md", "Intro.\n\n{{< youtube dQw4w9WgXcQ >}}\n\n{{< youtube aaaaaaaaaaa >}}\n")
    let run = try await Self.buildHugo(site)
    #expect(run.status == 0, "hugo failed:\n\(run.output)")
    let page = try #require(site.read("hugo/public/v/index.html"))
    let facades = Self.facades(in: page)
    let picture = PictureMarkup(urlPrefix: "", sizes: "100vw")
    #expect(
      facades == [
        VideoFacade.html(video: video, start: nil, end: nil, shortcodeTitle: nil, picture: picture, eager: false),
        VideoFacade.html(video: gone, start: nil, end: nil, shortcodeTitle: nil, picture: picture, eager: false),
      ])
  }

  /// Every video facade of a page, `<figure class="vignette-video…">…</figure>`.
  static func facades(in page: String) -> [String] {
    page.components(separatedBy: "<figure class=\"vignette-video").dropFirst().map {
      "<figure class=\"vignette-video" + $0.components(separatedBy: "</figure>")[0] + "</figure>"
    }
  }

  /// The first `<name …>…</name>` of `html`.
  static func element(_ name: String, in html: String) -> String? {
    guard let open = html.range(of: "<\(name)"),
      let close = html.range(of: "</\(name)>", range: open.upperBound..<html.endIndex)
    else { return nil }
    return String(html[open.lowerBound..<close.upperBound])
  }

  static func expectPicture(
    _ html: String, alt: String, width: Int, height: Int, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(
      html.contains("<picture><source type=\"image/webp\" srcset=\""), "no <picture> with a WebP <source> in:\n\(html)",
      sourceLocation: sourceLocation)
    #expect(html.contains(" 320w, "), "no srcset in:\n\(html)", sourceLocation: sourceLocation)
    #expect(html.contains("sizes=\""), "no sizes in:\n\(html)", sourceLocation: sourceLocation)
    #expect(
      html.contains("width=\"\(width)\" height=\"\(height)\""), "no width/height in:\n\(html)",
      sourceLocation: sourceLocation)
    #expect(html.contains("alt=\"\(alt)\""), "no alt in:\n\(html)", sourceLocation: sourceLocation)
  }

  /// Runs a program to its end on a thread of its own, so waiting for it holds no thread of
  /// Swift's cooperative pool.
  static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await onOwnThread { try runBlocking(executable, arguments) }
  }

  private static func runBlocking(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String)
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}
