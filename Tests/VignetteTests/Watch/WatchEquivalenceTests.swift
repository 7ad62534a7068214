import Foundation
import Testing

@testable import Vignette

/// Watch mode's rebuilds keep what they can from the previous build (`PipelineMemo`): each
/// post's scan and output digest, the pieces of the manifest and of Hugo's data files
/// (`SitePieces`). Whatever they keep, the output must be what a fresh `vignette build` of
/// the same sources writes: after each change here the watched site's output tree is compared,
/// file by file, with a fresh build of a copy of its sources in another folder.
@Suite("Watch equivalence")
struct WatchEquivalenceTests {
  /// A site of `count` posts in folders of 20: figures, markdown images, both, none, and now
  /// and then a missing picture.
  func makeSite(posts count: Int, _ name: String = #function) throws -> TestSite {
    let site = try TestSite(name)
    try site.config()
    try site.image("assets/images/a.png", width: 64, height: 48)
    try site.image("assets/images/b.jpg", width: 80, height: 40)
    try site.image("assets/images/c.png", width: 40, height: 40, alpha: true)
    for n in 0..<count {
      try site.write(Self.postPath(n), Self.post(n))
    }
    return site
  }

  static func postPath(_ n: Int) -> String { "assets/posts/\(n / 20)/post-\(n).md" }

  static func post(_ n: Int, extra: String = "") -> String {
    let images: [String] =
      switch n % 5 {
      case 0: ["a.png"]
      case 1: ["b.jpg", "c.png"]
      case 2: []
      case 3: ["c.png"]
      default: n % 15 == 4 ? ["gone.png"] : ["a.png", "b.jpg"]
      }
    let markdown = n % 3 == 0 ? "\nA picture: ![inline](/images/b.jpg)\n" : ""
    return TestSite.post("Post \(n)", images: images, extra: markdown + extra)
  }

  /// The output tree of a fresh build of `site`'s sources, copied into another folder.
  func freshOutput(of site: TestSite) async throws -> [String: String] {
    let copy = try TestSite("fresh")
    for file in FileSystem.files(under: site.path("assets")) {
      try copy.write("assets/" + file, Data(contentsOf: URL(fileURLWithPath: site.path("assets/" + file))))
    }
    try copy.write("pipeline.json", Data(contentsOf: URL(fileURLWithPath: site.path("pipeline.json"))))
    try await copy.build()
    return try copy.outputDigest()
  }

  /// Waits (generously) until the watched output is `expected`; records what differs if it
  /// never gets there.
  func expectOutput(of site: TestSite, _ expected: [String: String], _ step: String) async throws {
    let same = await eventually { (try? site.outputDigest()) == expected }
    if !same {
      let actual = try site.outputDigest()
      let differing = Set(actual.keys).union(expected.keys).filter { actual[$0] != expected[$0] }.sorted()
      Issue.record("after \(step), the watched output differs from a fresh build in \(differing.prefix(10))")
    }
  }

  @Test("after a post edit, images replaced, added and deleted, posts added and deleted, the output is a fresh build's")
  func sameAsFreshBuild() async throws {
    let site = try makeSite(posts: 120)
    let watch = try WatchSessionTests.Running(site)
    #expect(await eventually { watch.reports.count >= 1 })

    // One post: new text, another picture, a reference that cannot be found.
    try site.save(Self.postPath(37), Self.post(38, extra: "\nEdited.\n\n![missing](/images/nowhere.png)\n"))
    try await expectOutput(of: site, try await freshOutput(of: site), "a post edit")

    // One image replaced by another picture of another size (temp file, then rename).
    let temporary = site.path("assets/images/.c.png.tmp")
    try Data(TestImages.gradient(width: 56, height: 28, alpha: false, format: .png)).write(
      to: URL(fileURLWithPath: temporary))
    #expect(rename(temporary, site.path("assets/images/c.png")) == 0)
    try await expectOutput(of: site, try await freshOutput(of: site), "an image replaced")

    // The picture some posts miss appears (every reference to it now resolves), and one
    // that others show goes.
    try site.image("assets/images/gone.png", width: 30, height: 20)
    try site.remove("assets/images/b.jpg")
    try await expectOutput(of: site, try await freshOutput(of: site), "an image added and one deleted")

    // A post added, another deleted, then the first edited back.
    try site.write("assets/posts/new/added.md", Self.post(1, extra: "Added."))
    try site.remove(Self.postPath(52))
    try site.save(Self.postPath(37), Self.post(37))
    try await expectOutput(of: site, try await freshOutput(of: site), "a post added and one deleted")

    await watch.stop()
    #expect(watch.failures.isEmpty)
    // The manifest assembled from pieces is what `JSONEncoder` writes for the whole of it.
    let manifest = try Data(contentsOf: URL(fileURLWithPath: site.path("output/manifest.json")))
    #expect(try site.manifest().encoded() == manifest)
  }

  @Test("JSON assembled from pieces is JSONEncoder's, empty containers and key order included")
  func prettyJSON() throws {
    struct Item: Codable, Equatable {
      var name: String
      var list: [Int]
      var nested: [String: [String]]
      var note: String?
    }
    let items = [
      Item(name: "a \"quoted\" /path/\n", list: [], nested: [:], note: nil),
      Item(name: "é", list: [1, 2], nested: ["z": [], "a": ["x"]], note: "n"),
    ]
    let encoder = PrettyJSON.encoder()
    for count in 0...items.count {
      let slice = Array(items.prefix(count))
      let assembled = PrettyJSON.array(try slice.map { try PrettyJSON.element($0, depth: 1, with: encoder) }, depth: 0)
      #expect(assembled == Array(try encoder.encode(slice)))
    }
    let keys = ["b", "a/é", "Z", "a10", "a9", "é", "", "a b", "post-10.md", "post-1.md", "日本"]
    for count in [0, 1, keys.count] {
      let dictionary = Dictionary(uniqueKeysWithValues: keys.prefix(count).enumerated().map { ($1, items[$0 % 2]) })
      let members = try dictionary.map { key, value in
        SitePieces.Piece(key: key, bytes: try PrettyJSON.member(key, value, depth: 1, with: encoder))
      }
      #expect(PrettyJSON.object(members, depth: 0) == Array(try encoder.encode(dictionary)))
    }
  }
}
