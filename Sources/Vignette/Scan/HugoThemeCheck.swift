import Foundation

/// Markdown mode's guard for a Hugo site's own design. Vignette's output carries templates of
/// its own (`figure` and `youtube` shortcodes, an image render hook) and rewrites front-matter
/// image fields; mounted into a site whose theme (or the site itself) has its own version of
/// one of those, Vignette's would replace the theme's markup (its classes, captions, gallery,
/// page-bundle lookups), and a rewritten front-matter field is no longer a page resource the
/// theme can find. That cannot be made safe in general, so Vignette finds each such template
/// and warns once per template, pointing at `--site`, which works over Hugo's output instead.
///
/// The site is the folder of the config file, or else the content folder's parent, whichever
/// holds a Hugo config (`hugo.*` or `config.*` in TOML, YAML or JSON, also under
/// `config/_default/`). Its themes are the config's `theme` (a name, a module path or a list)
/// and its `[[module.imports]]` (not `disable`d; a `layouts` mount of the import's own is
/// followed), each looked up where Hugo looks, in Hugo's order: the site's `_vendor/<path>`
/// (`hugo mod vendor`), Hugo's module cache (`<cacheDir>/modules/filecache/modules/pkg/mod/
/// <path>@<version>`, the version from `go.mod`, the path case-encoded as Go does), then
/// `themesDir` (default `themes`). The cache folder is the config's `cacheDir`, else
/// `$HUGO_CACHEDIR`, else the user cache folder (`$XDG_CACHE_HOME/hugo_cache` or
/// `~/.cache/hugo_cache`, Hugo 0.116 and later), else `$TMPDIR/hugo_cache` (earlier Hugo,
/// `/tmp` when `TMPDIR` is unset). A module found is read for imports of its own. A theme or
/// import in none of those places is named in a warning that says it could not be inspected.
///
/// Reading a template as "front-matter images as page resources" is a textual test, since Go
/// templates have no parser here: the file uses the page's parameters (`.Params`) and looks
/// up page resources (`.Resources.Get`, `GetMatch`, `Match` or `ByType`). It is only asked when
/// a post has a front-matter image, and the warning names the line of the lookup.
struct HugoThemeCheck {
  /// What a template of the site or theme does that Vignette's output would undo.
  enum Conflict: CaseIterable {
    case figure, youtube, renderImage, pageResources

    /// The reference kind that makes the template matter: no post using it, no warning.
    var kind: Reference.Kind {
      switch self {
      case .figure: .figure
      case .youtube: .youtube
      case .renderImage: .markdown
      case .pageResources: .frontmatter
      }
    }
  }

  /// A template that conflicts, with where to point.
  struct Template: Equatable {
    var path: String
    var conflict: Conflict
    var line = 1
    var column = 1
  }

  /// The folder of the Hugo site a project belongs to, and its config file; nil when neither
  /// the project folder nor the content folder's parent holds a Hugo config.
  static func site(of project: Project) -> (root: String, config: String)? {
    HugoConfig.find(in: [project.root, (project.content as NSString).deletingLastPathComponent]).map {
      ($0.root, $0.file)
    }
  }

  /// A `layouts` folder to inspect: where it is, whose it is (for messages), and how its
  /// files are named in messages (relative to the project, or `<module>@<version>/…` for one
  /// in Hugo's module cache, outside the project).
  struct LayoutFolder: Equatable {
    var folder: String
    var owner: String
    var display: String?
  }

  /// A theme or module import the site declares that is nowhere on disk Hugo would take it
  /// from, with the config file and the text that names it.
  struct MissingModule: Equatable {
    var path: String
    var config: String
  }

