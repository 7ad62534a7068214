import Foundation
import Vips

/// Site mode: a post-build pass over a generator's output folder (`hugo && vignette build
/// --site public`). Every `.html` page is read and parsed one at a time on the render threads,
/// a bounded number at once, keeping only a small summary of each; the images and videos they
/// use go through the same plan → render → embed stages as markdown mode; then the pages that
/// change are parsed again and rewritten in place (see `SiteRewriter`), and the variants are
/// put beside their sources in the folder.
///
/// Kept outside the published folder, in the cache folder: `site/pages.json` (each finished
/// page's size and mtime with what it uses, so an unchanged page is not even read again) and
/// `site/manifest.json` (the manifest, as in markdown mode, with paths relative to the project).
struct SiteBuild {
  let pipeline: Pipeline
  /// The configured base (`--base-url`, `baseURL`); pages tell their own otherwise.
  let base: SiteBase?

  var project: Project { pipeline.project }
  var options: BuildOptions { pipeline.options }
  var folder: String { project.output }

  /// One image a page needs rendered: the source file (relative to the site folder) and, for a
  /// theme's `srcset`, the widths it has (rendered in the modern formats only).
  struct Request: Sendable, Codable, Hashable {
    var file: String
    var urlPath: String
    var widths: [Int]?

    init(file: String, urlPath: String, widths: [Int]?) {
      self.file = file
      self.urlPath = urlPath
      self.widths = widths
    }

    /// The request a render key (`SiteRewriter.renderKey`) stands for.
    init(key: String) {
      let parts = key.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
      file = String(parts[0])
      urlPath = "/" + file
      widths = parts.count > 1 ? parts[1].split(separator: ",").compactMap { Int($0) } : nil
    }
  }

  /// What site mode remembers of a page it finished, under its size and mtime.
  struct PageRecord: Sendable, Codable {
    var stamp: FileStamp
    var requests: [String: Request]
    /// Every image and video of the page as first read (videos among them, by position).
    var references: [Manifest.Reference]
  }

  /// What the first pass keeps of a page.
  struct PageScan: Sendable {
    var path: String
    var requests: [String: Request] = [:]
    var videos: [VideoEmbed] = []
    var diagnostics: [Diagnostic] = []
    var references: [Manifest.Reference] = []
    var remote = 0
    /// Has an image or video to rewrite.
    var changes = false
    /// Nothing left that a later run could do differently (no missing or failed image).
    var finished = true
    /// From `pages.json`, not read this time.
    var remembered = false
    /// Size and mtime before the page was read: a page the generator writes again while
    /// Vignette runs is not remembered under its new stamp with what the old one had.
    var stamp: FileStamp?
  }

  var pagesIndex: String { project.cache + "/site/pages.json" }
  static let facadeFolder = "/vignette"

