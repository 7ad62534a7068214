import Foundation
import Vips

/// Reads a JSON object key by key, so that unknown keys and wrong types are reported with
/// their full path. Decoding goes through `JSONSerialization` values rather than `Codable`
/// because Codable loses the difference between a missing key and an unknown one.
struct ConfigReader {
  let file: String

  func fail(_ path: String, _ message: String) -> ConfigError {
    ConfigError(file: file, keyPath: path, message: message)
  }

  func object(_ value: Any, _ path: String, allowed: Set<String>) throws -> [String: Any] {
    guard let object = value as? [String: Any] else { throw fail(path, "expected an object") }
    for key in object.keys.sorted() where !allowed.contains(key) {
      let known = allowed.filter { !$0.hasPrefix("$") }.sorted().joined(separator: ", ")
      throw fail(join(path, key), "unknown key (known keys: \(known))")
    }
    return object
  }

  func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  func string(_ value: Any, _ path: String) throws -> String {
    guard let string = value as? String else { throw fail(path, "expected a string, found \(describe(value))") }
    return string
  }

  func bool(_ value: Any, _ path: String) throws -> Bool {
    guard let number = value as? NSNumber, number.isBoolean else {
      throw fail(path, "expected true or false, found \(describe(value))")
    }
    return number.boolValue
  }

  func int(_ value: Any, _ path: String, in range: ClosedRange<Int>) throws -> Int {
    guard let number = value as? NSNumber, !number.isBoolean,
      number.doubleValue == number.doubleValue.rounded(), abs(number.doubleValue) < 1e15
    else { throw fail(path, "expected an integer, found \(describe(value))") }
    let int = number.intValue
    guard range.contains(int) else {
      throw fail(path, "\(int) is out of range (\(range.lowerBound)…\(range.upperBound))")
    }
    return int
  }

  func array(_ value: Any, _ path: String) throws -> [Any] {
    guard let array = value as? [Any] else { throw fail(path, "expected an array, found \(describe(value))") }
    return array
  }

  func strings(_ value: Any, _ path: String) throws -> [String] {
    try array(value, path).enumerated().map { try string($1, "\(path)[\($0)]") }
  }

  func describe(_ value: Any) -> String {
    switch value {
    case let number as NSNumber where number.isBoolean: return number.boolValue ? "true" : "false"
    case let number as NSNumber: return "the number \(number)"
    case let string as String: return "the string \"\(string)\""
    case is [Any]: return "an array"
    case is [String: Any]: return "an object"
    case is NSNull: return "null"
    default: return "\(value)"
    }
  }
}

extension PipelineConfig {
  /// Decodes a `pipeline.json` document. `file` names it in errors.
  public static func decode(_ data: Data, file: String = "pipeline.json") throws(ConfigError) -> PipelineConfig {
    let reader = ConfigReader(file: file)
    let root: Any
    do {
      root = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    } catch {
      let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
      throw ConfigError(file: file, keyPath: "", message: "not valid JSON: \(detail)")
    }
    do {
      return try decode(root, reader)
    } catch let error as ConfigError {
      throw error
    } catch {
      throw ConfigError(file: file, keyPath: "", message: "\(error)")
    }
  }

  private static func decode(_ root: Any, _ r: ConfigReader) throws -> PipelineConfig {
    var config = PipelineConfig()
    let top = try r.object(
      root, "",
      allowed: [
        "$schema", "version", "content", "assetRoots", "output", "cache", "images", "youtube", "frontMatterImageKeys",
        "site", "baseURL",
        "remoteCache",
      ])
    if let value = top["$schema"] { _ = try r.string(value, "$schema") }
    if let value = top["version"] {
      config.version = try r.int(value, "version", in: Int.min...Int.max)
      guard config.version == 1 else {
        throw r.fail("version", "unsupported version \(config.version); this Vignette reads version 1")
      }
    }
    if let value = top["content"] { config.content = try nonEmpty(r.string(value, "content"), "content", r) }
    if let value = top["assetRoots"] {
      config.assetRoots = try r.strings(value, "assetRoots")
      config.assetRootsGiven = true
      for (index, root) in config.assetRoots.enumerated() where root.isEmpty {
        throw r.fail("assetRoots[\(index)]", "must not be empty")
      }
    }
    if let value = top["output"] { config.output = try nonEmpty(r.string(value, "output"), "output", r) }
    if let value = top["cache"] { config.cache = try nonEmpty(r.string(value, "cache"), "cache", r) }
    if let value = top["frontMatterImageKeys"] {
      config.frontMatterImageKeys = try r.strings(value, "frontMatterImageKeys")
    }
    if let value = top["site"] { config.site = try nonEmpty(r.string(value, "site"), "site", r) }
    if let value = top["baseURL"] {
      let url = try r.string(value, "baseURL")
      guard SiteBase(url: url) != nil else {
        throw r.fail("baseURL", "must be an http or https URL or a path starting with /, found \"\(url)\"")
      }
      config.baseURL = url
    }
    if let value = top["images"] { config.images = try decodeImages(value, r) }
    if let value = top["youtube"] { config.youtube = try decodeYouTube(value, r) }
    if let value = top["remoteCache"] { config.remoteCache = try decodeRemoteCache(value, r) }
    return config
  }

