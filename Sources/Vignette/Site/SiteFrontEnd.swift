import Foundation
import Synchronization
import Vips

/// Site mode's front end: a post-build pass over a generator's output folder (`hugo &&
/// vignette build --site public`), driven by `Pipeline.run` like markdown mode, so it shares
/// every later stage (resolve → embed → plan → render → outcome → emit) with it: the cache and
/// remote cache, shards, `gc`, the manifest, diagnostics, `--json`, progress and exit statuses.
///
/// Two passes, neither keeping a page: the scan parses every `.html` page on the render
/// threads, a few at once, and keeps only a summary of each (`SitePageScan`: where its images
/// and videos are and what they point at); the emit stage parses again just the pages that
/// change and rewrites them in place (`SiteRewriter`). Variants go beside their sources in the
/// folder, the facade's files and posters under `vignette/`.
///
/// Kept outside the published folder, in the cache folder: `site/pages.bin` (`SiteIndex`:
/// each finished page's summary under its size and mtime, so an unchanged page is not even
/// read again, and the files Vignette wrote into the folder, the only ones it ever removes)
/// and `site/manifest.json` (the manifest, with paths relative to the site folder).
public struct SiteFrontEnd: FrontEnd {
  public let project: Project
  /// The configured base (`--base-url`, `baseURL`); pages tell their own otherwise.
  public let base: SiteBase?
  /// What the last build left in `site/pages.bin`, read when first needed: never by a build
  /// the build snapshot answers, whose memory then does not grow with the number of pages.
  var index: SiteIndex { stored.index }
  private let stored: StoredIndex
  /// One copy of each path the build's references resolve to: the pages of a site show the
  /// same few pictures thousands of times, and every outcome keeps its reference's path.
  private let paths = Interned()

  private final class Interned: Sendable {
    private let table = Mutex<Set<String>>([])

    func intern(_ value: String) -> String { table.withLock { $0.insert(value).memberAfterInsert } }
  }

  static let facadeFolder = "/vignette"
  var folder: String { project.output }
  var indexPath: String { project.cache + "/site/pages.bin" }

  /// What every page's scan depends on besides its bytes: the settings, the base URL and the
  /// Vignette binary (`EmitDigest.context`). Pages remembered under another context are read
  /// again.
  let context: String

  public init(project: Project, base: SiteBase?) {
    self.project = project
    self.base = base
    context = Checksum.sha256(EmitDigest.context(project) + "\nsite-base:" + String(reflecting: base))
    stored = StoredIndex(path: project.cache + "/site/pages.bin", context: context)
  }

  /// `site/pages.bin`: its files and context, loaded once, the first time they are asked for
  /// (by the scan, which takes the pages as they are read, never holding them all).
  private final class StoredIndex: Sendable {
    let path: String
    let context: String
    private let loaded = Mutex<SiteIndex?>(nil)

    init(path: String, context: String) {
      self.path = path
      self.context = context
    }

    var index: SiteIndex {
      loaded.withLock { loaded in
        if let index = loaded { return index }
        let index = SiteIndex.load(from: path, context: context) { _, _ in }
        loaded = index
        return index
      }
    }

    /// Reads the index, handing each page remembered under this context to `page` in path
    /// order (the files Vignette wrote stay its own to remove whatever the context).
    func read(_ page: (String, SiteIndex.Page) -> Void) {
      let index = SiteIndex.load(from: path, context: context, pages: page)
      loaded.withLock { $0 = index }
    }
  }

  public var layout: OutputLayout {
    OutputLayout(
      variantFolder: "", posterFolder: Self.facadeFolder, manifestPath: project.cache + "/site/manifest.json",
      owned: .files(index.files), reportsPages: true, leavesPassThrough: true)
  }

  // MARK: Scan

