import Foundation
import Synchronization

/// The front end for markdown posts written for Hugo: scans every post under the content
/// folder (`PostScanner`), and writes each back as Hugo-ready markdown (`MarkdownRewriter`)
/// and a standalone HTML page (`PageRenderer`), plus the templates and data a Hugo site
/// needs (`HugoSupport`).
public struct MarkdownFrontEnd: FrontEnd {
  public let project: Project
  static let extensions: Set<String> = ["md", "markdown", "mdown"]

  /// The scan cache this build read, for `finish` to save.
  private let scans = ScanCacheSlot()

  public init(project: Project) { self.project = project }

  public var layout: OutputLayout { OutputLayout(variantFolder: "static", owned: .folders(Emitter.ownedFolders)) }

  /// Reads every post, each on the render threads (in batches, since a post the scan cache
  /// holds costs a read and a hash): from watch mode's memo when unchanged there, else from
  /// the scan cache (`ScanCache`) when its bytes are unchanged, else scanned anew.
  public func scan(memo: PipelineMemo?, workers: RenderWorkers) async throws -> ScanResult<ScannedPost> {
    let scanner = PostScanner(
      extraImageKeys: project.config.frontMatterImageKeys, display: { [project] in project.display($0) })
    let context = ScanCache.context(project)
    let cache =
      memo?.scanCache(folder: project.cache, context: context)
      ?? ScanCache(folder: project.cache, context: context)
    let files = FileSystem.files(under: project.content).filter(Self.isPost)
    scans.set(cache, files: files)
    var found: [String: Scanned] = [:]
    found.reserveCapacity(files.count)
    try await workers.forEach(workers.batches(files)) { [project] batch in
      batch.map { relative -> (String, Scanned) in
        let path = project.content + "/" + relative
        do {
          var parsed = false
          let scan = {
            let scanned = try cache.scan(path: path, relativePath: relative, with: scanner)
            parsed = scanned.parsed
            return scanned.post
          }
          let post = try memo?.document(at: path, scan: scan).document ?? scan()
          return (relative, .post(post, parsed: parsed))
        } catch {
          return (
            relative,
            .unreadable(
              Diagnostic(.error, file: project.display(path), "cannot read the post: \(error.localizedDescription)"))
          )
        }
      }
    } receive: { scanned in
      for (relative, result) in scanned { found[relative] = result }
    }
    cache.retain(Set(files))
    var result = ScanResult<ScannedPost>()
    for relative in files {
      switch found[relative] {
      case .post(let post, let parsed):
        result.documents.append(post)
        if parsed { result.parsed += 1 }
      case .unreadable(let diagnostic): result.diagnostics.append(diagnostic)
      case nil: break
      }
    }
    return result
  }

  /// Templates of the site or its theme that Vignette's Hugo output would shadow or undo:
  /// read on every build, since they are outside what the snapshot stamps.
  public func liveDiagnostics(kinds: Set<Reference.Kind>) -> [Diagnostic] {
    HugoThemeCheck.warnings(project: project, kinds: kinds)
  }

  public var snapshot: (path: String, context: String)? {
    (project.cache + "/snapshot.bin", "markdown\n" + ScanCache.context(project) + "\n" + EmitDigest.context(project))
  }

  /// Every post listed (read or not), and every folder of the content folder and the asset
  /// roots, where references are looked up (a picture added where a post looked for one
  /// changes its folder); the folders of the output folder, where a file Vignette did not
  /// write would be removed.
  public func snapshotInputs(_ build: BuildOutcome<ScannedPost>) -> SnapshotInputs {
    var inputs = SnapshotInputs()
    inputs.read = ([project.content] + project.assetRoots).flatMap(FileSystem.folders(under:))
    inputs.read += scans.files.map { project.content + "/" + $0 }
    inputs.outputFolders =
      [project.output] + Emitter.ownedFolders.flatMap { FileSystem.folders(under: project.output + "/" + $0) }
    return inputs
  }

  /// Whether the file at `relative` is a post, by its extension. Split with Swift's string
  /// operations: `NSString.pathExtension` cost a rebuild of a large site more than the walk.
  static func isPost(_ relative: String) -> Bool {
    let name = relative.lastIndex(of: "/").map { relative[relative.index(after: $0)...] } ?? relative[...]
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
    return extensions.contains(name[name.index(after: dot)...].lowercased())
  }

  private enum Scanned: Sendable {
    case post(ScannedPost, parsed: Bool)
    case unreadable(Diagnostic)
  }

  /// Saves the scans for the next build (builds only; a check writes nothing).
  public func finish(_ build: BuildOutcome<ScannedPost>, emitted: EmitRecord) throws {
    try scans.cache?.save()
  }

  public func outputPaths(of post: ScannedPost) -> OutputPaths {
    OutputPaths(
      output: "content/" + post.relativePath,
      html: "html/" + (post.relativePath as NSString).deletingPathExtension + ".html")
  }

  public func outputs(of outcome: DocumentOutcome<ScannedPost>, in build: BuildOutcome<ScannedPost>) throws
    -> [OutputFile]
  {
    let post = outcome.document
    var edits: [MarkdownRewriter.Edit] = []
    for item in outcome.references {
      if let image = item.image, let range = item.reference.targetRange,
        let url = MarkdownRewriter.fallbackURL(image, basePath: project.basePath)
      {
        // The query and fragment as written stay (`b.png#center`).
        edits.append(.init(range: range, text: url + MarkdownRewriter.suffix(of: post.source[range])))
      }
    }
    let paths = outputPaths(of: post)
    let depth = post.relativePath.split(separator: "/").count
    let prefix = String(repeating: "../", count: depth) + "static"
    let page = PageRenderer(picture: PictureMarkup(urlPrefix: prefix, sizes: project.config.images.sizes))
    return [
      OutputFile(paths.output, Data(MarkdownRewriter.apply(edits, to: post.source))),
      OutputFile(paths.html, Data(page.render(outcome, videos: build.videos).utf8)),
    ]
  }

  /// The post's bytes: its outputs are made from them and its references' outcomes alone.
  public func inputDigest(of post: ScannedPost) -> String? {
    post.digest
  }

  public func siteFiles(_ build: BuildOutcome<ScannedPost>) throws -> [OutputFile] {
    try siteFiles(build, pieces: SitePieces())
  }

  public func siteFiles(_ build: BuildOutcome<ScannedPost>, pieces: SitePieces) throws -> [OutputFile] {
    try HugoSupport.files(build, sizes: project.config.images.sizes, basePath: project.basePath, pieces: pieces)
      .map { OutputFile($0.0, $0.1) }
  }
}

/// The scan cache one build of a front end uses, set by its scan and saved by its finish,
/// and the posts the scan listed (relative to the content folder).
private final class ScanCacheSlot: Sendable {
  private let slot = Mutex<(cache: ScanCache?, files: [String])>((nil, []))
  var cache: ScanCache? { slot.withLock { $0.cache } }
  var files: [String] { slot.withLock { $0.files } }
  func set(_ cache: ScanCache, files: [String]) { slot.withLock { $0 = (cache, files) } }
}
