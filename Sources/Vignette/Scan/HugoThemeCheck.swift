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
/// `config/_default/`). Its themes are the config's `theme` (a name or a list) under
/// `themesDir` (default `themes`). A theme Hugo gets as a module from elsewhere is not read.
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

  /// The site's `layouts` folder and each of its themes' (those that exist), with whose they are.
  static func layoutFolders(root: String, config: String) -> [(folder: String, owner: String)] {
    var folders = [(root + "/layouts", "the site's own")]
    guard let values = try? HugoConfig.values(of: config, display: config) else {
      return folders.filter { FileSystem.isDirectory($0.0) }
    }
    var themes: [String] = []
    switch values["theme"] {
    case .string(let name): themes = [name]
    case .array(let names): themes = names.compactMap(\.string)
    default: break
    }
    let themesDir = values["themesDir"]?.string ?? "themes"
    let base = themesDir.hasPrefix("/") ? themesDir : root + "/" + themesDir
    for theme in themes where !theme.isEmpty {
      folders.append((base + "/" + theme + "/layouts", "the theme \(theme)'s"))
    }
    return folders.filter { FileSystem.isDirectory($0.0) }
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
  /// or undo, for the kinds of reference the posts use.
  static func warnings(project: Project, posts: [ScannedPost]) -> [Diagnostic] {
    guard let site = site(of: project) else { return [] }
    let used = Set(posts.flatMap { $0.references.map(\.kind) })
    var diagnostics: [Diagnostic] = []
    for (folder, owner) in layoutFolders(root: site.root, config: site.config) {
      for template in templates(in: folder) where used.contains(template.conflict.kind) {
        diagnostics.append(
          Diagnostic(
            .warning, file: project.display(template.path), line: template.line, column: template.column,
            message(template.conflict, owner: owner)))
      }
    }
    return diagnostics
  }

  static func message(_ conflict: Conflict, owner: String) -> String {
    let advice =
      "; to keep the theme's markup, skip these mounts and run `hugo && vignette build --site public` (README: Use with Hugo and any theme)"
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