  func run() async throws -> BuildReport {
    let clock = ContinuousClock()
    let started = clock.now
    let threads = options.vipsThreads ?? 1
    try await RenderWorkers.runDetached { try VipsLibrary.start(threads: threads) }
    var report = BuildReport()
    report.pages = 0
    report.remote = 0
    let cache = BuildCache(folder: project.cache)
    let workers = RenderWorkers(count: options.jobs ?? ProcessInfo.processInfo.activeProcessorCount)
    defer { workers.shutdown() }

    // Scan: every page, a few at a time on the render threads.
    options.progress?(.stage("scan"))
    let remembered =
      (FileManager.default.contents(atPath: pagesIndex)).flatMap {
        try? JSONDecoder().decode([String: PageRecord].self, from: $0)
      } ?? [:]
    let pages = FileSystem.files(under: folder).filter {
      $0.lowercased().hasSuffix(".html") && !$0.hasPrefix(String(Self.facadeFolder.dropFirst()) + "/")
    }
    let scans = try await forEachPage(pages, workers: workers) { path in
      scan(path, remembered: remembered[path])
    }
    report.pages = scans.count
    var requests: [String: Request] = [:]
    var embeds: [VideoEmbed] = []
    for scan in scans {
      requests.merge(scan.requests) { first, _ in first }
      embeds += scan.videos
      report.diagnostics += scan.diagnostics
      report.remote! += scan.remote
      report.references += scan.references.count
    }

    // Plan and render, as in markdown mode.
    options.progress?(.stage("plan"))
    let settings = project.config.images
    var planRequests: [String: Pipeline.PlanRequest] = [:]
    for (key, request) in requests {
      var images = settings
      if let widths = request.widths {
        images.widths = widths
        images.formats = Array(settings.formats.dropLast())
      }
      planRequests[key] = Pipeline.PlanRequest(
        file: folder + "/" + request.file, urlPath: request.urlPath, name: project.display(folder + "/" + request.file),
        settings: images)
    }
    var (plans, failures) = await pipeline.plan(planRequests, cache: cache, workers: workers)
    // Animated GIFs (and anything else libvips passes through) stay as the theme wrote them.
    plans = plans.filter { $0.value.mode == .raster }

    options.progress?(.stage("videos"))
    let outcome = try await pipeline.embedVideos(embeds, report: &report)
    var videos = outcome.videos
    var posterRequests: [String: Pipeline.PlanRequest] = [:]
    for (id, file) in outcome.posters {
      posterRequests["video:" + id] = Pipeline.PlanRequest(
        file: file, urlPath: Self.facadeFolder + videos[id]!.posterURLPath, name: "the poster of video \(id)",
        settings: settings)
    }
    let (posterPlans, posterFailures) = await pipeline.plan(posterRequests, cache: cache, workers: workers)
    plans.merge(posterPlans) { first, _ in first }
    failures.merge(posterFailures) { first, _ in first }

    options.progress?(.stage("render"))
    let rendered = try await pipeline.renderAll(
      plans: plans, cache: cache, workers: workers, failures: &failures, report: &report, variantRoot: folder)
    for (id, _) in outcome.posters {
      if let image = rendered["video:" + id] {
        videos[id]?.poster = image
      } else if let failure = failures["video:" + id], let embed = outcome.firstEmbeds[id] {
        report.diagnostics.append(
          Diagnostic(
            .warning, file: embed.file, line: embed.line, column: embed.column, "\(failure); shown with its title only")
        )
      }
    }

    // Write: variants beside their sources, the facade's files, then the pages that change.
    options.progress?(.stage("write"))
    var differences: [String] = []
    var written = 0
    func put(_ data: Data, at path: String) throws {
      if options.checkOnly {
        if FileManager.default.contents(atPath: path) != data {
          differences.append("\(project.display(path)) is \(FileSystem.isFile(path) ? "out of date" : "missing")")
        }
      } else if try FileSystem.writeAtomically(data, to: path) {
        written += 1
      }
    }
    var manifest = Manifest()
    for (key, image) in rendered.sorted(by: { $0.key < $1.key }) {
      for variant in image.variants {
        let path = folder + variant.urlPath
        if options.checkOnly {
          if FileSystem.stamp(path)?.size != Int64(variant.bytes) {
            differences.append("\(project.display(path)) is \(FileSystem.isFile(path) ? "out of date" : "missing")")
          }
        } else if try cache.materialize(variant, at: path) {
          written += 1
        }
        report.variants += 1
        report.bytesOut += Int64(variant.bytes)
      }
      guard let plan = plans[key], !key.hasPrefix("video:") else { continue }
      report.bytesIn += plan.source.bytes
      manifest.images.append(manifestImage(source: project.display(plan.source.file), plan.source.hash, image))
    }
    let stylesheet = Data((SiteRewriter.facadeCSS + "\n").utf8)
    let script = Data((VideoFacade.script + "\n").utf8)
    let rewriter = SiteRewriter(
      sizes: settings.sizes,
      facadeStylesheet: Self.facadeFolder + "/facade.\(Checksum.sha256(stylesheet).prefix(8)).css",
      facadeScript: Self.facadeFolder + "/facade.\(Checksum.sha256(script).prefix(8)).js")
    if !embeds.isEmpty {
      try put(stylesheet, at: folder + rewriter.facadeStylesheet)
      try put(script, at: folder + rewriter.facadeScript)
    }
    let changing = scans.filter(\.changes).map(\.path)
    let (finalVideos, finalFailures) = (videos, failures)
    let results = try await forEachPage(changing, workers: workers) { path in
      try rewrite(path, rewriter: rewriter, rendered: rendered, videos: finalVideos, failures: finalFailures)
    }
    var records: [String: PageRecord] = [:]
    for scan in scans where scan.finished && !scan.remembered {
      guard let stamp = scan.stamp else { continue }
      records[scan.path] = PageRecord(stamp: stamp, requests: scan.requests, references: scan.references)
    }
    for result in results {
      report.diagnostics += result.diagnostics
      guard let bytes = result.bytes else { continue }
      let path = folder + "/" + result.path
      try put(Data(bytes), at: path)
      // A page some of whose images failed, or that changed since it was scanned, is read
      // again next time; a finished one is not, under the size and mtime it has now.
      if result.failed || result.stamp != records[result.path]?.stamp {
        records[result.path] = nil
      } else if records[result.path] != nil, let stamp = FileSystem.stamp(path) {
        records[result.path]!.stamp = stamp
      }
    }
    for scan in scans where scan.remembered { records[scan.path] = remembered[scan.path] }
    for scan in scans.sorted(by: { $0.path < $1.path }) {
      let display = project.display(folder + "/" + scan.path)
      manifest.posts.append(Manifest.Post(source: display, output: display, html: display, references: scan.references))
    }
    manifest.videos = videos.values.sorted { $0.id < $1.id }.map { video in
      Manifest.Video(
        id: video.id, title: video.title, author: video.author, authorURL: video.authorURL,
        thumbnail: video.poster.map {
          manifestImage(
            source: video.posterURL ?? video.posterURLPath, plans["video:" + video.id]?.source.hash ?? "", $0)
        },
        unavailable: video.unavailable ? true : nil)
    }
    if !options.checkOnly {
      try FileSystem.writeAtomically(manifest.encoded(), to: project.cache + "/site/manifest.json")
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      try FileSystem.writeAtomically(encoder.encode(records), to: pagesIndex)
      try cache.save()
    }

    report.written = written
    report.differences = differences.sorted()
    report.diagnostics = report.diagnostics.normalized
    let elapsed = clock.now - started
    report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return report
  }

