import Foundation
import Vips

/// One build: scan → resolve → plan → render → embed → rewrite → emit. Content problems
/// become diagnostics and the rest of the site is still built; only a broken setup throws.
public final class Pipeline: Sendable {
  public let project: Project
  public let options: BuildOptions
  /// Scans and outputs kept from the previous build in this process (watch mode).
  let memo: PipelineMemo?

  public init(project: Project, options: BuildOptions, memo: PipelineMemo? = nil) {
    self.project = project
    self.options = options
    self.memo = options.checkOnly ? nil : memo
  }

  /// Loads the config named in `options` and builds.
  public static func run(_ options: BuildOptions) async throws -> BuildReport {
    if let (project, base) = try siteProject(options) {
      return try await SiteBuild(pipeline: Pipeline(project: project, options: options), base: base).run()
    }
    let project = try Project.load(configPath: options.configPath)
    return try await Pipeline(project: project, options: options).run()
  }

  /// A post with the outcome of each reference.
  struct ResolvedPost: Sendable {
    var post: ScannedPost
    var targets: [ResolvedTarget]
  }

  public func run() async throws -> BuildReport {
    let clock = ContinuousClock()
    let started = clock.now
    try VipsLibrary.start(threads: options.vipsThreads ?? 1)
    var report = BuildReport()
    let cache = BuildCache(folder: project.cache)

    // Scan.
    options.progress?(.stage("scan"))
    let posts = scanPosts(&report)
    report.posts = posts.count
    // Templates of the site or its theme that Vignette's Hugo output would shadow or undo.
    report.diagnostics += HugoThemeCheck.warnings(project: project, posts: posts)

    // Resolve.
    options.progress?(.stage("resolve"))
    let resolver = ReferenceResolver(project: project)
    var resolved = posts.map { post in
      ResolvedPost(
        post: post,
        targets: post.references.map { reference in
          reference.kind == .youtube
            ? ResolvedTarget(status: .ok, urlPath: "https://www.youtube.com/watch?v=\(reference.target)")
            : resolver.resolve(reference.target, from: post.path)
        })
    }
    report.references = posts.reduce(0) { $0 + $1.references.count }

    // Plan: one entry per source file, however many posts use it. Headers are read and
    // changed sources hashed on the render threads, in parallel, off the cooperative pool.
    options.progress?(.stage("plan"))
    let workers = RenderWorkers(count: options.jobs ?? ProcessInfo.processInfo.activeProcessorCount)
    defer { workers.shutdown() }
    var sources: [String: PlanRequest] = [:]
    for item in resolved {
      for (reference, target) in zip(item.post.references, item.targets) where reference.kind != .youtube {
        guard target.status == .ok, let file = target.file, sources[file] == nil else { continue }
        sources[file] = PlanRequest(
          file: file, urlPath: target.urlPath!, name: project.display(file), settings: project.config.images)
      }
    }
    var (plans, failures) = await plan(sources, cache: cache, workers: workers)

    // Videos: metadata and posters (lockfile, cache, network); posters are planned like any image.
    options.progress?(.stage("videos"))
    let embeds = resolved.flatMap { item in
      item.post.references.filter { $0.kind == .youtube }.map {
        VideoEmbed(id: $0.target, file: project.display(item.post.path), line: $0.line, column: $0.column)
      }
    }
    let outcome = try await embedVideos(embeds, report: &report)
    var videos = outcome.videos
    let posterFiles = outcome.posters
    var posterSources: [String: PlanRequest] = [:]
    for (id, file) in posterFiles where plans[file] == nil {
      posterSources[file] = PlanRequest(
        file: file, urlPath: videos[id]!.posterURLPath, name: "the poster of video \(id)",
        settings: project.config.images)
    }
    let (posterPlans, posterFailures) = await plan(posterSources, cache: cache, workers: workers)
    plans.merge(posterPlans) { first, _ in first }
    failures.merge(posterFailures) { first, _ in first }

    // Render (or reuse).
    options.progress?(.stage("render"))
    let rendered = try await renderAll(
      plans: plans, cache: cache, workers: workers, failures: &failures, report: &report)
    for (id, file) in posterFiles {
      if let image = rendered[file] {
        videos[id]?.poster = image
        videos[id]?.posterSource = plans[file]?.source
      } else if let failure = failures[file], let embed = outcome.firstEmbeds[id] {
        report.diagnostics.append(
          Diagnostic(
            .warning, file: embed.file, line: embed.line, column: embed.column, "\(failure); shown with its title only")
        )
      }
    }

    // Diagnostics for references, now that every file's fate is known.
    for index in resolved.indices {
      let post = resolved[index].post
      let file = project.display(post.path)
      report.diagnostics += post.diagnostics
      for (position, reference) in post.references.enumerated() {
        var target = resolved[index].targets[position]
        if target.status == .ok, let source = target.file, let failure = failures[source] {
          target.status = .invalid
          target.message = failure
          resolved[index].targets[position] = target
        }
        let message = target.message ?? ""
        switch target.status {
        case .missing, .invalid:
          report.diagnostics.append(
            Diagnostic(.error, file: file, line: reference.line, column: reference.column, message))
        case .ok where reference.kind != .youtube && reference.targetRange == nil:
          report.diagnostics.append(
            Diagnostic(
              .warning, file: file, line: reference.line, column: reference.column,
              "cannot locate \"\(reference.target)\" in the source to rewrite it; left as written"))
        default:
          break
        }
      }
    }

    // Rewrite and emit.
    options.progress?(.stage("write"))
    let emitter = Emitter(project: project, cache: cache, checkOnly: options.checkOnly)
    var manifest = Manifest()
    let posters = Set(posterFiles.values)
    for (file, image) in rendered.sorted(by: { $0.key < $1.key }) {
      if !posters.contains(file) {
        manifest.images.append(
          Manifest.Image(source: project.display(file), image: plans[file]!.source, rendered: image))
      }
      for variant in image.variants {
        try emitter.variant(variant)
        report.variants += 1
        report.bytesOut += Int64(variant.bytes)
      }
      report.bytesIn += plans[file]!.source.bytes
    }
    for item in resolved.sorted(by: { $0.post.relativePath < $1.post.relativePath }) {
      try emitPost(item, rendered: rendered, videos: videos, emitter: emitter, manifest: &manifest)
    }
    manifest.videos = videos.values.sorted { $0.id < $1.id }.map { video in
      Manifest.Video(
        id: video.id, title: video.title, author: video.author, authorURL: video.authorURL,
        thumbnail: video.poster.map {
          Manifest.Image(source: video.posterURL ?? video.posterURLPath, image: video.posterSource!, rendered: $0)
        },
        unavailable: video.unavailable ? true : nil)
    }
    try emitter.file("manifest.json", manifest.encoded())
    let firstImages = HugoSupport.firstImages(resolved.map { ($0.post, $0.targets) }, rendered: rendered)
    for (path, data) in try HugoSupport.files(
      images: rendered.values, videos: videos.values, sizes: project.config.images.sizes, firstImages: firstImages)
    {
      try emitter.file(path, data)
    }
    try emitter.finish()
    if !options.checkOnly { try cache.save() }

    report.written = emitter.written
    report.removed = emitter.removed
    report.differences = Array(Set(report.differences + emitter.differences)).sorted()
    report.diagnostics = report.diagnostics.normalized
    let elapsed = clock.now - started
    report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return report
  }

