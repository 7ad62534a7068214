import Foundation

/// A document a front end read: a markdown post, or a page of generated HTML. Its
/// references carry their source positions, which is how every later stage finds them.
public protocol ScannedDocument: Sendable {
  /// Absolute path of the file.
  var path: String { get }
  /// Path under the front end's folder (what the output mirrors).
  var relativePath: String { get }
  /// Every reference, in source order.
  var references: [Reference] { get }
  /// Problems found while reading it.
  var diagnostics: [Diagnostic] { get }
  /// The file it was generated from, when known (site mode: the post a page was made from),
  /// named in every diagnostic about it.
  var madeFrom: String? { get }
}

extension ScannedDocument {
  public var madeFrom: String? { nil }
}

extension Diagnostic {
  /// This diagnostic, naming the file its document was made from when there is one.
  func madeFrom(_ origin: String?) -> Diagnostic {
    guard let origin else { return self }
    var located = self
    located.message += " (page made from \(origin))"
    return located
  }
}

/// Where a front end's outputs go, and which files of the output folder are its to remove.
public struct OutputLayout: Sendable {
  /// What the emit stage may remove once the build no longer produces it.
  public enum Owned: Sendable {
    /// Every file in these folders of the output folder (markdown mode owns them whole).
    case folders([String])
    /// Exactly these files (relative to the output folder), with the size and mtime each had
    /// when Vignette wrote it: a file something else wrote since is never removed.
    case files([String: FileStamp])
  }

  /// Folder of the output folder that variants are served from (`static`), or `""` for the
  /// output folder itself (site mode puts them beside their sources).
  public var variantFolder: String
  /// URL path in front of each video poster's variants (`/vignette` in site mode).
  public var posterFolder: String
  /// Where the manifest goes: nil for `manifest.json` in the output folder (compared by
  /// `check`), else an absolute path outside it, written by builds only.
  public var manifestPath: String?
  public var owned: Owned
  /// Reports pages and remote references (site mode) rather than posts.
  public var reportsPages: Bool
  /// A source libvips would pass through unchanged (an animation) is left as the document
  /// wrote it instead of being copied under a new name.
  public var leavesPassThrough: Bool

  public init(
    variantFolder: String, posterFolder: String = "", manifestPath: String? = nil, owned: Owned,
    reportsPages: Bool = false, leavesPassThrough: Bool = false
  ) {
    self.variantFolder = variantFolder
    self.posterFolder = posterFolder
    self.manifestPath = manifestPath
    self.owned = owned
    self.reportsPages = reportsPages
    self.leavesPassThrough = leavesPassThrough
  }

  /// The path under the output folder of the file served at `urlPath`.
  func path(ofVariantAt urlPath: String) -> String {
    variantFolder.isEmpty ? String(urlPath.dropFirst()) : variantFolder + urlPath
  }
}

/// Where a document's outputs go, relative to the output folder.
public struct OutputPaths: Sendable, Hashable {
  /// The rewritten document.
  public var output: String
  /// Its HTML page.
  public var html: String

  public init(output: String, html: String) {
    self.output = output
    self.html = html
  }
}

/// One file of the build's output: a path relative to the output folder and its bytes.
public struct OutputFile: Sendable {
  public var path: String
  public var data: Data

  public init(_ path: String, _ data: Data) {
    self.path = path
    self.data = data
  }
}

/// What a front end found: its documents, and the files it could not read.
public struct ScanResult<Document: ScannedDocument>: Sendable {
  public var documents: [Document] = []
  public var diagnostics: [Diagnostic] = []
  /// Documents parsed in this run; the others came from the front end's cache or watch
  /// mode's memo unchanged.
  public var parsed = 0
  /// The documents are in path order already (`FileSystem.precedes`), so the outcome need not
  /// sort them.
  public var inPathOrder = false

  public init(documents: [Document] = [], diagnostics: [Diagnostic] = []) {
    self.documents = documents
    self.diagnostics = diagnostics
  }
}

/// What the emit stage did, for a front end to remember (`FrontEnd.finish`).
public struct EmitRecord: Sendable {
  /// Every file the build produced, relative to the output folder, with its stamp right after
  /// it was written or found up to date; but for the documents' own outputs where the emit
  /// stage keeps those apart (`documents`).
  public var files: [String: EmittedFile]
  /// The outputs of each document, by its position in the outcome, when kept apart (site mode).
  public var documents = DocumentOutputs()
}

/// The first and last stages of a build for one kind of site: scanning documents into
/// references, and writing each document back from the build's outcome. Everything in
/// between (resolve → embed → plan → render → outcome) is shared by every front end.
public protocol FrontEnd: Sendable {
  associatedtype Document: ScannedDocument

  /// Where the outputs go and what the build may remove.
  var layout: OutputLayout { get }

  /// Reads every document of the site; `memo` (watch mode) keeps unchanged ones. CPU-heavy
  /// reading runs on `workers`, off Swift's cooperative pool.
  func scan(memo: PipelineMemo?, workers: RenderWorkers) async throws -> ScanResult<Document>

  /// The resolve stage for one document: what each reference points at.
  func resolve(_ document: Document, with resolver: ReferenceResolver) -> ResolvedDocument<Document>