  /// A manifest entry whose variant paths are relative to the project (they are in the site
  /// folder, not under `output/static`).
  func manifestImage(source: String, _ hash: String, _ image: RenderedImage) -> Manifest.Image {
    Manifest.Image(
      source: source, width: image.width, height: image.height, hash: hash,
      variants: image.variants.map {
        Manifest.Variant(
          path: project.display(folder + $0.urlPath), url: $0.urlPath, width: $0.width, height: $0.height,
          format: $0.format, bytes: $0.bytes)
      }, placeholder: image.placeholder)
  }

  /// Runs `body` on each page on the render threads, as many at once as there are threads,
  /// and returns the results in the order of `pages`.
  func forEachPage<T: Sendable>(
    _ pages: [String], workers: RenderWorkers, _ body: @escaping @Sendable (String) throws -> T
  ) async throws -> [T] {
    try await withThrowingTaskGroup(of: (Int, T).self) { group in
      var results: [T?] = Array(repeating: nil, count: pages.count)
      var next = 0
      func submit() {
        guard next < pages.count else { return }
        let (index, page) = (next, pages[next])
        next += 1
        group.addTask { (index, try await workers.run { try body(page) }) }
      }
      for _ in 0..<max(1, workers.count) { submit() }
      while let (index, result) = try await group.next() {
        results[index] = result
        submit()
      }
      return results.map { $0! }
    }
  }

