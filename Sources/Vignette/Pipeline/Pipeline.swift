import Foundation
import Vips

/// One build: scan → resolve → embed → plan → render → outcome → emit, each stage a typed
/// hand-off to the next and none writing back into an earlier one's results. Content
/// problems become diagnostics and the rest of the site is still built; only a broken setup
/// throws.
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
      return try await Pipeline(project: project, options: options).run(SiteFrontEnd(project: project, base: base))
    }
    let project = try Project.load(configPath: options.configPath)
    return try await Pipeline(project: project, options: options).run()
  }

  /// Builds the markdown site the project describes.
  public func run() async throws -> BuildReport {
    try await run(MarkdownFrontEnd(project: project))
  }

  /// Builds the documents `frontEnd` finds.
  public func run<F: FrontEnd>(_ frontEnd: F) async throws -> BuildReport {
    let started = ContinuousClock.now
    let startedAt = BuildSnapshot.now()
    let remote = try remoteCache()
    let snapshot = snapshot(of: frontEnd)
    if let snapshot {
      options.progress?(.stage("stamps"))
      if let stored = snapshot.replay() {
        var report = stored.report
        report.diagnostics += frontEnd.liveDiagnostics(kinds: stored.kinds)
        return finished(report, started: started)
      }
      // Not as it was: gone before anything is written, in case the build stops half-way.
      snapshot.discard()
      options.progress?(.stage("start"))
    }
    let threads = options.vipsThreads ?? 1
    try await RenderWorkers.runDetached { try VipsLibrary.start(threads: threads) }
    VipsLibrary.allowLoaders(project.config.images.loaders)
    let cache = BuildCache(folder: project.cache)
    let workers = RenderWorkers(count: options.jobs ?? ProcessInfo.processInfo.activeProcessorCount)
    defer { workers.shutdown() }

    options.progress?(.stage("scan"))
    var scanned = try await frontEnd.scan(memo: memo, workers: workers)
    let kinds = Set(scanned.documents.lazy.flatMap { $0.references.lazy.map(\.kind) })
    let live = frontEnd.liveDiagnostics(kinds: kinds)
    scanned.diagnostics += live

    options.progress?(.stage("resolve"))
    // A front end whose documents resolve from their own scan has each resolved when it is
    // needed instead (`FrontEnd.derivesOutcomes`): nothing per document is kept but the scan.
    let derives = frontEnd.derivesOutcomes
    let resolver = ReferenceResolver(project: project)
    let resolveOne: @Sendable (F.Document) -> ResolvedDocument<F.Document> = { [frontEnd] document in
      frontEnd.resolve(document, with: resolver)
    }
    let resolved = derives ? [] : try await resolve(scanned.documents, frontEnd: frontEnd, workers: workers)

    options.progress?(.stage("videos"))
    let embedded =
      derives
      ? try await embedStage(layout: frontEnd.layout).run(scanned.documents.lazy.map(resolveOne))
      : try await embedStage(layout: frontEnd.layout).run(resolved)

    options.progress?(.stage("plan"))
    var plans = await PlanStage(cache: cache, workers: workers).run(embedded.sources)
    var inUse = CacheCollector.Live(posters: Set(embedded.posters.values))
    for case .success(let plan) in plans.values { inUse.insert(plan) }
    if options.collectOnly {
      var report = BuildReport()
      report.diagnostics = (scanned.diagnostics + embedded.diagnostics).normalized
      report.posts = scanned.documents.count
      report.images = inUse.renders.count
      report.videos = embedded.videos.count
      try collectGarbage(cache, live: inUse, into: &report)
      return finished(report, started: started)
    }
    var otherShards = 0
    if let shard = options.shard {
      // Sources that could not be planned have no content hash: every shard reports them.
      plans = plans.filter { _, planned in
        guard case .success(let plan) = planned, !shard.owns(hash: plan.source.hash) else { return true }
        otherShards += 1
        return false
      }
    }

    options.progress?(.stage("render"))
    var stage = renderStage(cache: cache, workers: workers)
    stage.remote = remote
    stage.publishReused = options.shard != nil
    let rendered = try await stage.run(plans)

    if let shard = options.shard {
      var report = BuildReport()
      report.shard = shard.description
      report.otherShards = otherShards
      report.posts = scanned.documents.count
      report.videos = embedded.videos.count
      report.images = plans.count
      report.references = scanned.documents.reduce(0) { $0 + $1.references.count }
      for case .success(let source) in rendered.images.values {
        report.variants += source.image.variants.count
        report.bytesOut += source.image.variants.reduce(0) { $0 + Int64($1.bytes) }
        report.bytesIn += source.source.bytes
      }
      var diagnostics = scanned.diagnostics + embedded.diagnostics
      for case (let file, .failure(let failure)) in rendered.images {
        diagnostics.append(Diagnostic(.error, file: project.display(file), failure.message))
      }
      report.diagnostics = diagnostics
      try cache.save()
      if options.collectGarbage { try collectGarbage(cache, live: inUse, into: &report) }
      return finished(report, rendered: rendered, remote: remote, started: started)
    }

    let parsed = scanned.parsed
    let planned = plans.values.filter { (try? $0.get()) != nil }.count
    // The outcome holds each document (with what its references became, unless it derives
    // them): the scan's and the resolve stage's copies go now, not at the end of the build.
    let documents = scanned.documents
    scanned.documents = []
    let outcome =
      derives
      ? BuildOutcome(
        scanDiagnostics: scanned.diagnostics, deriving: consume documents, inPathOrder: scanned.inPathOrder,
        embedded: embedded, planned: planned,
        rendered: rendered, display: project.display, resolve: resolveOne)
      : BuildOutcome(
        scanDiagnostics: scanned.diagnostics, documents: consume resolved, embedded: embedded, planned: planned,
        rendered: rendered, display: project.display)

    options.progress?(.stage("write"))
    var (report, emitted) = try await emit(
      outcome, frontEnd: frontEnd, cache: cache, workers: workers, digests: rendered.digests)
    report.documentsParsed = parsed
    if options.collectGarbage && !options.checkOnly { try collectGarbage(cache, live: inUse, into: &report) }
    report = finished(report, rendered: rendered, remote: remote, started: started)
    // A build that depended on the network (a video looked up, or missed because YouTube
    // could not be reached; a failing remote cache) is no snapshot: the next one tries again.
    if let snapshot, embedded.settled, remote?.warning == nil {
      var inputs = frontEnd.snapshotInputs(outcome)
      // The posters kept in the cache: a poster added there changes what an offline build shows.
      inputs.read += [project.lockfile, project.cache + "/posters"]
      // Every image source, also one that failed: a picture mended in place is seen.
      inputs.read += embedded.sources.values.map(\.file)
      // Only an optimisation: a snapshot that cannot be written leaves the next build to
      // run every stage.
      try? snapshot.record(
        .init(report: Self.upToDate(report, without: live), kinds: kinds), started: startedAt, inputs: inputs,
        outputs: emitted)
    }
    return report
  }

  /// What a build answered by the snapshot taken after the one that reported `report`
  /// says: that build's counts and diagnostics (but the `live` ones, made afresh), with
  /// every image reused and nothing rendered, downloaded, parsed, written or removed.
  static func upToDate(_ report: BuildReport, without live: [Diagnostic]) -> BuildReport {
    let made = Set(live)
    var replay = BuildReport()
    replay.diagnostics = report.diagnostics.filter { !made.contains($0) }
    replay.posts = report.posts
    replay.pages = report.pages
    replay.remote = report.remote
    replay.references = report.references
    replay.images = report.images
    replay.videos = report.videos
    replay.variants = report.variants
    replay.bytesIn = report.bytesIn
    replay.bytesOut = report.bytesOut
    replay.reused = report.rendered + report.reused + report.downloaded
    replay.upToDate = true
    return replay
  }

  /// The build snapshot (`BuildSnapshot`) this build may be answered from and then takes:
  /// builds only, neither checks, `gc`, shards, watch mode nor `--gc`. Any other build that
  /// writes outputs removes the snapshot there first.
  private func snapshot<F: FrontEnd>(of frontEnd: F) -> BuildSnapshot? {
    guard !options.checkOnly, !options.collectOnly, options.shard == nil, let place = frontEnd.snapshot else {
      return nil
    }
    let settings = [
      BuildSnapshot.magic, place.context, String(reflecting: project.config), "output:" + project.output,
      "cache:" + project.cache, "lockfile:" + project.lockfile,
      "assets:" + project.assetRoots.joined(separator: "\u{0}"),
      "offline:" + String(describing: options.offline), "remote:" + String(reflecting: options.remoteCache),
      "read-only:\(options.remoteCacheReadOnly)", "header:" + Checksum.sha256(options.remoteCacheHeader ?? ""),
    ]
    let snapshot = BuildSnapshot(
      path: place.path, context: Checksum.sha256(settings.joined(separator: "\n")), root: project.root)
    guard options.usesSnapshot, !options.collectGarbage else {
      snapshot.discard()
      return nil
    }
    return snapshot
  }

  /// The resolve stage, on the render threads in batches (a target is looked up once per
  /// build, so most references cost a dictionary look-up), in the documents' order; watch
  /// mode's memo keeps the resolutions nothing reported since could change.
  private func resolve<F: FrontEnd>(_ documents: [F.Document], frontEnd: F, workers: RenderWorkers) async throws
    -> [ResolvedDocument<F.Document>]
  {
    let resolver = ReferenceResolver(project: project)
    var resolved = memo?.resolutions(of: documents) ?? Array(repeating: nil, count: documents.count)
    let unknown = documents.indices.filter { resolved[$0] == nil }
    try await workers.forEach(workers.batches(unknown)) { batch in
      batch.map { ($0, frontEnd.resolve(documents[$0], with: resolver)) }
    } receive: { batch in
      for (index, document) in batch { resolved[index] = document }
      memo?.keep(batch.map(\.1))
    }
    return resolved.compactMap { $0 }
  }

  /// `report` with the render counts, the remote cache's figures and its one warning, and
  /// the time since `started`.
  private func finished(
    _ report: BuildReport, rendered: Rendered? = nil, remote: RemoteCache? = nil, started: ContinuousClock.Instant
  ) -> BuildReport {
    var report = report
    if let rendered {
      report.rendered = rendered.rendered
      report.reused = rendered.reused
      report.downloaded = rendered.downloaded
      report.onRemote = rendered.onRemote
    }
    if let remote {
      let counts = remote.statistics
      report.uploaded = counts.uploaded
      report.bytesDownloaded = counts.downloadedBytes
      report.bytesUploaded = counts.uploadedBytes
      if let warning = remote.warning {
        report.diagnostics.append(Diagnostic(.warning, file: project.configFile, warning))
      }
    }
    report.diagnostics = report.diagnostics.normalized
    let elapsed = ContinuousClock.now - started
    report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return report
  }

  /// Removes what `live` does not name from the local cache (`gc`, `build --gc`).
  private func collectGarbage(_ cache: BuildCache, live: CacheCollector.Live, into report: inout BuildReport) throws {
    let outcome = try CacheCollector.collect(cache, live: live)
    report.gcRemovedFiles = outcome.removedFiles
    report.gcFreedBytes = outcome.freedBytes
    report.gcKeptFiles = outcome.keptFiles
    report.gcKeptBytes = outcome.keptBytes
  }

  /// The remote cache this build uses: `--remote-cache` or `remoteCache`, made read-only by
  /// `--remote-cache-read-only`; none for `check` and `gc`. A shard needs a writable one.
  private func remoteCache() throws(ConfigError) -> RemoteCache? {
    let configured = options.remoteCache ?? project.config.remoteCache
    if options.shard != nil {
      guard let configured else {
        throw ConfigError(
          file: project.configFile, keyPath: "",
          message: "--shard needs a remote cache to publish to (remoteCache in the config, or --remote-cache URL)")
      }
      guard !configured.readOnly && !options.remoteCacheReadOnly else {
        throw ConfigError(
          file: project.configFile, keyPath: "", message: "--shard needs a remote cache that is not read-only")
      }
    }
    guard var settings = configured, !options.checkOnly, !options.collectOnly else { return nil }
    if options.remoteCacheReadOnly { settings.readOnly = true }
    do {
      return try RemoteCache(settings: settings, header: options.remoteCacheHeader, limits: options.remoteLimits)
    } catch {
      throw ConfigError(file: RemoteCache.headerVariable, keyPath: "", message: error.message)
    }
  }

  func embedStage(layout: OutputLayout) -> EmbedStage {
    let catalog = VideoCatalog(
      settings: project.config.youtube, lockfilePath: project.lockfile,
      lockfileDisplay: project.display(project.lockfile),
      posterFolder: project.cache + "/posters",
      offline: (options.offline ?? project.config.youtube.offline) || options.checkOnly || options.collectOnly,
      offlineReason: options.checkOnly ? "check makes no network requests" : "offline", limits: options.network)
    return EmbedStage(catalog: catalog, project: project, layout: layout)
  }

  func renderStage(cache: BuildCache, workers: RenderWorkers) -> RenderStage {
    RenderStage(
      mode: options.checkOnly ? .check : .build, cache: cache, workers: workers,
      avif: AVIFGate(
        count: options.avifJobs ?? AVIFGate.defaultCount,
        budget: options.avifMemory.map { $0 << 20 } ?? AVIFGate.defaultBudget),
      display: { [project] in project.display($0) }, progress: options.progress)
  }

  /// The digest of `document`'s outputs (`EmitDigest`), nil when its front end gives no input
  /// digest; watch mode's memo keeps it while the document and its references' outcomes stay
  /// the same.
  private func emitDigest<F: FrontEnd>(
    of document: DocumentOutcome<F.Document>, frontEnd: F, siteHasVideos: Bool, context: String
  ) -> String? {
    let compute = {
      frontEnd.inputDigest(of: document.document).map {
        EmitDigest.of(document, input: $0, siteHasVideos: siteHasVideos, context: context)
      }
    }
    guard let memo, let scan = memo.serial(of: document.document.path) else { return compute() }
    let key = PipelineMemo.EmitKey(scan: scan, references: document.references, siteHasVideos: siteHasVideos)
    return memo.emitDigest(document.document.relativePath, key: key, compute: compute)
  }

  /// Writes the manifest kept outside the output folder at `path` (site mode; builds only),
  /// unless the index holds the digest of all it is made from (`EmitDigest.manifest`) and
  /// the file is as written then: a no-op build neither encodes it nor compares it.
  @discardableResult
  private func emitManifest<F: FrontEnd>(
    _ outcome: BuildOutcome<F.Document>, at path: String, frontEnd: F, index: EmitIndex?, context: String
  ) throws -> Bool {
    guard !options.checkOnly else { return false }
    let folder = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    let digest = index.map { _ in EmitDigest.manifest(outcome, frontEnd: frontEnd, context: context, root: project.root)
    }
    if let index, let digest, index.kept(EmitIndex.site, digest: digest, outputFolder: folder) != nil { return false }
    // Written as it is encoded, a page at a time: a large site's manifest is megabytes.
    try FileSystem.writeAtomically(to: path) { write in
      try Manifest.write(
        outcome, frontEnd: frontEnd, display: project.display, basePath: project.basePath, pieces: SitePieces(),
        to: write)
    }
    if let index, let digest { index.remember(EmitIndex.site, digest: digest, outputs: [name], outputFolder: folder) }
    return true
  }

  /// The emit stage: every variant, every document's outputs (made in parallel on the render
  /// threads, written as each comes back), the site's files and the manifest, all derived
  /// from `outcome`; then what no longer belongs is removed.
  private func emit<F: FrontEnd>(
    _ outcome: BuildOutcome<F.Document>, frontEnd: F, cache: BuildCache, workers: RenderWorkers,
    digests: [String: String]
  ) async throws -> (BuildReport, EmittedOutputs) {
    var report = BuildReport()
    var emitted = EmittedOutputs()
    let layout = frontEnd.layout
    // A front end that derives outcomes holds nothing per document: what each one's outputs
    // became goes to a spool too.
    let emitter = Emitter(
      project: project, cache: cache, checkOnly: options.checkOnly, layout: layout, digests: digests,
      documents: frontEnd.derivesOutcomes
        ? DocumentOutputs(spool: Spool(folder: project.cache), count: outcome.documents.count) : DocumentOutputs())
    let posters = Dictionary(outcome.posters.map { ($0.value, $0.key) }) { first, _ in first }
    for (_, rendered) in outcome.images.sorted(by: { $0.key < $1.key }) {
      let file = rendered.source.file
      let source = posters[file].map { "the poster of video \($0)" } ?? project.display(file)
      for variant in rendered.image.variants {
        try emitter.variant(variant, from: source)
        report.variants += 1
        report.bytesOut += Int64(variant.bytes)
      }
      report.bytesIn += rendered.source.bytes
    }
    let siteHasVideos = !outcome.videos.isEmpty
    // Outputs still what their inputs make are kept, not made again (`EmitIndex`); check
    // mode compares every output with what a build would write.
    let index: EmitIndex? =
      options.checkOnly ? nil : memo?.emitIndex(folder: project.cache) ?? EmitIndex(folder: project.cache)
    let context = EmitDigest.context(project)
    // By position in the outcome: a front end that derives outcomes makes each again on the
    // render thread that writes it, so they are never all held at once.
    var pending: [Int] = []
    // Digests apart: a front end without them (site mode) keeps just a number per page.
    var pendingDigests: [Int: String] = [:]
    var documentDigests: [String]? = index == nil || layout.manifestPath != nil ? nil : []
    var digestsByPath: [String: String] = [:]
    for position in outcome.documents.indices {
      // Asked of the scan: a front end that derives outcomes makes none for a page it leaves,
      // and, with no input digest to keep its outputs by (site mode), derives it only where
      // they are made.
      let scan = outcome.documents.document(at: position)
      guard frontEnd.mayWrite(scan) else { continue }
      guard index != nil, frontEnd.inputDigest(of: scan) != nil else {
        documentDigests = nil
        pending.append(position)
        continue
      }
      let document = outcome.documents[position]
      let relative = document.document.relativePath
      let digest =
        index == nil
        ? nil : emitDigest(of: document, frontEnd: frontEnd, siteHasVideos: siteHasVideos, context: context)
      if let digest {
        documentDigests?.append(digest)
        digestsByPath[relative] = digest
      } else {
        documentDigests = nil
      }
      if let index, let digest, let kept = index.kept(relative, digest: digest, outputFolder: project.output) {
        for path in kept { emitter.expect(path) }
        continue
      }
      pending.append(position)
      pendingDigests[position] = digest
    }
    report.documentsWritten = pending.count
    try await workers.forEach(pending) { [pendingDigests, project] position in
      let made = outcome.documents[position]
      let document = made.document
      // The post it is made from: the document itself, unless the document is its own
      // output (site mode's pages, made from the post the generator read, when known).
      let source =
        document.madeFrom
        ?? (document.path == project.output + "/" + document.relativePath ? nil : project.display(document.path))
      return (position, pendingDigests[position], source, try frontEnd.outputs(of: made, in: outcome))
    } receive: { position, digest, source, files in
      for file in files { try emitter.file(file.path, file.data, from: source, document: position) }
      if let index, let digest {
        let relative = outcome.documents.document(at: position).relativePath
        index.remember(relative, digest: digest, outputs: files.map(\.path), outputFolder: project.output)
      }
    }
    index?.retain(documents: outcome.documents.pathLookup())
    // The manifest and the site's files, unless what they are made from is what made them.
    let siteDigest = documentDigests.map { EmitDigest.ofSite(documents: $0, context: context) }
    if let path = layout.manifestPath {
      // Site mode: the manifest alone, outside the output folder, under the digest of all
      // it is made from (its front end gives no document digests to make that from).
      if try emitManifest(outcome, at: path, frontEnd: frontEnd, index: index, context: context) {
        emitter.wrote(path)
      }
      emitted.files.append(path)
      for file in try frontEnd.siteFiles(outcome) { try emitter.file(file.path, file.data) }
    } else if let index, let siteDigest,
      let kept = index.kept(EmitIndex.site, digest: siteDigest, outputFolder: project.output)
    {
      for path in kept { emitter.expect(path) }
    } else {
      var siteOutputs: [String] = []
      // Watch mode encodes again only the pieces of what changed (`SitePieces`).
      let pieces = SitePieces(
        memo: memo, context: context + "\nvariants:" + layout.variantFolder, digests: digestsByPath)
      let manifest = try Manifest.encoded(
        outcome, frontEnd: frontEnd, display: project.display, basePath: project.basePath, pieces: pieces)
      try emitter.file("manifest.json", manifest)
      siteOutputs.append("manifest.json")
      for file in try frontEnd.siteFiles(outcome, pieces: pieces) {
        try emitter.file(file.path, file.data)
        siteOutputs.append(file.path)
      }
      pieces.finish()
      if let index, let siteDigest {
        index.remember(EmitIndex.site, digest: siteDigest, outputs: siteOutputs, outputFolder: project.output)
      }
    }
    // What the previous build of this session produced, taken so that a build that fails
    // before it is done leaves none and the next one walks the output folder.
    let previous = options.checkOnly ? nil : memo?.takeOutputs(folder: project.output)
    try emitter.finish(stillNamed: frontEnd.stillNamed, previous: previous)
    if !options.checkOnly { memo?.keepOutputs(emitter.expected, folder: project.output) }
    if !options.checkOnly {
      try cache.save()
      try index?.save()
      try frontEnd.finish(outcome, emitted: EmitRecord(files: emitter.outputs, documents: emitter.documents))
    }

    report.references = outcome.referenceCount
    if layout.reportsPages {
      report.pages = outcome.documents.count
      report.remote = outcome.remoteReferences
    } else {
      report.posts = outcome.documents.count
    }
    report.videos = outcome.videos.count
    report.images = outcome.planned
    report.written = emitter.written
    report.removed = emitter.removed
    report.differences = emitter.differences
    report.diagnostics = outcome.diagnostics
    if let first = emitter.keptNamed.first {
      report.diagnostics.append(
        Diagnostic(
          .warning, file: project.display(project.output),
          "\(emitter.keptNamed.count) file(s) made with earlier settings (\(first)…) are kept: pages Vignette "
            + "rewrote before still point at them; run the generator again to write those pages afresh"))
    }
    report.diagnostics = report.diagnostics.normalized
    emitted.folder = project.output
    emitted.expected = emitter.outputs
    emitted.documents = emitter.documents
    emitted.writtenOutside = emitter.writtenOutside
    return (report, emitted)
  }
}
