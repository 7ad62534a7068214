import Foundation
import Testing

@testable import Vignette

/// Markdown mode warns, once per template, when the Hugo site or its theme has its own
/// version of a template Vignette's output would shadow, or reads front-matter images as page
/// resources; it points at `--site`.
@Suite struct HugoThemeCheckTests {
  static func warnings(_ report: BuildReport) -> [Diagnostic] {
    report.diagnostics.filter { $0.severity == .warning && $0.message.contains("vignette build --site public") }
  }

  /// A Hugo site in the project folder: posts under content/, the Hugo config given.
  static func hugoSite(config name: String, _ text: String) throws -> TestSite {
    let site = try TestSite()
    try site.config(
      #"{"content": "content", "images": {"widths": [64], "formats": ["jpeg"]}, "youtube": {"offline": true}}"#)
    try site.write(name, text)
    try site.image("assets/images/photo.jpg", width: 120, height: 80)
    return site
  }

  @Test("a theme's own figure shortcode: one warning naming it, however many posts use figure")
  func themeFigure() async throws {
    let site = try Self.hugoSite(config: "hugo.toml", "baseURL = \"https://example.org/\"\ntheme = \"paper\"\n")
    try site.write(
      "themes/paper/layouts/shortcodes/figure.html", "<figure class=\"paper\">{{ .Get \"src\" }}</figure>\n")
    try site.write("themes/paper/layouts/shortcodes/note.html", "{{ .Inner }}\n")
    try site.write("content/a.md", "# A\n\n{{< figure src=\"/images/photo.jpg\" >}}\n")
    try site.write("content/b.md", "# B\n\n{{< figure src=\"/images/photo.jpg\" alt=\"again\" >}}\n")
    let warnings = Self.warnings(try await site.build())
    #expect(warnings.count == 1)
    let warning = try #require(warnings.first)
    #expect(warning.file == "themes/paper/layouts/shortcodes/figure.html")
    #expect(warning.message.hasPrefix("the theme paper's figure shortcode: Vignette's layouts/shortcodes/figure.html"))
    #expect(warning.description.hasPrefix("themes/paper/layouts/shortcodes/figure.html:1:1: warning: "))
  }

  @Test("no warning when no post uses the template, or when the project is not a Hugo site")
  func unusedOrNoHugo() async throws {
    let site = try Self.hugoSite(config: "hugo.toml", "theme = \"paper\"\n")
    try site.write("themes/paper/layouts/shortcodes/figure.html", "<figure></figure>\n")
    try site.write("content/a.md", "# A\n\n![photo](/images/photo.jpg)\n")
    #expect(Self.warnings(try await site.build()).isEmpty)

    // The same theme folder without any Hugo config: not a Hugo site, nothing to say.
    try FileManager.default.removeItem(atPath: site.path("hugo.toml"))
    try site.write("content/a.md", "# A\n\n{{< figure src=\"/images/photo.jpg\" >}}\n")
    #expect(Self.warnings(try await site.build()).isEmpty)
  }

  @Test("config.yml with a list of themes and themesDir; the site's own render hook and a theme's youtube")
  func yamlThemesAndSiteLayouts() async throws {
    let site = try Self.hugoSite(
      config: "config.yml", "baseURL: https://example.org/\nthemesDir: designs\ntheme:\n  - base\n  - video-kit\n")
    try site.write("layouts/_default/_markup/render-image.html", "<img src=\"{{ .Destination }}\" class=\"site\">\n")
    try site.write("designs/video-kit/layouts/shortcodes/youtube.html", "<div class=\"kit\"></div>\n")
    try site.write("designs/base/layouts/_default/single.html", "{{ .Content }}\n")
    // A theme named in no config is not the site's theme.
    try site.write("themes/other/layouts/shortcodes/figure.html", "<figure></figure>\n")
    try site.write("content/a.md", "# A\n\n![photo](/images/photo.jpg)\n\n{{< youtube dQw4w9WgXcQ >}}\n")
    let warnings = Self.warnings(try await site.build())
    #expect(
      warnings.map(\.file) == [
        "designs/video-kit/layouts/shortcodes/youtube.html", "layouts/_default/_markup/render-image.html",
      ])
    #expect(warnings.first?.message.hasPrefix("the theme video-kit's youtube shortcode") == true)
    #expect(warnings.last?.message.hasPrefix("the site's own image render hook") == true)
  }