  private static func decodeRemoteCache(_ value: Any, _ r: ConfigReader) throws -> RemoteCacheSettings {
    let object = try r.object(value, "remoteCache", allowed: ["url", "readOnly"])
    guard let raw = object["url"] else { throw r.fail("remoteCache.url", "is required") }
    let url = try r.string(raw, "remoteCache.url")
    if let problem = RemoteCacheSettings.problem(url: url) { throw r.fail("remoteCache.url", problem) }
    var settings = RemoteCacheSettings(url: url)
    if let value = object["readOnly"] { settings.readOnly = try r.bool(value, "remoteCache.readOnly") }
    return settings
  }

  private static func nonEmpty(_ value: String, _ path: String, _ r: ConfigReader) throws -> String {
    guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw r.fail(path, "must not be empty") }
    return value
  }

  private static func decodeImages(_ value: Any, _ r: ConfigReader) throws -> ImageSettings {
    var images = ImageSettings()
    let object = try r.object(
      value, "images", allowed: ["widths", "formats", "quality", "effort", "sizes", "maxPixels", "loaders"])
    if let value = object["widths"] {
      let list = try r.array(value, "images.widths")
      guard !list.isEmpty else { throw r.fail("images.widths", "must list at least one width") }
      images.widths = try list.enumerated().map { try r.int($1, "images.widths[\($0)]", in: 1...16384) }
      if Set(images.widths).count != images.widths.count {
        throw r.fail("images.widths", "lists a width twice")
      }
    }
    if let value = object["formats"] {
      let names = try r.strings(value, "images.formats")
      guard !names.isEmpty else { throw r.fail("images.formats", "must list at least one format") }
      images.formats = try names.enumerated().map { index, name in
        guard let format = OutputFormat(rawValue: name) else {
          throw r.fail("images.formats[\(index)]", "unknown format \"\(name)\" (use avif, webp, jpeg, png or auto)")
        }
        return format
      }
      if Set(images.formats).count != images.formats.count {
        throw r.fail("images.formats", "lists a format twice")
      }
    }
    if let value = object["quality"] {
      let quality = try r.object(value, "images.quality", allowed: ["avif", "webp", "jpeg"])
      if let v = quality["avif"] { images.quality.avif = try r.int(v, "images.quality.avif", in: 1...100) }
      if let v = quality["webp"] { images.quality.webp = try r.int(v, "images.quality.webp", in: 1...100) }
      if let v = quality["jpeg"] { images.quality.jpeg = try r.int(v, "images.quality.jpeg", in: 1...100) }
    }
    if let value = object["effort"] {
      let effort = try r.object(value, "images.effort", allowed: ["avif", "webp"])
      if let v = effort["avif"] { images.effort.avif = try r.int(v, "images.effort.avif", in: 0...9) }
      if let v = effort["webp"] { images.effort.webp = try r.int(v, "images.effort.webp", in: 0...6) }
    }
    if let value = object["sizes"] {
      images.sizes = try nonEmpty(r.string(value, "images.sizes"), "images.sizes", r)
      if images.sizes.contains("\"") || images.sizes.contains("<") {
        throw r.fail("images.sizes", "must not contain quotes or '<'")
      }
    }
    if let value = object["maxPixels"] {
      images.maxPixels = try r.int(value, "images.maxPixels", in: 1...Int(Int32.max) * 4)
    }
    if let value = object["loaders"] {
      images.loaders = try r.strings(value, "images.loaders")
      for (index, name) in images.loaders.enumerated() where VipsLibrary.optionalLoaders[name] == nil {
        let known = VipsLibrary.optionalLoaders.keys.sorted().joined(separator: ", ")
        throw r.fail("images.loaders[\(index)]", "unknown loader \"\(name)\" (one of \(known))")
      }
    }
    return images
  }

  private static func decodeYouTube(_ value: Any, _ r: ConfigReader) throws -> YouTubeSettings {
    var youtube = YouTubeSettings()
    let object = try r.object(value, "youtube", allowed: ["oembed", "thumbnails", "lockfile", "offline"])
    for key in ["oembed", "thumbnails"] {
      guard let raw = object[key] else { continue }
      let url = try r.string(raw, "youtube.\(key)")
      guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
        parsed.host != nil
      else { throw r.fail("youtube.\(key)", "must be an http or https URL, found \"\(url)\"") }
      if key == "oembed" { youtube.oembed = url } else { youtube.thumbnails = url }
    }
    if let value = object["lockfile"] {
      youtube.lockfile = try nonEmpty(r.string(value, "youtube.lockfile"), "youtube.lockfile", r)
    }
    if let value = object["offline"] { youtube.offline = try r.bool(value, "youtube.offline") }
    return youtube
  }
}

extension NSNumber {
  /// JSON `true`/`false` (Foundation boxes them as `char`; JSON numbers never are).
  fileprivate var isBoolean: Bool { String(cString: objCType) == "c" }
}