  public func scan(memo: PipelineMemo?, workers: RenderWorkers) async throws -> ScanResult<SitePageScan> {
    let pages = FileSystem.stampedFiles(under: folder, where: isPage)
    var result = ScanResult<SitePageScan>()
    result.documents.reserveCapacity(pages.count)
    // An unchanged page is taken from the index without being opened; the others are parsed
    // on the render threads. Both lists are in path order, so each remembered page is met as
    // the index is read (one that is out of order is merely read again).
    var changed: [String] = []
    var next = 0
    stored.read { page, record in
      while next < pages.count && pages[next].path < page {
        changed.append(pages[next].path)
        next += 1
      }
      guard next < pages.count, pages[next].path == page else { return }
      if record.stamp == pages[next].stamp {
        result.documents.append(SitePageScan(folder: folder, relativePath: pages[next].path, record: record))
      } else {
        changed.append(pages[next].path)
      }
      next += 1
    }
    changed += pages[next...].lazy.map(\.path)
    try await workers.forEach(changed, { page in scan(page) }, receive: { result.documents.append($0) })
    result.parsed = changed.count
    return result
  }

  /// Whether the file at `relative` (to the folder) is a page: HTML, not the facade's.
  private func isPage(_ relative: String) -> Bool {
    relative.lowercased().hasSuffix(".html") && !relative.hasPrefix(String(Self.facadeFolder.dropFirst()) + "/")
  }

  /// The first pass over one page: what it needs, without keeping the page.
  func scan(_ relative: String) -> SitePageScan {
    let file = folder + "/" + relative
    let display = project.display(file)
    var scan = SitePageScan(folder: folder, relativePath: relative)
    // Size and mtime before the page is read: a page the generator writes again while
    // Vignette runs is never remembered under its new stamp with what the old one had.
    scan.stamp = FileSystem.stamp(file)
    guard let data = FileManager.default.contents(atPath: file) else {
      scan.diagnostics.append(Diagnostic(.error, file: display, "cannot read the page"))
      return scan
    }
    let page = SitePage(path: relative, bytes: [UInt8](data), folder: folder, configuredBase: base)
    scan.madeFrom = sourcePost(of: relative)
    for diagnostic in page.diagnostics {
      var located = diagnostic
      located.file = display
      scan.diagnostics.append(located.madeFrom(scan.madeFrom))
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
      let element = page.document.elements[located]
      var entry = SitePageScan.Entry(
        kind: .html, offset: element.startTag.lowerBound, length: element.startTag.count, line: element.line,
        column: element.column, target: page.document.elements[image.element]["src"] ?? "", status: .ok)
      // One entry per render the image needs (a density srcset's files are rendered each
      // at its own size), all at the element.
      var keys: [String] = []
      switch image.action {
      case .replace,
        .addSources where modern,
        .addDensitySources where modern:
        keys = SiteRewriter.renderKeys(image.action)
        scan.changes = true
      case .done(let done):
        // Rewritten by an earlier run: its marker (or the density srcset it kept) still
        // tells what it shows.
        keys = done.filter { !$0.isEmpty && !$0.hasPrefix("video:") }
        guard !keys.isEmpty else { continue }
      case .addSources, .addDensitySources:
        entry.status = .skipped
        entry.message = "srcset kept as written"
      case .remote:
        entry.status = .remote
        entry.message = "remote URL left as written"
      case .skipped(let why):
        entry.status = .skipped
        entry.message = why
      }
      guard !keys.isEmpty else {
        scan.entries.append(entry)
        continue
      }
      for key in keys {
        entry.key = key
        entry.target = "/" + SitePageScan.Entry.file(ofKey: key)
        scan.entries.append(entry)
      }
    }
    for video in page.videos {
      let element = page.document.elements[video.element]
      scan.entries.append(
        SitePageScan.Entry(
          kind: .youtube, offset: element.startTag.lowerBound, length: element.startTag.count, line: element.line,
          column: element.column, target: video.id, status: .ok))
      scan.changes = scan.changes || !video.done
    }
    scan.entries.sort { $0.offset < $1.offset }
    // Kept for the whole build: without the room appending left (up to as much again).
    if scan.entries.capacity > scan.entries.count { scan.entries = scan.entries.withUnsafeBufferPointer(Array.init) }
    return scan
  }

