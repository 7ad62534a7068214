import Foundation

/// The front end for markdown posts written for Hugo: scans every post under the content
/// folder (`PostScanner`), and writes each back as Hugo-ready markdown (`MarkdownRewriter`)
/// and a standalone HTML page (`PageRenderer`), plus the templates and data a Hugo site
/// needs (`HugoSupport`).
public struct MarkdownFrontEnd: FrontEnd {
  public let project: Project
  static let extensions: Set<String> = ["md", "markdown", "mdown"]

  public init(project: Project) { self.project = project }

  public var layout: OutputLayout { OutputLayout(variantFolder: "static", owned: .folders(Emitter.ownedFolders)) }

  public func scan(memo: PipelineMemo?, workers: RenderWorkers) -> ScanResult<ScannedPost> {
    let scanner = PostScanner(
      extraImageKeys: project.config.frontMatterImageKeys, display: { [project] in project.display($0) })
    var result = ScanResult<ScannedPost>()
    for relative in FileSystem.files(under: project.content)
    where Self.extensions.contains((relative as NSString).pathExtension.lowercased()) {
      let path = project.content + "/" + relative
      do {
        let scan = { try scanner.scan(path: path, relativePath: relative) }
        result.documents.append(try memo?.document(at: path, scan: scan).document ?? scan())
      } catch {
        result.diagnostics.append(
          Diagnostic(.error, file: project.display(path), "cannot read the post: \(error.localizedDescription)"))
      }
    }
    // Templates of the site or its theme that Vignette's Hugo output would shadow or undo.
    result.diagnostics += HugoThemeCheck.warnings(project: project, posts: result.documents)
    return result
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
    post.source.bytes.withUnsafeBytes { Checksum.sha256($0) }
  }

  public func siteFiles(_ build: BuildOutcome<ScannedPost>) throws -> [OutputFile] {
    try HugoSupport.files(
      images: build.images.values.map(\.image), videos: build.videos.values, sizes: project.config.images.sizes,
      firstImages: HugoSupport.firstImages(build.documents, basePath: project.basePath), basePath: project.basePath
    ).map { OutputFile($0.0, $0.1) }
  }
}