  @Test("config/_default/hugo.json and a theme that looks front-matter images up as page resources")
  func jsonConfigPageResources() async throws {
    let site = try Self.hugoSite(
      config: "config/_default/hugo.json", #"{"baseURL": "https://example.org/", "theme": "cards"}"#)
    try site.write(
      "themes/cards/layouts/partials/cover.html",
      """
      {{- with .Params.cover }}
      {{- $alt := .alt }}
        {{- $image := $.Resources.GetMatch (printf "*%s*" .image) }}
      {{- end }}

      """)
    try site.write("content/a.md", "+++\ntitle = \"A\"\n[cover]\nimage = \"/images/photo.jpg\"\n+++\n\nText.\n")
    let warning = try #require(Self.warnings(try await site.build()).first)
    #expect(warning.file == "themes/cards/layouts/partials/cover.html")
    #expect((warning.line, warning.column) == (3, 18))
    #expect(warning.message.contains("looks front-matter images up as page resources"))
  }

  /// The check alone, with `environment` in place of the process's (where Hugo's module
  /// cache is).
  static func check(_ site: TestSite, environment: [String: String]) async throws -> [Diagnostic] {
    let project = try Project.load(configPath: site.path("pipeline.json"))
    let workers = RenderWorkers(count: 1)
    defer { workers.shutdown() }
    let posts = try await MarkdownFrontEnd(project: project).scan(memo: nil, workers: workers).documents
    return HugoThemeCheck.warnings(project: project, posts: posts, environment: environment)
  }

  @Test("a theme module vendored into _vendor/ (hugo mod vendor) is inspected, and the modules it imports")
  func vendoredModule() async throws {
    let site = try Self.hugoSite(
      config: "hugo.toml",
      """
      baseURL = "https://example.org/"
      [module]
      [[module.imports]]
      path = "github.com/someone/paper-theme"
      [[module.imports]]
      path = "github.com/someone/unused"
      disable = true

      """)
    try site.write(
      "_vendor/github.com/someone/paper-theme/layouts/shortcodes/figure.html", "<figure class=\"paper\"></figure>\n")
    try site.write(
      "_vendor/github.com/someone/paper-theme/config.yaml",
      "module:\n  imports:\n    - path: github.com/someone/gallery\n")
    try site.write(
      "_vendor/github.com/someone/gallery/layouts/_default/_markup/render-image.html", "<a class=\"gallery\"></a>\n")
    try site.write("content/a.md", "# A\n\n{{< figure src=\"/images/photo.jpg\" >}}\n\n![p](/images/photo.jpg)\n")
    let warnings = try await Self.check(site, environment: [:])
    #expect(
      warnings.map(\.file) == [
        "_vendor/github.com/someone/paper-theme/layouts/shortcodes/figure.html",
        "_vendor/github.com/someone/gallery/layouts/_default/_markup/render-image.html",
      ], "\(warnings)")
    #expect(warnings.first?.message.hasPrefix("the module github.com/someone/paper-theme's figure shortcode") == true)
    #expect(warnings.allSatisfy { $0.message.contains("vignette build --site public") })
  }

