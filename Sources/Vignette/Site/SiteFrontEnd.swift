import Foundation
import Synchronization
import Vips

/// Site mode's front end: a post-build pass over a generator's output folder (`hugo &&
/// vignette build --site public`), driven by `Pipeline.run` like markdown mode, so it shares
/// every later stage (resolve → embed → plan → render → outcome → emit) with it: the cache and
/// remote cache, shards, `gc`, the manifest, diagnostics, `--json`, progress and exit statuses.
///
/// Two passes, neither keeping a page: the scan walks the folder in path order and parses
/// every `.html` page that changed on the render threads, a few at once, handed to them as the
/// walk meets them; it keeps only a summary of each (where its images and videos are and what
/// they point at), and that on disk, in the build's spool (`Spool`), with a 16-byte handle in
/// memory (`SitePageScan`). The emit stage parses again just the pages that change and
/// rewrites them in place (`SiteRewriter`), and what it wrote for each page goes to the spool
/// too (`DocumentOutputs`). So a build holds a few dozen bytes a page, not the pages' paths or
/// summaries: at 10,000 pages its peak is that of a 1,000-page site (bench/site-memory.md).
/// Variants go beside their sources in the folder, the facade's files and posters under
/// `vignette/`.
///
/// Kept outside the published folder, in the cache folder: `site/pages.bin` (`SiteIndex`:
/// each finished page's summary under its size and mtime, so an unchanged page is not even
/// read again, and the files Vignette wrote into the folder, the only ones it ever removes)
/// and `site/manifest.json` (the manifest, with paths relative to the site folder).
public struct SiteFrontEnd: FrontEnd {
  public let project: Project
  /// The configured base (`--base-url`, `baseURL`); pages tell their own otherwise.
  public let base: SiteBase?
  /// The files Vignette wrote into the folder, as the last build left them in
  /// `site/pages.bin`: read by the scan, else when first needed; never by a build the build
  /// snapshot answers.
  var ownedFiles: [String: FileStamp] { stored.files }
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

  /// `site/pages.bin`, read a page at a time by the scan (`SiteIndex.Reader`), and the files
  /// it names kept from then on.
  private final class StoredIndex: Sendable {
    let path: String
    let context: String
    private let loaded = Mutex<[String: FileStamp]?>(nil)
    /// The pages the last scan found, as a digest of the set of their paths (`PagePaths`).
    let listed = Mutex<PagePaths>(PagePaths())

    init(path: String, context: String) {
      self.path = path
      self.context = context
    }

    /// The files the index names, read (skipping its pages) the first time they are asked
    /// for when the scan did not read them.
    var files: [String: FileStamp] {
      loaded.withLock { loaded in
        if let files = loaded { return files }
        var reader = SiteIndex.Reader(path: path, context: nil)
        let files = reader.files()
        loaded = files
        return files
      }
    }

    /// A reader of the pages remembered under this context, in path order.
    func reader() -> SiteIndex.Reader { SiteIndex.Reader(path: path, context: context) }

    /// The files the scan's reader found after the pages.
    func keep(files: [String: FileStamp]) { loaded.withLock { $0 = files } }
  }

  public var layout: OutputLayout {
    OutputLayout(
      variantFolder: "", posterFolder: Self.facadeFolder, manifestPath: project.cache + "/site/manifest.json",
      owned: .files(ownedFiles), reportsPages: true, leavesPassThrough: true)
  }

  // MARK: Scan

  public func scan(memo: PipelineMemo?, workers: RenderWorkers) async throws -> ScanResult<SitePageScan> {
    let store = SiteScanStore(folder: folder, spool: Spool(folder: project.cache))
    let walk = PageWalk(folder: folder, isPage: isPage, index: stored.reader(), store: store)
    // An unchanged page is taken from the index without being opened; the others are parsed
    // on the render threads, handed to them as the walk meets them.
    try await workers.forEach(AnyIterator { walk.nextToParse() }) { [self] page in
      (page.slot, scan(page.path, into: store))
    } receive: { slot, scan in
      walk.documents[slot] = scan
    }
    stored.keep(files: walk.index.files())
    stored.listed.withLock { $0 = walk.paths }
    var result = ScanResult<SitePageScan>()
    result.documents = walk.documents.map { $0! }
    result.parsed = walk.parsed
    result.inPathOrder = true
    return result
  }