  /// The first pass over one page: what it needs, without keeping the page.
  func scan(_ path: String, remembered: PageRecord?) -> PageScan {
    var result = PageScan(path: path)
    let file = folder + "/" + path
    result.stamp = FileSystem.stamp(file)
    if let remembered, remembered.stamp == result.stamp {
      result.requests = remembered.requests
      result.references = remembered.references
      result.videos = remembered.references.filter { $0.kind == .youtube }.map {
        VideoEmbed(id: $0.target, file: project.display(file), line: $0.line, column: $0.column)
      }
      result.remembered = true
      return result
    }
    guard let data = FileManager.default.contents(atPath: file) else {
      result.diagnostics.append(Diagnostic(.error, file: project.display(file), "cannot read the page"))
      result.finished = false
      return result
    }
    let page = SitePage(path: path, bytes: [UInt8](data), folder: folder, configuredBase: base)
    let display = project.display(file)
    let post = sourcePost(of: path)
    for diagnostic in page.diagnostics {
      var located = diagnostic
      located.file = display
      if let post { located.message += " (page made from \(post))" }
      result.diagnostics.append(located)
      result.finished = false
    }
    let modern = project.config.images.formats.count > 1
    for image in page.images {
      // Located where the element Vignette replaces starts (the theme's source-less
      // <picture>, else the <img>): the same place as its marked <picture> on a later run.
      var located = image.element
      if case .replace(_, _, let picture?) = image.action { located = picture }
      if case .done = image.action, let picture = page.document.enclosing(image.element, "picture") {
        located = picture
      }
      let (line, column) = page.position(located)
      var reference = Manifest.Reference(
        kind: .html, line: line, column: column, target: page.document.elements[image.element]["src"] ?? "",
        resolved: nil, status: .ok, message: nil)
      switch image.action {
      case .replace,
        .addSources where modern:
        let key = SiteRewriter.renderKey(image.action)!
        result.requests[key] = Request(key: key)
        reference.target = "/" + result.requests[key]!.file
        reference.resolved = project.display(folder + "/" + result.requests[key]!.file)
        result.changes = true
      case .done(let key):
        // Rewritten by an earlier run: its marker still tells what it shows.
        guard !key.isEmpty, !key.hasPrefix("video:") else { continue }
        let request = Request(key: key)
        result.requests[key] = request
        reference.target = "/" + request.file
        reference.resolved = project.display(folder + "/" + request.file)
      case .addSources:
        reference.status = .skipped
        reference.message = "srcset kept as written"
      case .remote:
        reference.status = .remote
        result.remote += 1
      case .skipped(let why):
        reference.status = .skipped
        reference.message = why
      }
      result.references.append(reference)
    }
    for video in page.videos {
      let (line, column) = page.position(video.element)
      result.videos.append(VideoEmbed(id: video.id, file: display, line: line, column: column))
      result.references.append(
        Manifest.Reference(
          kind: .youtube, line: line, column: column, target: video.id,
          resolved: "https://www.youtube.com/watch?v=\(video.id)", status: .ok, message: nil))
      result.changes = result.changes || !video.done
    }
    return result
  }

  /// What rewriting one page gave.
  struct PageRewrite: Sendable {
    var path: String
    /// The new bytes; nil when nothing changed.
    var bytes: [UInt8]?
    var diagnostics: [Diagnostic] = []
    /// An image of the page could not be processed and was left as written.
    var failed = false
    /// Size and mtime before it was read again.
    var stamp: FileStamp?
  }

