import Foundation
import Testing

@testable import Vignette

/// Targets as posts write them, looked up the way Hugo serves them, never outside the
/// content folder and the asset roots.
@Suite struct ReferenceResolverTests {
  let site: TestSite
  let resolver: ReferenceResolver
  let post: String

  init() throws {
    site = try TestSite()
    try site.write("static/images/both.png", "first root")
    try site.write("assets/images/both.png", "second root")
    try site.write("assets/images/only-second.png", "x")
    try site.write("assets/images/with space.png", "x")
    try site.write("assets/images/caf\u{E9}.png", "x")  // NFC on disk
    try site.write("assets/posts/bundle/index.md", "post")
    try site.write("assets/posts/bundle/cover.jpg", "x")
    try site.write("assets/posts/bundle/images/shot.jpeg", "x")
    try site.write("assets/posts/bundle/images/both.png", "in the bundle")
    try site.write("outside/secret.png", "secret")
    try FileManager.default.createSymbolicLink(
      atPath: site.path("assets/images/link.png"), withDestinationPath: site.path("outside/secret.png"))
    try FileManager.default.createSymbolicLink(
      atPath: site.path("assets/images/inside-link.png"),
      withDestinationPath: site.path("assets/images/only-second.png"))
    let root = FileSystem.canonical(site.root)
    resolver = ReferenceResolver(
      content: root + "/assets/posts", assetRoots: [root + "/static", root + "/assets"],
      display: { FileSystem.relative($0, to: root) })
    post = root + "/assets/posts/bundle/index.md"
  }

  func resolve(_ target: String, figure: Bool = false) -> ResolvedTarget {
    resolver.resolve(target, from: post, figure: figure)
  }

  @Test("site paths are looked up in the asset roots in order")
  func rootsInOrder() {
    let first = resolve("/images/both.png")
    #expect(first.status == .ok)
    #expect(first.file?.hasSuffix("/static/images/both.png") == true)
    #expect(first.urlPath == "/images/both.png")
    let second = resolve("/images/only-second.png")
    #expect(second.status == .ok)
    #expect(second.file?.hasSuffix("/assets/images/only-second.png") == true)
    #expect(second.urlPath == "/images/only-second.png")
  }

  @Test("page-relative paths resolve beside the post, as in a page bundle")
  func pageBundle() {
    for target in ["cover.jpg", "./cover.jpg"] {
      let resolved = resolve(target)
      #expect(resolved.status == .ok)
      #expect(resolved.urlPath == "/bundle/cover.jpg")
    }
  }

  @Test("percent-encoded, space-containing and Unicode names (either normalization) resolve")
  func names() {
    #expect(resolve("/images/with%20space.png").status == .ok)
    #expect(resolve("/images/with space.png").status == .ok)
    #expect(resolve("/images/caf%C3%A9.png").status == .ok)
    #expect(resolve("/images/caf\u{E9}.png").status == .ok)
    #expect(resolve("/images/cafe\u{301}.png").status == .ok)  // NFD in the post
    #expect(resolve("/images/only-second.png?v=2#top").status == .ok)
  }

  @Test("remote URLs are left alone and recorded as remote; data: URLs are skipped")
  func remote() {
    for target in ["https://example.com/a.png", "http://example.com/a.png", "//cdn.example.com/a.png"] {
      #expect(resolve(target).status == .remote, "\(target)")
    }
    #expect(resolve("data:image/png;base64,AAAA").status == .skipped)
  }

  @Test(
    "paths that escape the roots are refused and not read",
    arguments: [
      "/../outside/secret.png", "/images/../../outside/secret.png", "../../../outside/secret.png", "/images/link.png",
      "file:///etc/passwd",
    ])
  func escapes(_ target: String) {
    let resolved = resolve(target)
    #expect(resolved.status == .invalid)
    #expect(resolved.file == nil)
    #expect(resolved.message?.contains("not") == true, "\(resolved.message ?? "")")
  }

  @Test("a link that stays inside the roots is followed")
  func insideLink() {
    let resolved = resolve("/images/inside-link.png")
    #expect(resolved.status == .ok)
    #expect(resolved.file?.hasSuffix("/assets/images/only-second.png") == true)
  }