  /// The site's `layouts` folder and each of its themes' and modules' (those that exist),
  /// with the declared ones found nowhere.
  static func layoutFolders(
    root: String, config: String, environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> (folders: [LayoutFolder], missing: [MissingModule]) {
    var folders = [LayoutFolder(folder: root + "/layouts", owner: "the site's own")]
    var missing: [MissingModule] = []
    guard let values = try? HugoConfig.values(of: config, display: config) else {
      return (folders.filter { FileSystem.isDirectory($0.folder) }, [])
    }
    let themesDir = values["themesDir"]?.string ?? "themes"
    let themesBase = themesDir.hasPrefix("/") ? themesDir : root + "/" + themesDir
    let caches = moduleCaches(values: values, root: root, environment: environment)
    var queue = imports(of: values).map { ($0, config) }
    var seen: Set<String> = []
    while !queue.isEmpty {
      let (module, declaredIn) = queue.removeFirst()
      guard !module.path.isEmpty, seen.insert(module.path).inserted else { continue }
      let owner = module.isTheme ? "the theme \(module.path)'s" : "the module \(module.path)'s"
      guard let found = locate(module.path, root: root, caches: caches, themesBase: themesBase) else {
        missing.append(MissingModule(path: module.path, config: declaredIn))
        continue
      }
      for layouts in module.layouts {
        folders.append(
          LayoutFolder(
            folder: found.folder + "/" + layouts, owner: owner, display: found.display.map { $0 + "/" + layouts }))
      }
      // A module's own config may import further modules.
      if let (_, file) = HugoConfig.find(in: [found.folder]), let own = try? HugoConfig.values(of: file, display: file)
      {
        queue += imports(of: own).map { ($0, declaredIn) }
      }
    }
    return (folders.filter { FileSystem.isDirectory($0.folder) }, missing)
  }

  /// A theme or module the config declares, with the folders of it that Hugo mounts as
  /// `layouts`.
  struct Import: Equatable {
    var path: String
    var isTheme: Bool
    var layouts = ["layouts"]
  }

  /// The config's `theme` entries and `module.imports`, in that order.
  static func imports(of values: FrontMatterValue) -> [Import] {
    var result: [Import] = []
    switch values["theme"] {
    case .string(let name): result.append(Import(path: name, isTheme: true))
    case .array(let names): result += names.compactMap(\.string).map { Import(path: $0, isTheme: true) }
    default: break
    }
    guard case .array(let entries) = values["module"]?["imports"] else { return result }
    for entry in entries {
      guard let path = entry["path"]?.string, entry["disable"] != .bool(true) else { continue }
      var module = Import(path: path, isTheme: false)
      if case .array(let mounts) = entry["mounts"] {
        module.layouts = mounts.compactMap { mount in
          mount["target"]?.string.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "/")) } == "layouts"
            ? mount["source"]?.string : nil
        }
      }
      result.append(module)
    }
    return result
  }

  /// Hugo's module caches (`…/modules/filecache/modules/pkg/mod`) to look in, in the order
  /// Hugo picks its cache folder (only one of them is Hugo's, depending on its version and
  /// settings; a module found in any is what Hugo got).
  static func moduleCaches(values: FrontMatterValue, root: String, environment: [String: String]) -> [String] {
    var folders: [String] = []
    if let configured = values["cacheDir"]?.string, !configured.isEmpty {
      folders.append(configured.hasPrefix("/") ? configured : root + "/" + configured)
    }
    if let variable = environment["HUGO_CACHEDIR"], !variable.isEmpty { folders.append(variable) }
    if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
      folders.append(xdg + "/hugo_cache")
    } else if let home = environment["HOME"], !home.isEmpty {
      folders.append(home + "/.cache/hugo_cache")
    }
    let temporary = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    folders.append((temporary.hasSuffix("/") ? String(temporary.dropLast()) : temporary) + "/hugo_cache")
    return folders.map { $0 + "/modules/filecache/modules/pkg/mod" }
  }

  /// Where the files of module `path` are: `_vendor/`, a module cache, or the themes folder.
  /// A path inside a module's repository (`github.com/a/b/theme` in `github.com/a/b`) is
  /// found in the module that holds it.
  static func locate(_ path: String, root: String, caches: [String], themesBase: String) -> (
    folder: String, display: String?
  )? {
    let vendored = root + "/_vendor/" + path
    if FileSystem.isDirectory(vendored) { return (vendored, nil) }
    let parts = path.split(separator: "/").map(String.init)
    for count in stride(from: parts.count, through: 1, by: -1) where parts.count > 1 {
      let module = parts[..<count].joined(separator: "/")
      let inside = parts[count...].map { "/" + $0 }.joined()
      guard let version = moduleVersion(module, root: root, caches: caches) else { continue }
      for cache in caches {
        let folder = cache + "/" + goEscaped(module) + "@" + goEscaped(version) + inside
        if FileSystem.isDirectory(folder) { return (folder, module + "@" + version + inside) }
      }
    }
    let theme = themesBase + "/" + path
    return FileSystem.isDirectory(theme) ? (theme, nil) : nil
  }

  /// The version of `module` the site's `go.mod` requires; without one, the only version of
  /// it in the caches.
  static func moduleVersion(_ module: String, root: String, caches: [String]) -> String? {
    if let text = try? String(contentsOfFile: root + "/go.mod", encoding: .utf8) {
      for line in text.split(whereSeparator: \.isNewline) {
        let code = line.components(separatedBy: "//")[0]
        var words = code.split(whereSeparator: \.isWhitespace).map(String.init)
        if words.first == "require" { words.removeFirst() }
        if words.count >= 2, words[0] == module { return words[1] }
      }
    }
    let (parent, name) = ((module as NSString).deletingLastPathComponent, (module as NSString).lastPathComponent)
    let versions = Set(
      caches.flatMap { cache in
        ((try? FileManager.default.contentsOfDirectory(atPath: cache + "/" + goEscaped(parent))) ?? [])
          .filter { $0.hasPrefix(goEscaped(name) + "@") }
      })
    guard versions.count == 1, let only = versions.first else { return nil }
    return String(only.dropFirst(goEscaped(name).count + 1))
  }

  /// A module path or version as Go's module cache spells it: each capital letter as `!` and
  /// the lower-case letter (`hugo-PaperMod` → `hugo-!paper!mod`).
  static func goEscaped(_ text: String) -> String {
    var result = ""
    for character in text {
      if character.isASCII, character.isUppercase {
        result += "!" + character.lowercased()
      } else {
        result.append(character)
      }
    }
    return result
  }

  /// The conflicting templates under one `layouts` folder.
  static func templates(in layouts: String) -> [Template] {
    var found: [Template] = []
    for relative in FileSystem.files(under: layouts) {
      let parts = relative.split(separator: "/").map(String.init)
      let name = parts.last ?? ""
      let path = layouts + "/" + relative
      let stem = name.split(separator: ".").first.map(String.init) ?? name
      if parts.count >= 2, ["shortcodes", "_shortcodes"].contains(parts[parts.count - 2]) {
        if stem == "figure" { found.append(Template(path: path, conflict: .figure)) }
        if stem == "youtube" { found.append(Template(path: path, conflict: .youtube)) }
      }
      if parts.count >= 2, parts[parts.count - 2] == "_markup", stem == "render-image" {
        found.append(Template(path: path, conflict: .renderImage))
      }
      if name.hasSuffix(".html"), let text = try? String(contentsOfFile: path, encoding: .utf8),
        let lookup = resourceLookup(in: text)
      {
        found.append(Template(path: path, conflict: .pageResources, line: lookup.line, column: lookup.column))
      }
    }
    return found
  }

  /// Where a template looks a page resource up, if it also reads the page's parameters.
  static func resourceLookup(in text: String) -> (line: Int, column: Int)? {
    guard text.contains(".Params") else { return nil }
    let lookups = [".Resources.GetMatch", ".Resources.Get", ".Resources.Match", ".Resources.ByType"]
    guard let range = lookups.compactMap({ text.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) else {
      return nil
    }
    let before = text[..<range.lowerBound]
    let line = before.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    let lineStart = before.lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
    return (line, before.utf8.distance(from: lineStart, to: range.lowerBound) + 1)
  }

  /// One warning per template of the site or its themes that Vignette's output would shadow
  /// or undo, for the kinds of reference the posts use; one per declared theme or module
  /// that is not on disk, since it could not be inspected.
  static func warnings(
    project: Project, posts: [ScannedPost], environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> [Diagnostic] {
    warnings(project: project, kinds: Set(posts.flatMap { $0.references.map(\.kind) }), environment: environment)
  }

  /// The warnings for posts that use the reference kinds `used`.
  static func warnings(
    project: Project, kinds used: Set<Reference.Kind>,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> [Diagnostic] {
    guard let site = site(of: project) else { return [] }
    var diagnostics: [Diagnostic] = []
    let (folders, missing) = layoutFolders(root: site.root, config: site.config, environment: environment)
    for layouts in folders {
      for template in templates(in: layouts.folder) where used.contains(template.conflict.kind) {
        // A module cache's file is named by module and version, never by the machine's path.
        let file =
          layouts.display.map { $0 + "/" + FileSystem.relative(template.path, to: layouts.folder) }
          ?? project.display(template.path)
        diagnostics.append(
          Diagnostic(
            .warning, file: file, line: template.line, column: template.column,
            message(template.conflict, owner: layouts.owner)))
      }
    }
    guard !used.isDisjoint(with: Conflict.allCases.map(\.kind)) else { return diagnostics }
    for module in missing {
      let text = (try? String(contentsOfFile: module.config, encoding: .utf8)) ?? ""
      let source = SourceText(text)
      let (line, column) =
        text.range(of: module.path).map {
          source.position(of: text.utf8.distance(from: text.startIndex, to: $0.lowerBound))
        }
        ?? (1, 1)
      diagnostics.append(
        Diagnostic(
          .warning, file: project.display(module.config), line: line, column: column,
          "\(module.path) is not on disk where Hugo keeps it (the site's _vendor/, Hugo's module cache, the themes folder), so Vignette could not check it for figure or youtube shortcodes, an image render hook or front-matter images read as page resources, which its own templates would shadow or undo; run `hugo mod vendor` and build again to have it checked"
            + advice))
    }
    return diagnostics
  }

  static let advice =
    "; to keep the theme's markup, skip these mounts and run `hugo && vignette build --site public` (README: Use with Hugo and any theme)"

  static func message(_ conflict: Conflict, owner: String) -> String {
    switch conflict {
    case .figure:
      return
        "\(owner) figure shortcode: Vignette's layouts/shortcodes/figure.html, mounted after it, would replace it for every figure"
        + advice
    case .youtube:
      return
        "\(owner) youtube shortcode: Vignette's layouts/shortcodes/youtube.html, mounted after it, would replace it for every video"
        + advice
    case .renderImage:
      return
        "\(owner) image render hook: Vignette's layouts/_default/_markup/render-image.html, mounted after it, would replace it for every markdown image"
        + advice
    case .pageResources:
      return
        "\(owner) template looks front-matter images up as page resources here; Vignette rewrites those fields to its variants' URLs, which this lookup cannot find"
        + advice
    }
  }
}