  public func resolve(_ page: SitePageScan, with resolver: ReferenceResolver) -> ResolvedDocument<SitePageScan> {
    // Resolved while scanning, against the page's own address (its base URL, `<base>`).
    ResolvedDocument(
      document: page,
      references: zip(page.references, page.entries).map { reference, entry in
        ResolvedReference(reference: reference, target: entry.target(in: folder, intern: paths.intern))
      })
  }

  /// A page resolves from its scan (its entries), so its outcome is made when asked for.
  public var derivesOutcomes: Bool { true }

  // MARK: Emit

  public func outputPaths(of page: SitePageScan) -> OutputPaths {
    OutputPaths(output: page.relativePath, html: page.relativePath)
  }

  /// Only a page with an image or video to rewrite, read before it was stamped.
  public func mayWrite(_ page: SitePageScan) -> Bool { page.changes && page.stamp != nil }

  /// A page Vignette rewrote is never rewritten again (its markup is recognised), so after a
  /// change of settings it still names the variants it was given, until the generator writes
  /// it afresh; those variants are kept. Looked for by file name, which carries the content
  /// hash, in the bytes of every page: a plain search, not a parse, because it only decides
  /// what not to delete (a page that merely mentions the name keeps one file too many). Runs
  /// only when files are due to go.
  public func stillNamed(_ files: [String]) -> Set<String> {
    var pending = Dictionary(grouping: files) { Data(($0.split(separator: "/").last.map(String.init) ?? $0).utf8) }
    var named = Set<String>()
    FileSystem.walk(folder) { relative, _ in
      guard !pending.isEmpty, relative.hasSuffix(".html"),
        let page = FileManager.default.contents(atPath: folder + "/" + relative)
      else { return }
      for (name, paths) in pending where page.range(of: name) != nil {
        named.formUnion(paths)
        pending[name] = nil
      }
    }
    return named
  }

  /// The rewriter, with the content-hashed names of the facade's files.
  var rewriter: SiteRewriter {
    SiteRewriter(
      sizes: project.config.images.sizes,
      facadeStylesheet: Self.facadeFolder + "/facade.\(Checksum.sha256(Self.stylesheet).prefix(8)).css",
      facadeScript: Self.facadeFolder + "/facade.\(Checksum.sha256(Self.script).prefix(8)).js")
  }

  static let stylesheet = Data((SiteRewriter.facadeCSS + "\n").utf8)
  static let script = Data((VideoFacade.script + "\n").utf8)

  /// The second pass over a page that changes: parsed again (the scan kept nothing of it) and
  /// rewritten with what its references became. A page the generator wrote again since the
  /// scan is left for the next run, which reads it afresh.
  public func outputs(of outcome: DocumentOutcome<SitePageScan>, in build: BuildOutcome<SitePageScan>) throws
    -> [OutputFile]
  {
    let scan = outcome.document
    guard scan.changes, let stamp = scan.stamp else { return [] }
    let file = folder + "/" + scan.relativePath
    guard FileSystem.stamp(file) == stamp, let data = FileManager.default.contents(atPath: file) else { return [] }
    let page = SitePage(path: scan.relativePath, bytes: [UInt8](data), folder: folder, configuredBase: base)
    var rendered: [String: RenderedImage] = [:]
    for (entry, item) in zip(scan.entries, outcome.references) {
      if let key = entry.key, let image = item.image { rendered[key] = image }
    }
    var images: [String: SiteRewriter.Rendered] = [:]
    for image in page.images {
      let keys = SiteRewriter.renderKeys(image.action).filter { rendered[$0] != nil }
      guard !keys.isEmpty else { continue }
      var sizes: [String: Int64] = [:]
      for name in image.action.themeFiles { sizes[name] = FileSystem.stamp(folder + "/" + name)?.size }
      for key in keys { images[key] = SiteRewriter.Rendered(image: rendered[key]!, fileBytes: sizes) }
    }
    let rewritten = rewriter.rewrite(page, rendered: images, videos: build.videos)
    guard rewritten.bytes != page.source.bytes else { return [] }
    return [OutputFile(scan.relativePath, Data(rewritten.bytes))]
  }