  /// Where `document`'s outputs go.
  func outputPaths(of document: Document) -> OutputPaths

  /// Whether the build resolves each document again whenever its outcome is needed, holding
  /// only the scans (`DocumentOutcomes`): right where resolving is reading the document's own
  /// scan, so that memory grows with nothing but the scans (site mode's are handles into a
  /// spool on disk); the emit stage then keeps what it wrote for each document in a spool too
  /// (`DocumentOutputs`). False (the default) keeps every document's outcome, made once.
  var derivesOutcomes: Bool { get }

  /// The files written for one document, made from its outcome alone (and the site's).
  func outputs(of document: DocumentOutcome<Document>, in build: BuildOutcome<Document>) throws -> [OutputFile]

  /// Files for the whole site (templates, data), made from the outcome.
  func siteFiles(_ build: BuildOutcome<Document>) throws -> [OutputFile]

  /// The same, taking what it can from `pieces` (watch mode); by default made afresh.
  func siteFiles(_ build: BuildOutcome<Document>, pieces: SitePieces) throws -> [OutputFile]

  /// A digest of what `document`'s outputs are made from besides the outcome of its
  /// references and the build's settings (markdown: the post's bytes). With one, the emit
  /// stage keeps the outputs of an unchanged document without making them again
  /// (`EmitIndex`); nil (the default) makes them every build.
  func inputDigest(of document: Document) -> String?

  /// Whether `outputs(of:in:)` can give anything for `document`; a document it cannot is
  /// never handed to the render threads. True unless the front end knows better.
  func mayWrite(_ document: Document) -> Bool

  /// Of the files Vignette wrote before that this build no longer makes (relative to the
  /// output folder), those that outputs the build left alone still point at, which are kept.
  /// None (the default) where the build remakes every output that names a file.
  func stillNamed(_ files: [String]) -> Set<String>

  /// After a build (never a check) wrote everything: what the front end keeps for the next
  /// run, made from the outcome and what was emitted.
  func finish(_ build: BuildOutcome<Document>, emitted: EmitRecord) throws

  /// Where the front end's build snapshot is kept (`BuildSnapshot`) and what else it is valid
  /// for (settings the outputs depend on); nil (the default): every build runs every stage.
  var snapshot: (path: String, context: String)? { get }

  /// What the snapshot of `build` stamps besides its outputs, its sources and the lockfile:
  /// the documents, and the folders whose changes would change what the build finds.
  func snapshotInputs(_ build: BuildOutcome<Document>) -> SnapshotInputs

  /// Diagnostics made afresh by every build, one the snapshot answers too, since they come
  /// from files the snapshot does not stamp; `kinds` are the kinds of reference the
  /// documents use. Called once per build, after the scan.
  func liveDiagnostics(kinds: Set<Reference.Kind>) -> [Diagnostic]
}

/// What a build's outputs depend on besides the files it wrote, its sources and the lockfile,
/// as a front end names it for the build snapshot (`BuildSnapshot`).
public struct SnapshotInputs {
  /// Files and folders the build read and never wrote (posts, the content folder's
  /// folders): each must have been last changed before the build started.
  public var read: [String] = []
  /// More files read, handed to the function it is given one by one (site mode's pages: as
  /// many as the site has, so never listed at once), each with the position of the document
  /// it is in the outcome when it is one (a page rewritten in place is an output too).
  public var eachRead: (_ file: (String, _ document: Int?) -> Void) -> Void = { _ in }
  /// Folders the build may write into (the output folder's), stamped as it left them.
  public var outputFolders: [String] = []
  /// More such folders, handed to the function it is given one by one (site mode: every
  /// folder of the site, one per page with pretty URLs, so never listed at once).
  public var eachOutputFolder: (_ folder: (String) -> Void) -> Void = { _ in }
  /// Asked after the output folders are stamped: whether what the build read is still what
  /// it saw (site mode: the same pages, none added), which those folders' stamps, moved by
  /// the build's own writes, cannot tell.
  public var stillAsRead: () -> Bool = { true }

  public init(read: [String] = [], outputFolders: [String] = [], stillAsRead: @escaping () -> Bool = { true }) {
    self.read = read
    self.outputFolders = outputFolders
    self.stillAsRead = stillAsRead
  }
}

extension FrontEnd {
  /// Markdown's resolution: paths looked up in the content folder and asset roots.
  public func resolve(_ document: Document, with resolver: ReferenceResolver) -> ResolvedDocument<Document> {
    resolver.resolve(document)
  }

  public func finish(_ build: BuildOutcome<Document>, emitted: EmitRecord) throws {}

  public func siteFiles(_ build: BuildOutcome<Document>, pieces: SitePieces) throws -> [OutputFile] {
    try siteFiles(build)
  }

  public func inputDigest(of document: Document) -> String? { nil }

  public func mayWrite(_ document: Document) -> Bool { true }

  public var derivesOutcomes: Bool { false }

  public func stillNamed(_ files: [String]) -> Set<String> { [] }

  public var snapshot: (path: String, context: String)? { nil }

  public func snapshotInputs(_ build: BuildOutcome<Document>) -> SnapshotInputs { SnapshotInputs() }

  public func liveDiagnostics(kinds: Set<Reference.Kind>) -> [Diagnostic] { [] }
}
