import Foundation
import HTML
import Testing

@testable import Vignette

/// The hard-case page (`Fixtures/site/public/posts/hard/index.html`): every quoting, images in
/// links, the theme's `<picture>` with and without sources (art direction, a type every browser
/// takes, an AVIF one), a theme `srcset` with widths and with densities, a sub-path base
/// URL from the canonical link, absolute and remote URLs, `<noscript>` copies, inline SVG,
/// comments, `<template>`, `<pre>`, RCDATA and YouTube iframes in a theme's wrapper. Rendered
/// images are stand-ins here (no libvips), so the golden output depends on nothing else.
@Suite struct SiteRewriterTests {
  static let fixture = TestSite.repositoryRoot + "/Tests/VignetteTests/Fixtures/site"
  static let page = "posts/hard/index.html"

  /// A site folder with the fixture page and stand-in image files of known sizes.
  func site() throws -> TestSite {
    let site = try TestSite()
    let html = try Data(contentsOf: URL(fileURLWithPath: Self.fixture + "/public/" + Self.page))
    try site.write("public/" + Self.page, html)
    for (name, bytes) in [
      ("a.jpg", 200_000), ("b.png", 90_000), ("a-480.jpg", 30_000), ("a-960.jpg", 70_000), ("a.webp", 50_000),
      ("a.avif", 40_000), ("b@2x.png", 20_000),
    ] {
      try site.write("public/images/" + name, Data(count: bytes))
    }
    return site
  }

  static func variants(_ stem: String, folder: String, widths: [Int], ratio: Double, formats: [VariantFormat])
    -> [RenderedVariant]
  {
    formats.flatMap { format in
      widths.map { width in
        let name = "\(stem).\(width)w.\(String(format.rawValue.prefix(2)))\(width).\(format.fileExtension)"
        return RenderedVariant(
          key: name, fileName: name, urlPath: folder + name, width: width, height: Int(Double(width) * ratio),
          format: format, bytes: width * (format == .avif ? 10 : format == .webp ? 20 : 40))
      }
    }
  }

  /// Pixel sizes of the stand-in files, for renders at a file's own size.
  static let sizes = ["a.jpg": (1920, 1080), "a-960.jpg": (960, 540), "b.png": (800, 600), "b@2x.png": (1600, 1200)]

  /// Stand-in renders for every request the page makes.
  func rendered(_ page: SitePage, folder: String) -> [String: SiteRewriter.Rendered] {
    var result: [String: SiteRewriter.Rendered] = [:]
    let placeholder = Placeholder(color: "#336699", preview: nil)
    for image in page.images {
      for key in SiteRewriter.renderKeys(image.action) {
        let rendered: RenderedImage
        switch image.action {
        case .replace(let file, _, _) where file.hasSuffix("a.jpg"):
          rendered = RenderedImage(
            width: 1920, height: 1080,
            variants: Self.variants(
              "a", folder: "/images/", widths: [480, 960, 1920], ratio: 0.5625, formats: [.avif, .webp, .jpeg]),
            placeholder: placeholder)
        case .replace:
          rendered = RenderedImage(
            width: 800, height: 600,
            variants: Self.variants(
              "b", folder: "/images/", widths: [480, 800], ratio: 0.75, formats: [.avif, .webp, .png]),
            placeholder: placeholder)
        case .addSources:
          rendered = RenderedImage(
            width: 960, height: 540,
            variants: Self.variants(
              "a-960", folder: "/images/", widths: [480, 960], ratio: 0.5625, formats: [.avif, .webp]),
            placeholder: placeholder)
        case .addDensitySources:
          // Each candidate's file at its own size, in the modern formats only.
          let name = String(key.dropLast().split(separator: "/").last!)
          let (width, height) = Self.sizes[name]!
          rendered = RenderedImage(
            width: width, height: height,
            variants: Self.variants(
              String(name.split(separator: ".")[0]), folder: "/images/", widths: [width],
              ratio: Double(height) / Double(width), formats: [.avif, .webp]),
            placeholder: placeholder)
        default:
          continue
        }
        var bytes: [String: Int64] = [:]
        for file in image.action.themeFiles { bytes[file] = FileSystem.stamp(folder + "/" + file)?.size }
        result[key] = SiteRewriter.Rendered(image: rendered, fileBytes: bytes)
      }
    }
    return result
  }