  /// The facade's stylesheet and script, when a page has a video.
  public func siteFiles(_ build: BuildOutcome<SitePageScan>) throws -> [OutputFile] {
    guard !build.videos.isEmpty else { return [] }
    let rewriter = self.rewriter
    return [
      OutputFile(String(rewriter.facadeStylesheet.dropFirst()), Self.stylesheet),
      OutputFile(String(rewriter.facadeScript.dropFirst()), Self.script),
    ]
  }

  /// Writes `site/pages.bin`: each finished page (nothing left that a later run could do
  /// differently) under the stamp it has now, and every file Vignette wrote into the folder.
  /// Each page's record is encoded as the outcome is walked, never gathered into a second
  /// index first; a no-op run's index is the same bytes, which are not written again.
  public func finish(_ build: BuildOutcome<SitePageScan>, emitted: EmitRecord) throws {
    var files: [String: FileStamp] = [:]
    for (file, made) in emitted.files where !isPage(file) { files[file] = made.stamp }
    try SiteIndex.write(to: indexPath, context: context, files: files) { add in
      for position in build.documents.indices {
        let scan = build.documents.document(at: position)
        guard var stamp = scan.stamp else { continue }
        // A remembered page's scan is its record; a page read now is finished when nothing
        // about it failed (its outcome derived only for that).
        if !scan.remembered {
          guard scan.diagnostics.isEmpty,
            !build.documents[position].references.contains(where: { $0.status == .invalid || $0.status == .missing })
          else { continue }
        }
        if scan.changes && !scan.remembered {
          // Rewritten now: remembered under the stamp Vignette's write gave it.
          guard let written = emitted.files[scan.relativePath]?.stamp else { continue }
          stamp = written
        }
        add(scan.relativePath, SiteIndex.Page(stamp: stamp, entries: scan.entries, madeFrom: scan.madeFrom))
      }
    }
    // Where versions before the binary index kept it.
    try? FileManager.default.removeItem(atPath: project.cache + "/site/pages.json")
  }

  public var snapshot: (path: String, context: String)? { (project.cache + "/site/snapshot.bin", "site\n" + context) }