  @Test(
    "a theme module in Hugo's module cache: HUGO_CACHEDIR, the user cache folder, TMPDIR; named by module and version",
    arguments: [
      ("HUGO_CACHEDIR", "hc"), ("XDG_CACHE_HOME", "xdg/hugo_cache"), ("HOME", "home/.cache/hugo_cache"),
      ("TMPDIR", "tmp/hugo_cache"),
    ])
  func moduleCache(variable: String, cache: String) async throws {
    let site = try Self.hugoSite(
      config: "config.yaml",
      "baseURL: https://example.org/\nmodule:\n  imports:\n    - path: github.com/Someone/PaperTheme\n")
    try site.write(
      "go.mod", "module example.org/site\n\ngo 1.20\n\nrequire github.com/Someone/PaperTheme v1.2.0 // indirect\n")
    let module = "\(cache)/modules/filecache/modules/pkg/mod/github.com/!someone/!paper!theme@v1.2.0"
    try site.write(module + "/layouts/_default/_markup/render-image.html", "<img class=\"paper\">\n")
    // Another version in the cache is not the one go.mod asks for.
    try site.write(
      "\(cache)/modules/filecache/modules/pkg/mod/github.com/!someone/!paper!theme@v1.1.0/layouts/shortcodes/figure.html",
      "<figure></figure>\n")
    try site.write("content/a.md", "# A\n\n![p](/images/photo.jpg)\n\n{{< figure src=\"/images/photo.jpg\" >}}\n")
    // The variable names the cache itself, or the folder Hugo puts `hugo_cache` in.
    let environment = [variable: site.path(variable == "HUGO_CACHEDIR" ? cache : String(cache.prefix { $0 != "/" }))]
    let warnings = try await Self.check(site, environment: environment)
    #expect(
      warnings.map(\.file) == ["github.com/Someone/PaperTheme@v1.2.0/layouts/_default/_markup/render-image.html"],
      "\(warnings)")
    #expect(warnings.first?.message.hasPrefix("the module github.com/Someone/PaperTheme's image render hook") == true)
    #expect(warnings.allSatisfy { !$0.description.contains(site.root) }, "no path of the build machine")
  }

  @Test("theme = a module path inside a repository, found with the config's cacheDir and no go.mod")
  func themeModulePathWithCacheDir() async throws {
    let site = try Self.hugoSite(
      config: "hugo.json",
      #"{"baseURL": "https://example.org/", "theme": "github.com/a/b/theme", "cacheDir": "hcache"}"#)
    try site.write(
      "hcache/modules/filecache/modules/pkg/mod/github.com/a/b@v0.0.0-20240101000000-abcdef123456/theme/layouts/shortcodes/youtube.html",
      "<div></div>\n")
    try site.write("content/a.md", "# A\n\n{{< youtube dQw4w9WgXcQ >}}\n")
    let warnings = try await Self.check(site, environment: [:])
    #expect(
      warnings.map(\.file) == [
        "github.com/a/b@v0.0.0-20240101000000-abcdef123456/theme/layouts/shortcodes/youtube.html"
      ], "\(warnings)")
    #expect(warnings.first?.message.hasPrefix("the theme github.com/a/b/theme's youtube shortcode") == true)
  }

  @Test("a declared module that is on disk nowhere: a warning at its line that it could not be inspected")
  func moduleNotOnDisk() async throws {
    let site = try Self.hugoSite(
      config: "hugo.toml",
      "baseURL = \"https://example.org/\"\n[module]\n  [[module.imports]]\n    path = \"github.com/x/gone\"\n")
    try site.write("content/a.md", "# A\n\n![p](/images/photo.jpg)\n")
    let empty = try TestSite("empty-cache")
    let warnings = try await Self.check(site, environment: ["HUGO_CACHEDIR": empty.root, "TMPDIR": empty.root])
    #expect(warnings.count == 1, "\(warnings)")
    let warning = try #require(warnings.first)
    #expect(
      warning.description.hasPrefix("hugo.toml:4:13: warning: github.com/x/gone is not on disk where Hugo keeps it"))
    #expect(warning.message.contains("could not check it") && warning.message.contains("hugo mod vendor"))
    #expect(warning.message.contains("vignette build --site public"))
    #expect(!warning.description.contains(empty.root))
  }

  /// A copy of one of Tests/themes' example sites, set up for markdown mode as the README's
  /// mounts section says (`"content": "content"`).
  static func themedSite(_ theme: String) throws -> TestSite {
    let site = try TestSite("themed" + theme)
    let source = TestSite.repositoryRoot + "/Tests/themes/" + theme
    for file in FileSystem.files(under: source) {
      try site.write(file, FileManager.default.contents(atPath: source + "/" + file)!)
    }
    try site.config(
      #"{"content": "content", "images": {"widths": [64], "formats": ["jpeg"]}, "youtube": {"offline": true}}"#)
    return site
  }

  @Test(
    "real themes: PaperMod's figure, render hook and cover; Stack's render hook (gallery), youtube and image helper",
    arguments: [
      (
        "papermod",
        [
          "themes/hugo-PaperMod/layouts/_default/_markup/render-image.html",
          "themes/hugo-PaperMod/layouts/partials/cover.html",
          "themes/hugo-PaperMod/layouts/shortcodes/figure.html",
        ]
      ),
      (
        "stack",
        [
          "themes/hugo-theme-stack/layouts/_default/_markup/render-image.html",
          "themes/hugo-theme-stack/layouts/partials/helper/image.html",
          "themes/hugo-theme-stack/layouts/shortcodes/youtube.html",
        ]
      ),
    ])
  func realThemes(theme: String, expected: [String]) async throws {
    let site = try Self.themedSite(theme)
    let files = Set(Self.warnings(try await site.build()).map(\.file))
    for file in expected { #expect(files.contains(file), "no warning for \(file): \(files.sorted())") }
  }
}
