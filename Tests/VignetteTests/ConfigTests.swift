import Foundation
import Testing

@testable import Vignette

@Suite("pipeline.json")
struct ConfigTests {
  func decode(_ json: String) throws(ConfigError) -> PipelineConfig {
    try PipelineConfig.decode(Data(json.utf8), file: "pipeline.json")
  }

  func error(_ json: String) -> ConfigError? {
    do {
      _ = try decode(json)
      return nil
    } catch {
      return error
    }
  }

  @Test("an empty object decodes to the documented defaults")
  func emptyIsDefaults() throws {
    let config = try decode("{}")
    #expect(config == PipelineConfig())
    #expect(config.content == "assets/posts")
    #expect(config.assetRoots == ["assets", "static"])
    #expect(config.output == "output")
    #expect(config.cache == ".vignette-cache")
    #expect(config.images.widths == [480, 960, 1440, 1920])
    #expect(config.images.formats == [.avif, .webp, .auto])
    #expect(config.images.quality == .init())
    #expect(config.images.quality.avif == 50 && config.images.quality.webp == 80 && config.images.quality.jpeg == 80)
    #expect(config.images.sizes == "(min-width: 768px) 768px, 100vw")
    #expect(config.images.maxPixels == 100_000_000)
    #expect(config.youtube.oembed == "https://www.youtube.com/oembed")
    #expect(config.youtube.thumbnails == "https://i.ytimg.com/vi")
    #expect(config.youtube.lockfile == "vignette.lock.json")
    #expect(config.youtube.offline == false)
  }

