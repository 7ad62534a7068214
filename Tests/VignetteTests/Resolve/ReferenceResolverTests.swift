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
    try site.write("outside/secret.png", "secret")
    try FileManager.default.createSymbolicLink(
      atPath: site.path("assets/images/link.png"), withDestinationPath: site.path("outside/secret.png"))
    try FileManager.default.createSymbolicLink(
      atPath: site.path("assets/images/inside-link.png"),
      withDestinationPath: site.path("assets/images/only-second.png"))
    let root = FileSystem.canonical(site.root)
    resolver = ReferenceResolver(content: root + "/assets/posts", assetRoots: [root + "/static", root + "/assets"])
    post = root + "/assets/posts/bundle/index.md"
  }

  func resolve(_ target: String) -> ResolvedTarget { resolver.resolve(target, from: post) }

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

  @Test("missing files and folders are reported")
  func missing() {
    #expect(
      resolve("/images/nope.png")
        == ResolvedTarget(status: .missing, message: "image \"/images/nope.png\" not found in the asset roots"))
    #expect(resolve("nope.png").message == "image \"nope.png\" not found next to the post")
    #expect(resolve("/images").status == .invalid)
  }
}
