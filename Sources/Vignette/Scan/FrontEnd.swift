import Foundation

/// A document a front end read: a markdown post, or a page of generated HTML. Its
/// references carry their source positions, which is how every later stage finds them.
public protocol ScannedDocument: Sendable {
  /// Absolute path of the file.
  var path: String { get }
  /// Path under the front end's folder (what the output mirrors).
  var relativePath: String { get }
  var source: SourceText { get }
  /// Every reference, in source order.
  var references: [Reference] { get }
  /// Problems found while reading it.
  var diagnostics: [Diagnostic] { get }
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

  public init(documents: [Document] = [], diagnostics: [Diagnostic] = []) {
    self.documents = documents
    self.diagnostics = diagnostics
  }
}

/// The first and last stages of a build for one kind of site: scanning documents into
/// references, and writing each document back from the build's outcome. Everything in
/// between (resolve → embed → plan → render → outcome) is shared by every front end.
public protocol FrontEnd: Sendable {
  associatedtype Document: ScannedDocument

  /// Reads every document of the site; `memo` (watch mode) keeps unchanged ones.
  func scan(memo: PipelineMemo?) -> ScanResult<Document>

  /// Where `document`'s outputs go.
  func outputPaths(of document: Document) -> OutputPaths

  /// The files written for one document, made from its outcome alone (and the site's).
  func outputs(of document: DocumentOutcome<Document>, in build: BuildOutcome<Document>) throws -> [OutputFile]

  /// Files for the whole site (templates, data), made from the outcome.
  func siteFiles(_ build: BuildOutcome<Document>) throws -> [OutputFile]
}