  /// The second pass over a page that changes: parsed again (the first pass kept nothing of
  /// it) and rewritten with what was rendered.
  func rewrite(
    _ path: String, rewriter: SiteRewriter, rendered: [String: RenderedImage], videos: [String: Video],
    failures: [String: String]
  ) throws -> PageRewrite {
    var result = PageRewrite(path: path)
    let file = folder + "/" + path
    result.stamp = FileSystem.stamp(file)
    guard let data = FileManager.default.contents(atPath: file) else { return result }
    let page = SitePage(path: path, bytes: [UInt8](data), folder: folder, configuredBase: base)
    var images: [String: SiteRewriter.Rendered] = [:]
    let post = sourcePost(of: path)
    for image in page.images {
      guard let key = SiteRewriter.renderKey(image.action) else { continue }
      guard let renderedImage = rendered[key] else {
        if let failure = failures[key] {
          let (line, column) = page.position(image.element)
          result.diagnostics.append(
            Diagnostic(
              .error, file: project.display(file), line: line, column: column,
              failure + (post.map { " (page made from \($0))" } ?? "")))
          result.failed = true
        }
        continue
      }
      var files: [String] = []
      switch image.action {
      case .replace(let source, _, _): files = [source]
      case .addSources(_, _, let candidates): files = candidates.map(\.file)
      default: break
      }
      var sizes: [String: Int64] = [:]
      for name in files { sizes[name] = FileSystem.stamp(folder + "/" + name)?.size }
      images[key] = SiteRewriter.Rendered(image: renderedImage, fileBytes: sizes)
    }
    let outcome = rewriter.rewrite(page, rendered: images, videos: videos)
    if outcome.bytes != page.source.bytes { result.bytes = outcome.bytes }
    return result
  }

  /// The post a page was made from, when the content folder has one at the page's path
  /// (`posts/a/index.html` → `content/posts/a.md`, `content/posts/a/index.md` or `_index.md`).
  func sourcePost(of path: String) -> String? {
    var stem = path
    if stem.hasSuffix("index.html") {
      stem = String(stem.dropLast("index.html".count))
    } else if stem.hasSuffix(".html") {
      stem = String(stem.dropLast(".html".count))
    }
    if stem.hasSuffix("/") { stem = String(stem.dropLast()) }
    var candidates: [String] = []
    for ext in ["md", "markdown"] {
      if !stem.isEmpty { candidates.append("\(stem).\(ext)") }
      candidates += [
        stem.isEmpty ? "_index.\(ext)" : "\(stem)/index.\(ext)", stem.isEmpty ? "" : "\(stem)/_index.\(ext)",
      ]
    }
    for content in Set([project.content, project.root + "/content"]).sorted() {
      for candidate in candidates where !candidate.isEmpty {
        let file = content + "/" + candidate
        if FileSystem.isFile(file) { return project.display(file) }
      }
    }
    return nil
  }
}

extension Pipeline {
  /// The project for site mode, when `options.site` or the config's `site` asks for it.
  /// Without a config file at the default path, site mode runs on `{}`.
  static func siteProject(_ options: BuildOptions) throws(ConfigError) -> (Project, SiteBase?)? {
    let absolute = FileSystem.canonical(options.configPath)
    let data = FileManager.default.contents(atPath: absolute)
    if data == nil && (options.site == nil || options.configPath != "pipeline.json") {
      return nil  // Markdown mode, or a named config that is missing: Project.load reports it.
    }
    let config =
      try data.map { data throws(ConfigError) in try PipelineConfig.decode(data, file: options.configPath) }
      ?? PipelineConfig()
    let root = (absolute as NSString).deletingLastPathComponent
    let site: String
    if let flag = options.site {
      site = flag.hasPrefix("/") ? flag : FileManager.default.currentDirectoryPath + "/" + flag
    } else if let configured = config.site {
      site = configured.hasPrefix("/") ? configured : root + "/" + configured
    } else {
      return nil
    }
    let project = try Project(siteConfig: config, root: root, configFile: options.configPath, site: site)
    guard let text = options.baseURL ?? config.baseURL else { return (project, nil) }
    guard let base = SiteBase(url: text) else {
      throw ConfigError(
        file: options.baseURL != nil ? "--base-url" : options.configPath,
        keyPath: options.baseURL != nil ? "" : "baseURL",
        message: "must be an http or https URL or a path starting with /, found \"\(text)\"")
    }
    return (project, base)
  }
}