  /// The scan's walk over the folder: every page in path order (`FileSystem.SortedWalk`),
  /// each met against `pages.bin`, which is in the same order (a page out of order is merely
  /// read again).
  private final class PageWalk {
    let store: SiteScanStore
    var index: SiteIndex.Reader
    private var walk: FileSystem.SortedWalk
    private let isPage: (String) -> Bool
    private var remembered: (path: String, page: SiteIndex.Page)?
    /// Every page in path order: remembered ones at once, parsed ones when they come back.
    var documents: [SitePageScan?] = []
    var parsed = 0
    var paths = PagePaths()

    init(folder: String, isPage: @escaping (String) -> Bool, index: SiteIndex.Reader, store: SiteScanStore) {
      walk = FileSystem.SortedWalk(folder)
      self.isPage = isPage
      self.index = index
      self.store = store
      remembered = self.index.nextPage()
    }

    /// The next page to parse, and its place in `documents`; the remembered pages before it
    /// are taken on the way.
    func nextToParse() -> (slot: Int, path: String)? {
      while let path = walk.next() {
        guard isPage(path), let stamp = walk.stamp() else { continue }
        paths.add(path)
        while let page = remembered, FileSystem.precedes(page.path, path) { remembered = index.nextPage() }
        if let page = remembered, page.path == path {
          remembered = index.nextPage()
          if page.page.stamp == stamp {
            var summary = SitePageScan.Summary(relativePath: path)
            summary.stamp = stamp
            summary.madeFrom = page.page.madeFrom
            summary.entries = page.page.entries
            documents.append(
              SitePageScan(store: store, summary: summary, changes: false, remembered: true))
            continue
          }
        }
        documents.append(nil)
        parsed += 1
        return (documents.count - 1, path)
      }
      return nil
    }
  }

  /// Whether the file at `relative` (to the folder) is a page: HTML, not the facade's.
  private func isPage(_ relative: String) -> Bool {
    relative.lowercased().hasSuffix(".html") && !relative.hasPrefix(String(Self.facadeFolder.dropFirst()) + "/")
  }

  /// The first pass over one page: what it needs, without keeping the page.
  func scan(_ relative: String, into store: SiteScanStore) -> SitePageScan {
    let file = folder + "/" + relative
    let display = project.display(file)
    var scan = SitePageScan.Summary(relativePath: relative)
    var changes = false
    // Size and mtime before the page is read: a page the generator writes again while
    // Vignette runs is never remembered under its new stamp with what the old one had.
    scan.stamp = FileSystem.stamp(file)
    guard let data = FileManager.default.contents(atPath: file) else {
      scan.diagnostics.append(Diagnostic(.error, file: display, "cannot read the page"))
      return SitePageScan(store: store, summary: scan, changes: false, remembered: false)
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
        changes = true
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
      changes = changes || !video.done
    }
    scan.entries.sort { $0.offset < $1.offset }
    return SitePageScan(store: store, summary: scan, changes: changes, remembered: false)
  }

  public func resolve(_ page: SitePageScan, with resolver: ReferenceResolver) -> ResolvedDocument<SitePageScan> {
    // Resolved while scanning, against the page's own address (its base URL, `<base>`).
    let entries = page.entries
    return ResolvedDocument(
      document: page,
      references: entries.map { entry in
        ResolvedReference(reference: entry.reference, target: entry.target(in: folder, intern: paths.intern))
      })
  }

  /// A page resolves from its scan (its entries), so its outcome is made when asked for.
  public var derivesOutcomes: Bool { true }

  // MARK: Emit

  public func outputPaths(of page: SitePageScan) -> OutputPaths {
    OutputPaths(output: page.relativePath, html: page.relativePath)
  }