  /// Looks every embedded video up (see `VideoCatalog`) and writes the lockfile when it
  /// changed.
  func embedVideos(_ embeds: [VideoEmbed], report: inout BuildReport) async throws -> VideoCatalog.Outcome {
    let catalog = VideoCatalog(
      settings: project.config.youtube, lockfilePath: project.lockfile,
      lockfileDisplay: project.display(project.lockfile),
      posterFolder: project.cache + "/posters",
      offline: (options.offline ?? project.config.youtube.offline) || options.checkOnly,
      offlineReason: options.checkOnly ? "check makes no network requests" : "offline", limits: options.network)
    let outcome = await catalog.resolve(embeds)
    report.diagnostics += outcome.diagnostics
    report.videos = outcome.videos.count
    // Check mode counts as offline, so the lockfile only changes in a build.
    if outcome.lockfileChanged { try FileSystem.writeAtomically(outcome.lockfile.encoded(), to: project.lockfile) }
    return outcome
  }

  private func scanPosts(_ report: inout BuildReport) -> [ScannedPost] {
    let scanner = PostScanner(
      extraImageKeys: project.config.frontMatterImageKeys, display: { [project] in project.display($0) })
    var posts: [ScannedPost] = []
    for relative in FileSystem.files(under: project.content) {
      let ext = (relative as NSString).pathExtension.lowercased()
      guard ["md", "markdown", "mdown"].contains(ext) else { continue }
      let path = project.content + "/" + relative
      do {
        let scan = { try scanner.scan(path: path, relativePath: relative) }
        posts.append(try memo?.post(at: path, scan: scan).post ?? scan())
      } catch {
        report.diagnostics.append(
          Diagnostic(.error, file: project.display(path), "cannot read the post: \(error.localizedDescription)"))
      }
    }
    return posts
  }