  /// Every page, and every folder of the site folder, where the build writes too (variants
  /// beside their sources, rewritten pages): so the pages are listed again once those are
  /// stamped, and a page the generator added meanwhile means no snapshot.
  public func snapshotInputs(_ build: BuildOutcome<SitePageScan>) -> SnapshotInputs {
    var inputs = SnapshotInputs {
      // The same pages: as many listed, each one of them (no second set of every page).
      let isPage = build.documents.pathLookup()
      var listed = 0
      var same = true
      FileSystem.walk(folder) { relative, _ in
        guard same, self.isPage(relative) else { return }
        listed += 1
        same = isPage(relative)
      }
      return same && listed == build.documents.count
    }
    inputs.eachOutputFolder = { [folder] stamp in
      FileSystem.walk(folder, entered: { stamp($0.isEmpty ? folder : folder + "/" + $0) }, { _, _ in })
    }
    inputs.eachRead = { read in for page in build.documents.scans { read(page.path) } }
    return inputs
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

/// What site mode's scan keeps of one page: where each image and video is and what it points
/// at, never the page itself, so memory does not grow with the size of the site.
public struct SitePageScan: ScannedDocument {
  /// One image or video of the page, resolved against the page's address.
  struct Entry: Sendable, Hashable {
    // The one-byte fields last: every page keeps its entries, and padding between them
    // would cost 8 bytes an entry.
    /// Byte offset and length of the start tag of the element Vignette replaces.
    var offset: Int
    var length: Int
    var line: Int
    var column: Int
    /// The URL as written (a video's id); for an image to show, its site path.
    var target: String
    var message: String? = nil
    /// An image's render key (one of `SiteRewriter.renderKeys`): its file relative to the
    /// folder and, for a theme's `srcset`, the widths it needs (none: the file at its own size,
    /// for a density `srcset`).
    var key: String? = nil
    var kind: Reference.Kind
    /// `ok` for an image or video to show; otherwise why it is left as written.
    var status: ResolvedTarget.Status

    init(
      kind: Reference.Kind, offset: Int, length: Int, line: Int, column: Int, target: String,
      status: ResolvedTarget.Status, message: String? = nil, key: String? = nil
    ) {
      self.kind = kind
      self.offset = offset
      self.length = length
      self.line = line
      self.column = column
      self.target = target
      self.status = status
      self.message = message
      self.key = key
    }

    /// The file (relative to the site folder) of a render key.
    static func file(ofKey key: String) -> String {
      String(key.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)[0])
    }

    var reference: Reference {
      Reference(
        kind: kind, offset: offset, line: line, column: column, target: target,
        targetRange: offset..<offset + length)
    }

    /// What the entry points at; `intern` gives the one copy of each path the build keeps.
    func target(in folder: String, intern: (String) -> String = { $0 }) -> Target {
      if kind == .youtube { return .video(id: target) }
      guard status == .ok, let key else { return .unprocessed(status, message: message) }
      let parts = key.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
      let file = String(parts[0])
      let widths = parts.count > 1 ? parts[1].split(separator: ",").compactMap { Int($0) } : nil
      return .image(file: intern(folder + "/" + file), urlPath: intern("/" + file), widths: widths)
    }
  }

  /// The site folder: one string every page shares, its absolute path made when asked for.
  let folder: String
  public var path: String { folder + "/" + relativePath }
  public var relativePath: String
  var entries: [Entry] = []
  public var diagnostics: [Diagnostic] = []
  public var madeFrom: String?
  /// Size and mtime before the page was read.
  var stamp: FileStamp?
  /// Has an image or video to rewrite.
  var changes = false
  /// Taken from `pages.bin`, not read this time.
  var remembered = false

  public var references: [Reference] { entries.map(\.reference) }

  init(folder: String, relativePath: String) {
    self.folder = folder
    self.relativePath = relativePath
  }

  init(folder: String, relativePath: String, record: SiteIndex.Page) {
    self.init(folder: folder, relativePath: relativePath)
    entries = record.entries
    madeFrom = record.madeFrom
    stamp = record.stamp
    remembered = true
  }
}

/// `site/pages.bin` in the cache folder, in the cache's binary form (`CacheRecord`,
/// `CheckedRecordFile`): every run that reads pages reads it whole, and the run that rewrites
/// them writes it whole, one record per page in path order.
struct SiteIndex: Sendable, Equatable {
  /// What site mode remembers of a finished page, under its size and mtime.
  struct Page: Sendable, Equatable, CacheRecord {
    var stamp: FileStamp
    var entries: [SitePageScan.Entry]
    var madeFrom: String?

    init(stamp: FileStamp, entries: [SitePageScan.Entry], madeFrom: String?) {
      self.stamp = stamp
      self.entries = entries
      self.madeFrom = madeFrom
    }

    init(from reader: inout CacheRecordReader) throws {
      stamp = try reader.record()
      madeFrom = try reader.optional { try $0.string() }
      entries = try reader.array { try $0.record() }
    }