  @Test("the repository's pipeline.json decodes, with its $schema key")
  func repositoryConfig() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: TestSite.repositoryRoot + "/pipeline.json"))
    let config = try PipelineConfig.decode(data)
    #expect(config.content == "assets/posts")
    #expect(config.images.formats.last == .auto)
  }

  @Test("a full config round-trips every field")
  func fullConfig() throws {
    let config = try decode(
      """
      {"version": 1, "content": "posts", "assetRoots": ["static"], "output": "public-media", "cache": ".c",
       "images": {"widths": [300], "formats": ["webp", "jpeg"], "quality": {"avif": 40, "webp": 70, "jpeg": 85},
                  "effort": {"avif": 3, "webp": 5}, "sizes": "100vw", "maxPixels": 1000},
       "youtube": {"oembed": "http://127.0.0.1:9/oembed", "thumbnails": "http://127.0.0.1:9/vi",
                   "lockfile": "lock.json", "offline": true},
       "frontMatterImageKeys": ["hero"]}
      """)
    #expect(config.content == "posts")
    #expect(config.assetRoots == ["static"])
    #expect(config.output == "public-media")
    #expect(config.cache == ".c")
    #expect(config.images.widths == [300])
    #expect(config.images.formats == [.webp, .jpeg])
    #expect(config.images.quality.avif == 40 && config.images.quality.webp == 70 && config.images.quality.jpeg == 85)
    #expect(config.images.effort.avif == 3 && config.images.effort.webp == 5)
    #expect(config.images.sizes == "100vw")
    #expect(config.images.maxPixels == 1000)
    #expect(config.youtube.oembed == "http://127.0.0.1:9/oembed")
    #expect(config.youtube.offline)
    #expect(config.youtube.lockfile == "lock.json")
    #expect(config.frontMatterImageKeys == ["hero"])
    #expect(config.remoteCache == nil)
  }

  @Test("remoteCache: a URL, read-only off unless given")
  func remoteCache() throws {
    #expect(
      try decode(#"{"remoteCache": {"url": "http://cache:8080/v"}}"#).remoteCache == .init(url: "http://cache:8080/v"))
    #expect(
      try decode(#"{"remoteCache": {"url": "https://c.example", "readOnly": true}}"#).remoteCache
        == .init(url: "https://c.example", readOnly: true))
  }

  @Test(
    "bad values name their key path",
    arguments: [
      (#"{"colour": 1}"#, "colour", "unknown key"),
      (#"{"images": {"width": [1]}}"#, "images.width", "unknown key"),
      (#"{"images": {"quality": {"gif": 1}}}"#, "images.quality.gif", "unknown key"),
      (#"{"version": 2}"#, "version", "unsupported version"),
      (#"{"content": 3}"#, "content", "expected a string"),
      (#"{"assetRoots": "assets"}"#, "assetRoots", "expected an array"),
      (#"{"images": {"widths": [480, 0]}}"#, "images.widths[1]", "out of range"),
      (#"{"images": {"widths": [-5]}}"#, "images.widths[0]", "out of range"),
      (#"{"images": {"widths": [480.5]}}"#, "images.widths[0]", "expected an integer"),
      (#"{"images": {"widths": []}}"#, "images.widths", "at least one"),
      (#"{"images": {"widths": [480, 480]}}"#, "images.widths", "twice"),
      (#"{"images": {"formats": ["webp", "gif"]}}"#, "images.formats[1]", "unknown format \"gif\""),
      (#"{"images": {"quality": {"webp": 0}}}"#, "images.quality.webp", "out of range"),
      (#"{"images": {"quality": {"jpeg": 101}}}"#, "images.quality.jpeg", "out of range"),
      (#"{"images": {"maxPixels": true}}"#, "images.maxPixels", "expected an integer"),
      (#"{"youtube": {"offline": "yes"}}"#, "youtube.offline", "expected true or false"),
      (#"{"youtube": {"oembed": "ftp://x"}}"#, "youtube.oembed", "http or https"),
      (#"{"output": ""}"#, "output", "must not be empty"),
      (#"{"remoteCache": "http://cache"}"#, "remoteCache", "expected an object"),
      (#"{"remoteCache": {}}"#, "remoteCache.url", "is required"),
      (#"{"remoteCache": {"url": 5}}"#, "remoteCache.url", "expected a string"),
      (#"{"remoteCache": {"url": "cache:9090"}}"#, "remoteCache.url", "http or https"),
      (#"{"remoteCache": {"url": "http://u:p@cache"}}"#, "remoteCache.url", "VIGNETTE_REMOTE_CACHE_HEADER"),
      (#"{"remoteCache": {"url": "http://cache", "readOnly": "yes"}}"#, "remoteCache.readOnly", "true or false"),
      (#"{"remoteCache": {"url": "http://cache", "token": "x"}}"#, "remoteCache.token", "unknown key"),
    ])
  func badValues(json: String, keyPath: String, message: String) {
    let failure = error(json)
    #expect(failure?.keyPath == keyPath)
    #expect(failure?.message.contains(message) == true, "\(failure?.message ?? "no error")")
    #expect(failure?.description.hasPrefix("pipeline.json: error: \(keyPath): ") == true)
  }

  @Test("not JSON at all is an error for the whole file")
  func notJSON() {
    let failure = error("{ images: }")
    #expect(failure?.keyPath == "")
    #expect(failure?.message.contains("not valid JSON") == true)
  }

  @Test(
    "folders are checked against the disk",
    arguments: [
      (#"{"content": "missing"}"#, "content", "does not exist"),
      (#"{"assetRoots": ["assets", "nope"]}"#, "assetRoots[1]", "does not exist"),
      (#"{"output": "assets/posts/out"}"#, "output", "overlaps the content folder"),
      (#"{"output": "assets"}"#, "output", "overlaps"),
      (#"{"output": "."}"#, "output", "not the project itself"),
      (#"{"cache": "output/cache"}"#, "cache", "outside the output folder"),
    ])
  func folders(json: String, keyPath: String, message: String) throws {
    let site = try TestSite()
    try site.config(json)
    do {
      _ = try Project.load(configPath: site.path("pipeline.json"))
      Issue.record("expected an error for \(json)")
    } catch {
      #expect(error.keyPath == keyPath)
      #expect(error.message.contains(message), "\(error.message)")
    }
  }

  @Test("a default asset root that does not exist is skipped, not an error")
  func defaultRootsMayBeMissing() throws {
    let site = try TestSite()
    try site.config("{}")
    let project = try Project.load(configPath: site.path("pipeline.json"))
    #expect(project.assetRoots == [FileSystem.canonical(site.path("assets"))])
  }
}