  /// One source to plan: the file, the URL path its variants are served under, how
  /// diagnostics name it, and the settings it is planned with. Keyed by the caller (the file
  /// in markdown mode; site mode plans one file at several sets of widths).
  struct PlanRequest: Sendable {
    var file: String
    var urlPath: String
    var name: String
    var settings: ImageSettings
  }

  /// Reads each source's header (or takes it from the cache when the file is unchanged) and
  /// plans its variants; a source that cannot be read, or has more pixels than
  /// `images.maxPixels`, gets a failure message instead and is never decoded. Results are
  /// keyed as `sources` is.
  func plan(
    _ sources: [String: PlanRequest], cache: BuildCache, workers: RenderWorkers
  ) async -> (plans: [String: RenderPlan], failures: [String: String]) {
    await withTaskGroup(of: (String, Result<RenderPlan, PlanningFailure>).self) { group in
      for (key, request) in sources {
        let (file, urlPath, name, settings) = (request.file, request.urlPath, request.name, request.settings)
        group.addTask {
          let result = try? await workers.run { () -> Result<RenderPlan, PlanningFailure> in
            let source: SourceImage
            do {
              source = try cache.source(file: file, urlPath: urlPath)
            } catch {
              return .failure(PlanningFailure(message: "\(name) is not an image libvips can read: \(error)"))
            }
            guard source.width * source.height * source.pages <= settings.maxPixels else {
              return .failure(
                PlanningFailure(
                  message:
                    "\(name) is \(source.width)×\(source.height) pixels, more than images.maxPixels (\(settings.maxPixels)); it was not decoded"
                ))
            }
            return .success(VariantPlanner.plan(source, settings: settings))
          }
          return (key, result ?? .failure(PlanningFailure(message: "\(name) could not be planned")))
        }
      }
      var plans: [String: RenderPlan] = [:]
      var failures: [String: String] = [:]
      for await (file, result) in group {
        switch result {
        case .success(let plan): plans[file] = plan
        case .failure(let failure): failures[file] = failure.message
        }
      }
      return (plans, failures)
    }
  }