    func write(to writer: inout CacheRecordWriter) {
      writer.record(stamp)
      writer.optional(madeFrom) { $0.string($1) }
      writer.array(entries) { $0.record($1) }
    }
  }

  /// 3: an `<img>` in a theme `<picture>` with sources and density `srcset`s are rewritten,
  /// so pages an older version remembered as finished are read again. 4: pages and entries
  /// are arrays. 5: binary (`pages.bin`).
  static let magic = "vignette-site-pages-5"
  /// `SiteFrontEnd.context` of the build that wrote it.
  var context = ""
  /// Finished pages, by path relative to the site folder.
  var pages: [String: Page] = [:]
  /// Every file Vignette wrote into the site folder (variants, posters, the facade's files)
  /// with its stamp then: the only files a later build may remove.
  var files: [String: FileStamp] = [:]

  /// The index at `path`; empty when there is none, it is damaged or of another version.
  static func load(from path: String) -> SiteIndex {
    var pages: [String: Page] = [:]
    var index = load(from: path, context: nil) { pages[$0] = $1 }
    index.pages = pages
    return index
  }

  /// The index at `path` without its pages, which are handed to `page` one by one as they are
  /// decoded, in the order written, unless the index is of another site context than
  /// `context` (nil: any); empty when there is none, it is damaged or of another version.
  static func load(from path: String, context wanted: String?, pages page: (String, Page) -> Void) -> SiteIndex {
    // The site context is a record, not the file's context: the files an index of another
    // context names are still Vignette's to remove.
    guard var reader = CheckedRecordFile.read(path, magic: magic, context: "") else { return SiteIndex() }
    var index = SiteIndex()
    do {
      index.context = try reader.string()
      let wanted = wanted.map { $0 == index.context } ?? true
      while try reader.bool() {
        let name = try reader.string()
        let record: Page = try reader.record()
        if wanted { page(name, record) }
      }
      for _ in 0..<(try reader.int()) { index.files[try reader.string()] = try reader.record() }
      guard reader.isAtEnd else { throw CacheRecordReader.Damaged() }
    } catch {
      // Checksummed whole before it is read: only a version's own mistake gets here.
      return SiteIndex()
    }
    return index
  }

  /// Written atomically, and only when it changed.
  func save(to path: String) throws {
    try Self.write(to: path, context: context, files: files) { add in
      for (page, record) in pages.sorted(by: { $0.key < $1.key }) { add(page, record) }
    }
  }

  /// Writes the index of `context` whose pages `pages` hands to `add` one by one, in the order
  /// to keep (path order, so that the same pages are the same bytes); atomically, and only
  /// when the bytes differ from the file's.
  static func write(
    to path: String, context: String, files: [String: FileStamp],
    pages: (_ add: (String, Page) -> Void) throws -> Void
  ) throws {
    try CheckedRecordFile.write(path, magic: magic, context: "") { writer in
      writer.string(context)
      try pages { page, record in
        writer.bool(true)
        writer.string(page)
        writer.record(record)
      }
      writer.bool(false)
      writer.int(files.count)
      for (file, stamp) in files.sorted(by: { $0.key < $1.key }) {
        writer.string(file)
        writer.record(stamp)
      }
    }
  }
}

extension SitePageScan.Entry: CacheRecord {
  init(from reader: inout CacheRecordReader) throws {
    self.init(
      kind: try reader.rawValue(), offset: try reader.int(), length: try reader.int(), line: try reader.int(),
      column: try reader.int(), target: try reader.string(), status: try reader.rawValue(),
      message: try reader.optional { try $0.string() }, key: try reader.optional { try $0.string() })
  }

  func write(to writer: inout CacheRecordWriter) {
    writer.string(kind.rawValue)
    writer.int(offset)
    writer.int(length)
    writer.int(line)
    writer.int(column)
    writer.string(target)
    writer.string(status.rawValue)
    writer.optional(message) { $0.string($1) }
    writer.optional(key) { $0.string($1) }
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
