import Foundation

/// A Hugo site's own config: `hugo.toml` and its YAML and JSON spellings, or the older
/// `config.*`, in the site folder or its `config/_default/`. Vignette reads `baseURL` from it
/// (so variant URLs carry the path the site is served under), and `HugoThemeCheck` its themes.
enum HugoConfig {
  /// Hugo's config file names, in the order Hugo looks for them.
  static let names = [
    "hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml", "config.json",
  ]

  /// The first Hugo config file under the first of `roots` that has one, with that folder.
  static func find(in roots: [String]) -> (root: String, file: String)? {
    for root in roots {
      for folder in [root, root + "/config/_default"] {
        for name in names where FileSystem.isFile(folder + "/" + name) { return (root, folder + "/" + name) }
      }
    }
    return nil
  }

  /// The values of a config file. One that cannot be read or parsed is an error naming it
  /// as `display`.
  static func values(of file: String, display: String) throws(ConfigError) -> FrontMatterValue {
    guard let data = FileManager.default.contents(atPath: file) else {
      throw ConfigError(file: display, keyPath: "", message: "cannot read the file")
    }
    let format: FrontMatter.Format =
      switch (file as NSString).pathExtension.lowercased() {
      case "toml": .toml
      case "json": .json
      default: .yaml
      }
    do {
      return try FrontMatter.decode(String(decoding: data, as: UTF8.self), as: format)
    } catch {
      let detail = String(describing: error).split(separator: "\n").first.map(String.init) ?? ""
      throw ConfigError(file: display, keyPath: "", message: "not valid \(format.rawValue.uppercased()): \(detail)")
    }
  }

  /// The `baseURL` of the site's Hugo config (the key matched case-insensitively, as Hugo
  /// does), with the file (as `display` shows it) and the key as written, for errors. Nil
  /// when there is no config or it sets no `baseURL`.
  static func baseURL(in roots: [String], display: (String) -> String) throws(ConfigError) -> (
    file: String, key: String, value: String
  )? {
    guard let (_, file) = find(in: roots) else { return nil }
    guard case .table(let table) = try values(of: file, display: display(file)),
      let (key, value) = table.first(where: { $0.key.lowercased() == "baseurl" })
    else { return nil }
    guard let string = value.string else {
      throw ConfigError(file: display(file), keyPath: key, message: "expected a string")
    }
    return (display(file), key, string)
  }
}
