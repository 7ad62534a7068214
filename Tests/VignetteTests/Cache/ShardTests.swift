import Foundation
import Testing
import Vips

@testable import Vignette

@Suite("Shards")
struct ShardTests {
  /// Content hashes of 2,000 made-up sources.
  static let hashes = (0..<2000).map { Checksum.sha256("source \($0)") }

  @Test("every source is in exactly one shard, for N = 1…16", arguments: 1...16)
  func exactlyOne(count: Int) throws {
    var sizes = [Int](repeating: 0, count: count)
    for hash in Self.hashes {
      let owners = (1...count).filter { Shard(index: $0, count: count)!.owns(hash: hash) }
      #expect(owners.count == 1)
      sizes[owners[0] - 1] += 1
    }
    // SHA-256 spreads them: no shard gets less than half its fair share.
    #expect(sizes.allSatisfy { $0 * count * 2 >= Self.hashes.count })
  }

  @Test("K/N is parsed; K outside 1…N and N outside 1…4096 are refused")
  func parsing() throws {
    #expect(try Shard.parse("2/4").get() == Shard(index: 2, count: 4))
    #expect(try Shard.parse("1/1").get().description == "1/1")
    for bad in ["0/4", "5/4", "1/0", "4", "a/b", "1/4/2", "-1/4", "1/5000", ""] {
      #expect(throws: ShardError.self) { try Shard.parse(bad).get() }
    }
  }

  @Test("renaming or moving a source keeps it in its shard")
  func stableUnderRenames() async throws {
    let site = try TestSite()
    let cache = BuildCache(folder: site.path(".cache"))
    var before: [Int: [Int]] = [:]
    for index in 0..<12 {
      try site.image("assets/images/p\(index).png", width: 40 + index, height: 30)
      let hash = try cache.source(file: site.path("assets/images/p\(index).png"), urlPath: "/p.png").hash
      before[index] = (1...16).map { Shard.index(ofHash: hash, count: $0) }
    }
    for index in 0..<12 {
      try FileManager.default.createDirectory(
        atPath: site.path("assets/images/moved"), withIntermediateDirectories: true)
      try FileManager.default.moveItem(
        atPath: site.path("assets/images/p\(index).png"), toPath: site.path("assets/images/moved/renamed-\(index).png"))
      let hash = try cache.source(file: site.path("assets/images/moved/renamed-\(index).png"), urlPath: "/q.png").hash
      #expect((1...16).map { Shard.index(ofHash: hash, count: $0) } == before[index])
    }
  }
}

@Suite("Local cache gc")
struct CacheCollectorTests {
  @Test("entries of sources the site no longer uses are removed and counted; live ones stay")
  func collects() async throws {
    let fixture = try await CacheFixture.make(["keep", "drop"])
    let (site, cache, keep, drop) = (fixture.site, fixture.local, fixture.renders[0], fixture.renders[1])
    try cache.save()
    try site.write(".cache-a/objects/zz/.in-flight.tmp", "another build's temporary file")
    let dropBytes = drop.image.variants.reduce(Int64(0)) { $0 + Int64($1.bytes) }

    var live = CacheCollector.Live()
    live.insert(keep.plan)
    let outcome = try CacheCollector.collect(cache, live: live)
    #expect(outcome.removedFiles == drop.image.variants.count + 1)
    #expect(outcome.freedBytes > dropBytes)
    #expect(outcome.keptFiles == keep.image.variants.count + 1)
    #expect(cache.render(for: keep.plan) == keep.image)
    #expect(cache.render(for: drop.plan) == nil)
    for variant in drop.image.variants {
      #expect(!FileManager.default.fileExists(atPath: cache.objectPath(variant.key, variant.format)))
    }
    #expect(FileManager.default.fileExists(atPath: site.path(".cache-a/objects/zz/.in-flight.tmp")))
    let index = site.read(".cache-a/sources.json") ?? ""
    #expect(index.contains("keep.png") && !index.contains("drop.png"))
    // Nothing left to collect.
    #expect(try CacheCollector.collect(BuildCache(folder: site.path(".cache-a")), live: live).removedFiles == 0)
  }
}
