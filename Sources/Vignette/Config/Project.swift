import Foundation

/// A config with every path made absolute and checked: what the pipeline runs on.
public struct Project: Sendable {
  public var config: PipelineConfig
  /// Folder holding the config file; relative paths in the config are relative to it.
  public var root: String
  public var configFile: String
  public var content: String
  public var assetRoots: [String]
  public var output: String
  public var cache: String
  public var lockfile: String
  /// Put in front of every variant URL: the path of `baseURL` (from `pipeline.json`, else
  /// from the Hugo config beside it), such as `/blog`; empty for a site served at the root.
  public var basePath = ""

  /// Loads and checks `pipeline.json` at `path`.
  public static func load(configPath path: String) throws(ConfigError) -> Project {
    let absolute = FileSystem.canonical(path)
    let display = path
    guard let data = FileManager.default.contents(atPath: absolute) else {
      throw ConfigError(
        file: display, keyPath: "",
        message: FileManager.default.fileExists(atPath: absolute) ? "cannot read the file" : "no such file")
    }
    let config = try PipelineConfig.decode(data, file: display)
    return try Project(config: config, root: (absolute as NSString).deletingLastPathComponent, configFile: display)
  }

  /// Site mode's project: `site` (absolute) is both what is read and where everything is
  /// written; the cache and lockfile are as configured, outside it. The content folder is
  /// only used to name a page's source post in diagnostics: the configured one when it
  /// exists, else `content/` (Hugo's) when that exists.
  public init(siteConfig config: PipelineConfig, root: String, configFile: String, site: String) throws(ConfigError) {
    let base = FileSystem.canonical(root)
    self.config = config
    self.root = base
    self.configFile = configFile
    func absolute(_ path: String) -> String { FileSystem.canonical(path.hasPrefix("/") ? path : base + "/" + path) }
    let folder = FileSystem.canonical(site)
    guard FileSystem.isDirectory(folder) else {
      throw ConfigError(file: configFile, keyPath: "site", message: "folder \"\(site)\" does not exist")
    }
    let configured = absolute(config.content)
    content = FileSystem.isDirectory(configured) ? configured : absolute("content")
    assetRoots = []
    output = folder
    cache = absolute(config.cache)
    if FileSystem.isInside(cache, folder) {
      throw ConfigError(
        file: configFile, keyPath: "cache", message: "\"\(config.cache)\" must be outside the site folder \"\(site)\"")
    }
    lockfile = absolute(config.youtube.lockfile)
  }

  /// Checks `config` against the file system under `root`.
  public init(config: PipelineConfig, root: String, configFile: String = "pipeline.json") throws(ConfigError) {
    let base = FileSystem.canonical(root)
    self.config = config
    self.root = base
    self.configFile = configFile
    func absolute(_ path: String) -> String {
      FileSystem.canonical(path.hasPrefix("/") ? path : base + "/" + path)
    }
    func fail(_ key: String, _ message: String) -> ConfigError {
      ConfigError(file: configFile, keyPath: key, message: message)
    }
    content = absolute(config.content)
    guard FileSystem.isDirectory(content) else {
      throw fail("content", "folder \"\(config.content)\" does not exist")
    }
    var roots: [String] = []
    for (index, root) in config.assetRoots.enumerated() {
      let path = absolute(root)
      if FileSystem.isDirectory(path) {
        roots.append(path)
      } else if config.assetRootsGiven {
        throw fail("assetRoots[\(index)]", "folder \"\(root)\" does not exist")
      }
    }
    assetRoots = roots
    let output = absolute(config.output)
    let content = self.content
    if output == base || FileSystem.isInside(base, output) {
      throw fail("output", "must be a folder inside the project, not the project itself")
    }
    if FileSystem.isInside(output, content) || FileSystem.isInside(content, output) {
      throw fail("output", "\"\(config.output)\" overlaps the content folder \"\(config.content)\"")
    }
    for (index, root) in assetRoots.enumerated()
    where FileSystem.isInside(output, root) || FileSystem.isInside(root, output) {
      throw fail("output", "\"\(config.output)\" overlaps asset root \"\(config.assetRoots[index])\"")
    }
    let cache = absolute(config.cache)
    if FileSystem.isInside(cache, output) || FileSystem.isInside(output, cache) {
      throw fail("cache", "\"\(config.cache)\" must be outside the output folder")
    }
    if FileSystem.isInside(cache, content) {
      throw fail("cache", "\"\(config.cache)\" must be outside the content folder")
    }
    self.output = output
    self.cache = cache
    lockfile = absolute(config.youtube.lockfile)
    if let baseURL = config.baseURL, let site = SiteBase(url: baseURL) {
      basePath = String(site.path.dropLast())
    } else if let hugo = try HugoConfig.baseURL(
      in: [base, (content as NSString).deletingLastPathComponent], display: { FileSystem.relative($0, to: base) })
    {
      // Hugo's default is empty: the site root.
      guard let site = hugo.value.isEmpty ? SiteBase() : SiteBase(url: hugo.value) else {
        throw ConfigError(
          file: hugo.file, keyPath: hugo.key,
          message: "must be an http or https URL or a path starting with /, found \"\(hugo.value)\"")
      }
      basePath = String(site.path.dropLast())
    }
  }

  /// How a path is shown to the user: relative to the project folder when inside it.
  public func display(_ path: String) -> String { FileSystem.relative(path, to: root) }
}