  /// Renders (or takes from the cache) every plan, keyed as `plans` is. Check mode renders in
  /// memory and compares each variant with the file under `variantRoot` (default
  /// `output/static`) at its URL path.
  func renderAll(
    plans: [String: RenderPlan], cache: BuildCache, workers: RenderWorkers, failures: inout [String: String],
    report: inout BuildReport, variantRoot: String? = nil
  ) async throws -> [String: RenderedImage] {
    var results: [String: RenderedImage] = [:]
    var pending: [(key: String, plan: RenderPlan)] = []
    for (key, plan) in plans {
      if let cached = cache.render(for: plan) {
        results[key] = cached
        report.reused += 1
      } else {
        pending.append((key, plan))
      }
    }
    report.images = plans.count
    guard !pending.isEmpty else { return results }
    let checkOnly = options.checkOnly
    let root = variantRoot ?? project.output + "/static"
    let stale = StalePaths()
    defer {
      for path in stale.paths {
        report.differences.append("\(project.display(path)) is \(FileSystem.isFile(path) ? "out of date" : "missing")")
      }
    }
    let total = pending.count
    var done = 0
    options.progress?(.image(done: 0, total: total, file: ""))
    // Largest sources first, so one big image does not finish alone at the end.
    pending.sort { $0.plan.source.width * $0.plan.source.height > $1.plan.source.width * $1.plan.source.height }
    try await withThrowingTaskGroup(of: (String, String, Result<RenderedImage, Error>).self) { group in
      var iterator = pending.makeIterator()
      func submit() {
        guard let (key, plan) = iterator.next() else { return }
        group.addTask {
          do {
            let rendered = try await workers.run {
              guard checkOnly else {
                let rendered = try ImageRenderer.render(plan) { variant, data in try cache.storeObject(variant, data) }
                try cache.storeRender(rendered, for: plan.key)
                return rendered
              }
              // Check mode renders in memory (proving the source decodes) and compares the
              // bytes with what is in output/, writing nothing, not even to the cache.
              return try ImageRenderer.render(plan) { variant, data in
                let path = root + variant.urlPath
                if FileManager.default.contents(atPath: path) != data { stale.append(path) }
              }
            }
            return (key, plan.source.file, .success(rendered))
          } catch {
            return (key, plan.source.file, .failure(error))
          }
        }
      }
      for _ in 0..<workers.count { submit() }
      while let (key, file, result) = try await group.next() {
        done += 1
        options.progress?(.image(done: done, total: total, file: project.display(file)))
        switch result {
        case .success(let image):
          results[key] = image
          report.rendered += 1
        case .failure(let error):
          failures[key] = "\(project.display(file)) could not be processed: \(error)"
        }
        submit()
      }
    }
    return results
  }

  private func emitPost(
    _ item: ResolvedPost, rendered: [String: RenderedImage], videos: [String: Video], emitter: Emitter,
    manifest: inout Manifest
  ) throws {
    let post = item.post
    var edits: [MarkdownRewriter.Edit] = []
    var context = PageRenderer.Context()
    context.videos = videos
    var references: [Manifest.Reference] = []
    for (index, (reference, target)) in zip(post.references, item.targets).enumerated() {
      if reference.kind != .youtube, target.status == .ok, let file = target.file, let image = rendered[file] {
        context.images[index] = image
        if let range = reference.targetRange, let url = MarkdownRewriter.fallbackURL(image) {
          edits.append(.init(range: range, text: url))
        }
      }
      references.append(
        Manifest.Reference(
          kind: reference.kind, line: reference.line, column: reference.column, target: reference.target,
          resolved: target.file.map(project.display) ?? (reference.kind == .youtube ? target.urlPath : nil),
          status: target.status, message: target.message))
    }
    let output = "content/" + post.relativePath
    let html = "html/" + (post.relativePath as NSString).deletingPathExtension + ".html"
    manifest.posts.append(
      Manifest.Post(source: project.display(post.path), output: output, html: html, references: references))
    let key = memo?.serial(of: post.path).map {
      PipelineMemo.EmitKey(
        scan: $0, targets: item.targets, images: context.images,
        videos: post.references.filter { $0.kind == .youtube }.map { videos[$0.target] })
    }
    if let memo, let key, memo.isEmitted(post.relativePath, key: key, outputFolder: project.output) {
      emitter.expect(output)
      emitter.expect(html)
      return
    }
    try emitter.file(output, Data(MarkdownRewriter.apply(edits, to: post.source)))
    let depth = post.relativePath.split(separator: "/").count
    let prefix = String(repeating: "../", count: depth) + "static"
    let page = PageRenderer(picture: PictureMarkup(urlPrefix: prefix, sizes: project.config.images.sizes))
    try emitter.file(html, Data(page.render(post, context: context).utf8))
    if let memo, let key {
      memo.remember(post.relativePath, key: key, outputs: [output, html], outputFolder: project.output)
    }
  }
}

/// Why a source was not planned.
private struct PlanningFailure: Error {
  var message: String
}

/// Output files found stale while rendering in check mode (render threads append).
private final class StalePaths: @unchecked Sendable {
  private let lock = NSLock()
  private var list: [String] = []
  var paths: [String] { lock.withLock { list } }
  func append(_ path: String) { lock.withLock { list.append(path) } }
}