  @Test("missing files and folders are reported with where they were looked for")
  func missing() {
    #expect(
      resolve("/images/nope.png")
        == ResolvedTarget(
          status: .missing,
          message:
            "image \"/images/nope.png\" not found (looked for static/images/nope.png, assets/images/nope.png and assets/posts/images/nope.png)"
        ))
    #expect(resolve("nope.png").message == "image \"nope.png\" not found (looked for assets/posts/bundle/nope.png)")
    #expect(resolve("/images").status == .invalid)
  }

  @Test("a site-absolute URL into a page bundle resolves to the bundle's file, served at that URL")
  func siteAbsoluteIntoBundle() {
    let resolved = resolve("/bundle/images/shot.jpeg")
    #expect(resolved.status == .ok)
    #expect(resolved.file?.hasSuffix("/assets/posts/bundle/images/shot.jpeg") == true)
    #expect(resolved.urlPath == "/bundle/images/shot.jpeg")
  }

  @Test("a figure looks in its page bundle first, then globally, as Hugo 0.124+'s figure does")
  func figurePageResourceFirst() {
    let bundled = resolve("/images/shot.jpeg", figure: true)
    #expect(bundled.status == .ok && bundled.urlPath == "/bundle/images/shot.jpeg")
    let first = resolve("/images/both.png", figure: true)
    #expect(first.file?.hasSuffix("/assets/posts/bundle/images/both.png") == true)
    // Relative: the bundle, then the asset roots.
    #expect(resolve("images/only-second.png", figure: true).file?.hasSuffix("/assets/images/only-second.png") == true)
    // Markdown images keep the global lookup first, and say where a file of that name is.
    #expect(resolve("/images/both.png").file?.hasSuffix("/static/images/both.png") == true)
    #expect(
      resolve("/images/shot.jpeg").message
        == "image \"/images/shot.jpeg\" not found (looked for static/images/shot.jpeg, assets/images/shot.jpeg and assets/posts/images/shot.jpeg); a file of that name is at assets/posts/bundle/images/shot.jpeg"
    )
    #expect(
      resolve("/img/SHOT.jpeg").message?.hasSuffix("a file of that name is at assets/posts/bundle/images/shot.jpeg")
        == true)
  }

  /// One resolver is one build: a target many posts show is looked up once (a 10,000-post
  /// site spent most of a no-op rebuild walking the same paths). Seen through a file removed
  /// after the first lookup: the other posts still get the file the build found.
  @Test func aTargetIsLookedUpOncePerBuild() throws {
    let root = FileSystem.canonical(site.root)
    try site.write("assets/posts/other/a.md", "post")
    try site.write("assets/posts/other/b.md", "post")
    try site.write("assets/posts/other/near.png", "x")
    let first = resolver.resolve("/images/only-second.png", from: root + "/assets/posts/other/a.md")
    let near = resolver.resolve("near.png", from: root + "/assets/posts/other/a.md")
    #expect(first.status == .ok && near.status == .ok)
    try FileManager.default.removeItem(atPath: site.path("assets/images/only-second.png"))
    try FileManager.default.removeItem(atPath: site.path("assets/posts/other/near.png"))
    #expect(resolver.resolve("/images/only-second.png", from: root + "/assets/posts/other/b.md") == first)
    #expect(resolver.resolve("near.png", from: root + "/assets/posts/other/b.md") == near)
    // A relative path is another file from another folder, and the bundle's figure looks in
    // the bundle first.
    #expect(resolve("near.png").status == .missing)
    #expect(resolve("/images/both.png", figure: true).file?.hasSuffix("bundle/images/both.png") == true)
    #expect(resolve("/images/both.png").file?.hasSuffix("static/images/both.png") == true)
    // A fresh resolver (the next build) sees the files as they are now.
    let next = ReferenceResolver(content: resolver.content, assetRoots: resolver.assetRoots)
    #expect(next.resolve("/images/only-second.png", from: root + "/assets/posts/other/b.md").status == .missing)
  }
}