  static let videos: [String: Video] = {
    var video = Video(id: "GBl2DSOL7bw", title: "Look back", author: "Someone")
    video.poster = RenderedImage(
      width: 1280, height: 720,
      variants: variants(
        "GBl2DSOL7bw", folder: "/vignette/videos/", widths: [480], ratio: 0.5625, formats: [.webp, .jpeg]),
      placeholder: nil)
    return ["GBl2DSOL7bw": video, "dQw4w9WgXcQ": Video(id: "dQw4w9WgXcQ", title: "Plain")]
  }()

  let rewriter = SiteRewriter(
    sizes: "(min-width: 768px) 768px, 100vw", facadeStylesheet: "/vignette/facade.css",
    facadeScript: "/vignette/facade.js")

  func scan(_ site: TestSite) throws -> SitePage {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: site.path("public/" + Self.page))))
    return SitePage(
      path: Self.page, bytes: bytes, folder: FileSystem.canonical(site.path("public")), configuredBase: nil)
  }

  @Test func everyImageGetsTheRightAction() throws {
    let site = try site()
    let page = try scan(site)
    #expect(page.address.base == SiteBase(origin: "https://example.com", path: "/blog/"))
    let actions = page.images.map { (page.document.elements[$0.element]["alt"] ?? "", $0.action) }
    func action(_ alt: String) -> SitePage.Action? { actions.first { $0.0 == alt }?.1 }
    #expect(action("double quoted") == .replace(file: "images/a.jpg", urlPath: "/images/a.jpg", picture: nil))
    #expect(action("single quoted") == .replace(file: "images/b.png", urlPath: "/images/b.png", picture: nil))
    #expect(action("unquoted") == .replace(file: "images/a.jpg", urlPath: "/images/a.jpg", picture: nil))
    #expect(action("in a link") == .replace(file: "images/a.jpg", urlPath: "/images/a.jpg", picture: nil))
    #expect(action("noscript copy") == .replace(file: "images/a.jpg", urlPath: "/images/a.jpg", picture: nil))
    guard case .replace(_, _, let picture?) = action("theme picture without sources") else {
      Issue.record("the theme's source-less picture is not replaced")
      return
    }
    #expect(page.document.elements[picture].tag == "picture")
    for alt in ["theme picture with sources", "theme art direction", "theme avif source"] {
      guard case .replace(_, _, let picture?) = action(alt) else {
        Issue.record("the img of the theme's picture with sources (\(alt)) is not replaced")
        continue
      }
      #expect(page.document.elements[picture].tag == "picture")
    }
    #expect(
      action("theme srcset")
        == .addSources(
          file: "images/a-960.jpg", urlPath: "/images/a-960.jpg",
          candidates: [.init(file: "images/a-480.jpg", width: 480), .init(file: "images/a-960.jpg", width: 960)]))
    #expect(
      action("density srcset")
        == .addDensitySources(candidates: [
          .init(file: "images/a.jpg", url: "/blog/images/a.jpg", density: 1, descriptor: "1x"),
          .init(file: "images/a-960.jpg", url: "/blog/images/a-960.jpg", density: 2, descriptor: "2x"),
        ]))
    #expect(
      action("density without 1x")
        == .addDensitySources(candidates: [
          .init(file: "images/b.png", url: "/blog/images/b.png", density: 1, descriptor: "1x"),
          .init(file: "images/b@2x.png", url: "/blog/images/b@2x.png", density: 2, descriptor: "2x"),
        ]))
    #expect(action("remote") == .remote)
    #expect(action("outside the base path") == .remote)
    #expect(action("inline") == .skipped("not a local file"))
    #expect(action("script lazy") == .skipped("loaded by the theme's script (data-src)"))
    #expect(action("template") == nil, "images in <template> are not the page's")
    #expect(page.images.count == 18, "text in <pre>, <textarea>, comments and <style> is never an image")
    #expect(
      page.diagnostics.map(\.description) == [
        "posts/hard/index.html:26:1: warning: image \"/blog/images/missing.jpg\" not found in the site folder; left as written"
      ])
    #expect(page.videos.map(\.id) == ["GBl2DSOL7bw", "dQw4w9WgXcQ"])
    #expect(page.videos.first?.start == 42 && page.videos.first?.end == 60)
  }

  @Test func goldenOutputAndEveryOtherByteUnchanged() throws {
    let site = try site()
    let page = try scan(site)
    let outcome = rewriter.rewrite(
      page, rendered: rendered(page, folder: FileSystem.canonical(site.path("public"))), videos: Self.videos)
    let output = String(decoding: outcome.bytes, as: UTF8.self)
    let golden = Self.fixture + "/expected/" + Self.page
    if ProcessInfo.processInfo.environment["VIGNETTE_UPDATE_GOLDEN"] == "1" {
      try FileSystem.writeAtomically(Data(outcome.bytes), to: golden)
    }
    let expected = try String(contentsOfFile: golden, encoding: .utf8)
    #expect(output == expected, "set VIGNETTE_UPDATE_GOLDEN=1 to rewrite the golden file after checking it")
    #expect(outcome.images == 13 && outcome.videos == 2)

    // Independently of the rewriter's bookkeeping: parse the output, cut out Vignette's
    // elements (marked pictures, facades, the linked files), cut the elements they replaced
    // out of the input, and what is left must be the same bytes.
    let before = page.source.bytes
    let replaced =
      page.images.compactMap { image -> Range<Int>? in
        switch image.action {
        case .replace(_, _, let picture?): return page.document.elements[picture].range
        case .replace, .addSources, .addDensitySources: return page.document.elements[image.element].startTag
        default: return nil
        }
      } + page.videos.map { page.document.elements[$0.element].range }
    let after = HTMLDocument.parse(outcome.bytes)
    var added: [Range<Int>] = []
    for (index, element) in after.elements.enumerated() {
      let ancestors = after.ancestors(of: index).map { after.elements[$0] }
      guard !ancestors.contains(where: { $0.attribute("data-vignette") != nil || $0.tag == "figure" }) else { continue }
      if (element.tag == "picture" || element.tag == "link" || element.tag == "script")
        && element.attribute("data-vignette") != nil
        || element.tag == "figure" && (element["class"] ?? "").contains("vignette-video")
      {
        added.append(element.range)
      }
    }
    func cut(_ bytes: [UInt8], _ ranges: [Range<Int>]) -> [[UInt8]] {
      var pieces: [[UInt8]] = []
      var cursor = 0
      for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
        pieces.append(Array(bytes[cursor..<range.lowerBound]))
        cursor = range.upperBound
      }
      pieces.append(Array(bytes[cursor...]))
      return pieces.filter { !$0.isEmpty }
    }
    #expect(added.count == replaced.count + 2)
    #expect(Array(cut(before, replaced).joined()) == Array(cut(outcome.bytes, added).joined()))
  }

  @Test func aSecondRunChangesNoByte() throws {
    let site = try site()
    let first = try scan(site)
    let folder = FileSystem.canonical(site.path("public"))
    let outcome = rewriter.rewrite(first, rendered: rendered(first, folder: folder), videos: Self.videos)
    let second = SitePage(path: Self.page, bytes: outcome.bytes, folder: folder, configuredBase: nil)
    #expect(second.images.allSatisfy { SiteRewriter.renderKeys($0.action).isEmpty })
    // A later run still knows every file a marked picture shows, a density srcset's too.
    let done = second.images.compactMap { image -> [String]? in
      if case .done(let keys) = image.action { return keys } else { return nil }
    }
    #expect(
      done.contains(["images/a.jpg|", "images/a-960.jpg|"]) && done.contains(["images/b.png|", "images/b@2x.png|"]))
    #expect(second.videos.allSatisfy(\.done) && second.videos.count == 2)
    let again = rewriter.rewrite(second, rendered: rendered(second, folder: folder), videos: Self.videos)
    #expect(again.bytes == outcome.bytes)
  }

  /// The placeholder is the `<img>`'s background alone, as in markdown mode: no `onload` or
  /// other inline script, which a Content-Security-Policy without `'unsafe-inline'` blocks.
  /// A theme's own `style` is never overridden.
  @Test func placeholderNeedsNoInlineScript() throws {
    let site = try site()
    let page = try scan(site)
    let outcome = rewriter.rewrite(
      page, rendered: rendered(page, folder: FileSystem.canonical(site.path("public"))), videos: Self.videos)
    let after = HTMLDocument.parse(outcome.bytes)
    let images = after.elements.indices.filter { index in
      after.elements[index].tag == "img"
        && after.ancestors(of: index).contains { after.elements[$0].attribute("data-vignette") != nil }
    }
    #expect(images.count >= 6)
    for index in images {
      let img = after.elements[index]
      #expect(!img.attributes.contains { $0.name.hasPrefix("on") }, "\(img["alt"] ?? "")")
    }
    let styles = images.compactMap { after.elements[$0]["style"] }
    #expect(styles.contains("background-color:#336699"))
    let themed = after.elements.first { $0.tag == "img" && $0["alt"] == "self-closed, spaced" }
    #expect(themed?["style"] == "border: 1px solid")
  }
}