  /// Only a page with an image or video to rewrite, read before it was stamped.
  public func mayWrite(_ page: SitePageScan) -> Bool { page.changes && page.stamped }

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
    guard outcome.document.changes else { return [] }
    let scan = outcome.document.summary
    guard let stamp = scan.stamp else { return [] }
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
        let page = build.documents.document(at: position)
        guard page.stamped else { continue }
        let scan = page.summary
        guard var stamp = scan.stamp else { continue }
        // A remembered page's scan is its record; a page read now is finished when nothing
        // about it failed (its outcome derived only for that).
        if !page.remembered {
          guard scan.diagnostics.isEmpty,
            !build.documents[position].references.contains(where: { $0.status == .invalid || $0.status == .missing })
          else { continue }
        }
        if page.changes && !page.remembered {
          // Rewritten now: remembered under the stamp Vignette's write gave it.
          guard let written = emitted.documents.file(of: position, at: scan.relativePath)?.stamp else { continue }
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
    let scanned = stored.listed.withLock { $0 }
    var inputs = SnapshotInputs {
      // The same pages: as many, with the same paths, told by a digest of the set of them
      // taken by the scan's walk (no list of every page).
      var paths = PagePaths()
      FileSystem.walk(folder) { relative, _ in if self.isPage(relative) { paths.add(relative) } }
      return paths == scanned && scanned.count == build.documents.count
    }
    inputs.eachOutputFolder = { [folder] stamp in
      FileSystem.walk(folder, entered: { stamp($0.isEmpty ? folder : folder + "/" + $0) }, { _, _ in })
    }
    inputs.eachRead = { read in
      for position in build.documents.indices { read(build.documents.document(at: position).path, position) }
    }
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
/// at (its `Summary`), never the page itself, and that in the build's spool: in memory, a
/// handle, so memory does not grow with the size of the site.
public struct SitePageScan: ScannedDocument {
  /// One image or video of the page, resolved against the page's address.
  struct Entry: Sendable, Hashable {
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

  /// What the scan found on one page, kept in the build's spool (`SiteScanStore`) between the
  /// scan and the emit stage, not in memory.
  struct Summary: CacheRecord {
    var relativePath: String
    /// Size and mtime before the page was read.
    var stamp: FileStamp?
    var madeFrom: String?
    var diagnostics: [Diagnostic] = []
    var entries: [Entry] = []

    init(relativePath: String) { self.relativePath = relativePath }

    // The path first: it is read alone, without the rest (`SitePageScan.relativePath`).
    init(from reader: inout CacheRecordReader) throws {
      relativePath = try reader.string()
      stamp = try reader.optional { try $0.record() }
      madeFrom = try reader.optional { try $0.string() }
      diagnostics = try reader.array { try $0.record() }
      entries = try reader.array { try $0.record() }
    }

    func write(to writer: inout CacheRecordWriter) {
      writer.string(relativePath)
      writer.optional(stamp) { $0.record($1) }
      writer.optional(madeFrom) { $0.string($1) }
      writer.array(diagnostics) { $0.record($1) }
      writer.array(entries) { $0.record($1) }
    }
  }

  /// Where the summary is, and what the build asks of every page without reading it (whether
  /// it changes, whether it was read before it was stamped, whether it came from `pages.bin`),
  /// in one word: 16 bytes a page, with the store.
  private let store: SiteScanStore
  private let bits: Int

  init(store: SiteScanStore, summary: Summary, changes: Bool, remembered: Bool) {
    self.store = store
    let position = store.spool.append { $0.record(summary) }
    bits = position << 3 | (changes ? 1 : 0) | (remembered ? 2 : 0) | (summary.stamp != nil ? 4 : 0)
  }

  /// Has an image or video to rewrite.
  var changes: Bool { bits & 1 != 0 }
  /// Taken from `pages.bin`, not read this time.
  var remembered: Bool { bits & 2 != 0 }
  /// Was stamped before it was read.
  var stamped: Bool { bits & 4 != 0 }

  /// Everything the scan found, read back from the spool: code that needs more than one of the
  /// properties below reads this once.
  var summary: Summary { store.summary(at: bits >> 3) }

  public var relativePath: String { store.relativePath(at: bits >> 3) }
  public var path: String { store.folder + "/" + relativePath }
  var entries: [Entry] { summary.entries }
  var stamp: FileStamp? { summary.stamp }
  public var diagnostics: [Diagnostic] { summary.diagnostics }
  public var madeFrom: String? { summary.madeFrom }
  public var references: [Reference] { summary.entries.map(\.reference) }
}

/// The site folder (one string every page shares) and the spool its pages' summaries are in.
final class SiteScanStore: Sendable {
  let folder: String
  let spool: Spool
  /// The summary read last: the stages ask a page for several of its properties in a row.
  private let last = Mutex<(position: Int, summary: SitePageScan.Summary)?>(nil)

  init(folder: String, spool: Spool) {
    self.folder = folder
    self.spool = spool
  }

  func summary(at position: Int) -> SitePageScan.Summary {
    if let last = last.withLock({ $0 }), last.position == position { return last.summary }
    let summary: SitePageScan.Summary = spool.read(at: position) { try $0.record() }
    last.withLock { $0 = (position, summary) }
    return summary
  }

  /// The page's path alone (the first field of its summary).
  func relativePath(at position: Int) -> String {
    if let last = last.withLock({ $0 }), last.position == position { return last.summary.relativePath }
    return spool.read(at: position) { try $0.string() }
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

  /// The index at `path`, whole; empty when there is none, it is damaged or of another
  /// version.
  static func load(from path: String) -> SiteIndex {
    var reader = Reader(path: path, context: nil)
    var index = SiteIndex()
    while let (name, page) = reader.nextPage() { index.pages[name] = page }
    index.files = reader.files()
    index.context = reader.context
    return index
  }

  /// `pages.bin` read a page at a time, in the order written (`CheckedRecordFile.stream`),
  /// then the files it names. An index that is missing, damaged or of another version has
  /// neither; one of another site context than the reader's has no pages, since its files are
  /// still Vignette's to remove.
  struct Reader {
    private let stream: RecordStream?
    /// The site context of the build that wrote it.
    private(set) var context = ""
    private let wanted: String?
    private var pagesLeft = true
    private var damaged = false

    /// A reader of the index at `path`, of the pages remembered under `context` (nil: any).
    init(path: String, context wanted: String?) {
      // The site context is a record, not the file's context: the files an index of another
      // context names are still Vignette's to remove.
      stream = CheckedRecordFile.stream(path, magic: SiteIndex.magic, context: "")
      self.wanted = wanted
      do {
        context = try stream?.next { try $0.string() } ?? ""
      } catch {
        damaged = true
      }
    }

    /// The next page, in path order; nil after the last.
    mutating func nextPage() -> (path: String, page: Page)? {
      guard let stream, pagesLeft, !damaged else { return nil }
      do {
        while try stream.next({ try $0.bool() }) {
          let name = try stream.next { try $0.string() }
          let page: Page = try stream.next { try $0.record() }
          if wanted == nil || wanted == context { return (name, page) }
        }
      } catch {
        // Checksummed whole before it is read: only a version's own mistake gets here.
        damaged = true
      }
      pagesLeft = false
      return nil
    }

    /// The files Vignette wrote into the folder (the pages not yet read are skipped).
    mutating func files() -> [String: FileStamp] {
      while nextPage() != nil {}
      guard let stream, !damaged else { return [:] }
      var files: [String: FileStamp] = [:]
      do {
        for _ in 0..<(try stream.next { try $0.int() }) {
          let name = try stream.next { try $0.string() }
          files[name] = try stream.next { try $0.record() }
        }
        guard stream.isAtEnd else { throw CacheRecordReader.Damaged() }
      } catch {
        return [:]
      }
      return files
    }
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

/// A set of page paths as its size and a digest of its members that does not depend on their
/// order (sums of two 64-bit hashes of each path, in this process's random seed): what site
/// mode needs to tell whether the folder still has the pages the scan found, without a list
/// of every page.
struct PagePaths: Equatable, Sendable {
  private(set) var count = 0
  private var first: UInt64 = 0
  private var second: UInt64 = 0

  mutating func add(_ path: String) {
    var hasher = Hasher()
    hasher.combine(path)
    first &+= UInt64(bitPattern: Int64(hasher.finalize()))
    var other = Hasher()
    other.combine(0x5349_5445 as UInt32)
    other.combine(path)
    second &+= UInt64(bitPattern: Int64(other.finalize()))
    count += 1
  }
}