@Suite struct SiteAddressTests {
  @Test func baseFromCanonical() {
    #expect(
      SiteBase.fromCanonical("https://Example.com/blog/posts/a/", pagePath: "posts/a/index.html")
        == SiteBase(origin: "https://example.com", path: "/blog/"))
    #expect(
      SiteBase.fromCanonical("https://example.com/about.html", pagePath: "about.html")
        == SiteBase(origin: "https://example.com", path: "/"))
    #expect(
      SiteBase.fromCanonical("https://example.com:8443/index.html", pagePath: "index.html")
        == SiteBase(origin: "https://example.com:8443", path: "/"))
    #expect(SiteBase.fromCanonical("https://example.com/other/", pagePath: "posts/a/index.html") == nil)
  }

  @Test func resolvesAsTheBrowserWould() throws {
    let site = try TestSite()
    try site.write("public/images/a b.jpg", Data(count: 10))
    try site.write("public/posts/x/pic.png", Data(count: 10))
    let folder = FileSystem.canonical(site.path("public"))
    let address = SiteAddress(
      folder: folder, base: SiteBase(origin: "https://example.com", path: "/blog/"), pagePath: "posts/x/index.html")
    #expect(address.resolve("pic.png") == .local(file: "posts/x/pic.png", urlPath: "/posts/x/pic.png"))
    #expect(address.resolve("./pic.png?v=1#c") == .local(file: "posts/x/pic.png", urlPath: "/posts/x/pic.png"))
    #expect(address.resolve("../../images/a%20b.jpg") == .local(file: "images/a b.jpg", urlPath: "/images/a b.jpg"))
    #expect(address.resolve("/blog/images/a b.jpg") == .local(file: "images/a b.jpg", urlPath: "/images/a b.jpg"))
    #expect(
      address.resolve("https://EXAMPLE.com/blog/images/a%20b.jpg")
        == .local(file: "images/a b.jpg", urlPath: "/images/a b.jpg"))
    #expect(
      address.resolve("//example.com/blog/posts/x/pic.png")
        == .local(file: "posts/x/pic.png", urlPath: "/posts/x/pic.png"))
    #expect(address.resolve("https://other.org/blog/images/a.jpg") == .remote)
    #expect(address.resolve("/images/a b.jpg") == .remote)
    #expect(address.resolve("data:image/png;base64,AAAA") == .inline)
    if case .missing = address.resolve("nope.png") {} else { Issue.record("a missing file is not reported") }
    if case .invalid = address.resolve("/blog/%2e%2e/%2e%2e/etc/passwd") {
    } else {
      Issue.record("a URL out of the folder is not refused")
    }
    let withBase = SiteAddress(folder: folder, base: SiteBase(), pagePath: "posts/x/index.html", baseHref: "/images/")
    #expect(withBase.resolve("a%20b.jpg") == .local(file: "images/a b.jpg", urlPath: "/images/a b.jpg"))
    #expect(withBase.url(toSitePath: "/vignette/facade.css") == "/vignette/facade.css")
    #expect(address.url(toSitePath: "/vignette/facade.css") == "../../vignette/facade.css")
  }

  @Test func srcsetCandidates() {
    let list = SitePage.srcsetCandidates(" a.jpg 480w, b, c.jpg  2x , d(1).jpg 100w,e.jpg,, f.jpg")
    #expect(list.map(\.url) == ["a.jpg", "b", "c.jpg", "d(1).jpg", "e.jpg", "f.jpg"])
    #expect(list.map(\.descriptor) == ["480w", nil, "2x", "100w", nil, nil])
  }
}
