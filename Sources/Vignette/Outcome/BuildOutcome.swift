import Foundation

/// What became of one reference, decided once: its diagnostics, its manifest entry and its
/// rewrite are all read from here.
public struct ReferenceOutcome: Sendable, Hashable {
  public var reference: Reference
  /// `ok` only when there is something to show: a rendered image or a video.
  public var status: ResolvedTarget.Status
  /// The image file it resolved to (absolute), also when that file failed.
  public var file: String?
  /// Why the status is not `ok`.
  public var message: String?
  /// The rendered image, for an `ok` image reference.
  public var image: RenderedImage? {
    get { shown?.image }
    set { shown = newValue.map { Shown(image: $0) } }
  }
  /// The video with its poster, for a video reference (never with an image).
  public var video: Video? {
    get { shown?.video }
    set { shown = newValue.map { Shown(video: $0) } }
  }
  /// The image or the video behind one pointer, shared by every reference to it: a build
  /// holds an outcome for every reference of the site at once, and both are large values.
  private(set) var shown: Shown?

  final class Shown: Sendable, Hashable {
    let image: RenderedImage?
    let video: Video?

    init(image: RenderedImage? = nil, video: Video? = nil) {
      self.image = image
      self.video = video
    }

    static func == (left: Shown, right: Shown) -> Bool {
      left === right || (left.image == right.image && left.video == right.video)
    }

    func hash(into hasher: inout Hasher) {
      hasher.combine(image)
      hasher.combine(video)
    }
  }

  init(
    reference: Reference, status: ResolvedTarget.Status, file: String? = nil, message: String? = nil,
    image: RenderedImage? = nil, video: Video? = nil
  ) {
    let shown = image != nil || video != nil ? Shown(image: image, video: video) : nil
    self.init(reference: reference, status: status, file: file, message: message, shown: shown)
  }

  init(reference: Reference, status: ResolvedTarget.Status, file: String?, message: String?, shown: Shown?) {
    self.reference = reference
    self.status = status
    self.file = file
    self.message = message
    self.shown = shown
  }
}

/// One document with the outcome of each of its references, in source order.
public struct DocumentOutcome<Document: ScannedDocument>: Sendable {
  public let document: Document
  public let references: [ReferenceOutcome]
  /// Where each offset's first reference is, only for references not in offset order (found
  /// by a binary search otherwise, without a table per document).
  private let byOffset: [Int: Int]?

  init(document: Document, references: [ReferenceOutcome]) {
    self.document = document
    self.references = references
    let ordered = zip(references, references.dropFirst()).allSatisfy { $0.reference.offset <= $1.reference.offset }
    byOffset =
      ordered
      ? nil
      : Dictionary(
        references.enumerated().map { ($1.reference.offset, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// The outcome of the reference that starts at byte `offset` of the document.
  public func reference(at offset: Int) -> ReferenceOutcome? {
    if let byOffset { return byOffset[offset].map { references[$0] } }
    var low = 0
    var high = references.count
    while low < high {
      let middle = (low + high) / 2
      if references[middle].reference.offset < offset { low = middle + 1 } else { high = middle }
    }
    return low < references.count && references[low].reference.offset == offset ? references[low] : nil
  }
}

/// Every document's outcome, sorted by path: kept, or made again from the document whenever
/// one is asked for (`FrontEnd.derivesOutcomes`: site mode, whose pages resolve from their
/// own scan), so a build then holds no outcome per page at all.
public struct DocumentOutcomes<Document: ScannedDocument>: RandomAccessCollection, Sendable {
  private enum Storage: Sendable {
    case kept([DocumentOutcome<Document>])
    case derived([Document], OutcomeMaker<Document>, @Sendable (Document) -> ResolvedDocument<Document>)
  }

  private let storage: Storage

  init(kept: [DocumentOutcome<Document>]) { storage = .kept(kept) }

  init(
    derived documents: [Document], maker: OutcomeMaker<Document>,
    resolve: @escaping @Sendable (Document) -> ResolvedDocument<Document>
  ) { storage = .derived(documents, maker, resolve) }

  public var startIndex: Int { 0 }

  public var endIndex: Int {
    switch storage {
    case .kept(let outcomes): outcomes.count
    case .derived(let documents, _, _): documents.count
    }
  }

  public subscript(position: Int) -> DocumentOutcome<Document> {
    switch storage {
    case .kept(let outcomes): outcomes[position]
    case .derived(let documents, let maker, let resolve): maker.outcome(of: resolve(documents[position]))
    }
  }

  /// The document at `position`, its outcome not derived.
  public func document(at position: Int) -> Document {
    switch storage {
    case .kept(let outcomes): outcomes[position].document
    case .derived(let documents, _, _): documents[position]
    }
  }

  /// Every document, in order, their outcomes not derived.
  public var scans: LazyMapCollection<Range<Int>, Document> { indices.lazy.map(document(at:)) }

  /// Whether a document is at a path (relative to the front end's folder), for many paths:
  /// a binary search where the documents are derived (sorted by path, `BuildOutcome`), else a
  /// look-up in a set made once.
  public func pathLookup() -> (String) -> Bool {
    switch storage {
    case .kept(let outcomes):
      let paths = Set(outcomes.lazy.map(\.document.relativePath))
      return { paths.contains($0) }
    case .derived(let documents, _, _):
      return { path in
        var low = 0
        var high = documents.count
        while low < high {
          let middle = (low + high) / 2
          if FileSystem.precedes(documents[middle].relativePath, path) { low = middle + 1 } else { high = middle }
        }
        return low < documents.count && documents[low].relativePath == path
      }
    }
  }
}

/// What turns a resolved document into its outcome: the rendered images and the videos, each
/// in one box that every reference to it shares.
final class OutcomeMaker<Document: ScannedDocument>: Sendable {
  private let rendered: [String: Result<RenderedSource, ImageFailure>]
  private let shownImages: [String: ReferenceOutcome.Shown]
  private let shownVideos: [String: ReferenceOutcome.Shown]
  private let display: @Sendable (String) -> String

  init(
    rendered: [String: Result<RenderedSource, ImageFailure>], videos: [String: Video],
    display: @escaping @Sendable (String) -> String
  ) {
    self.rendered = rendered
    var images: [String: ReferenceOutcome.Shown] = [:]
    for case (let key, .success(let source)) in rendered { images[key] = ReferenceOutcome.Shown(image: source.image) }
    shownImages = images
    shownVideos = videos.mapValues { ReferenceOutcome.Shown(video: $0) }
    self.display = display
  }

  /// The outcome of `item`; what is wrong with it goes to `diagnose` (the diagnostics are
  /// gathered once, when the build's outcome is made).
  func outcome(of item: ResolvedDocument<Document>) -> DocumentOutcome<Document> {
    outcome(of: item, diagnosing: false) { _ in }
  }

  func outcome(
    of item: ResolvedDocument<Document>, diagnosing: Bool = true, diagnose report: (Diagnostic) -> Void
  ) -> DocumentOutcome<Document> {
    let file = diagnosing ? display(item.document.path) : ""
    let madeFrom = item.document.madeFrom
    func diagnose(_ severity: Diagnostic.Severity, _ reference: Reference, _ message: @autoclosure () -> String) {
      guard diagnosing else { return }
      report(
        Diagnostic(severity, file: file, line: reference.line, column: reference.column, message()).madeFrom(madeFrom))
    }
    let references = item.references.map { resolved -> ReferenceOutcome in
      let reference = resolved.reference
      var outcome: ReferenceOutcome
      switch resolved.target {
      case .video(let id):
        outcome = ReferenceOutcome(reference: reference, status: .ok, file: nil, message: nil, shown: shownVideos[id])
      case .unprocessed(let status, let message):
        outcome = ReferenceOutcome(reference: reference, status: status, message: message)
      case .image(let source, _, _):
        let key = resolved.target.planKey!
        switch rendered[key] {
        case .success(let image):
          outcome = ReferenceOutcome(
            reference: reference, status: .ok, file: source, message: nil, shown: shownImages[key])
          // What libvips warned about while reading the file, at each reference to it.
          for warning in (image.source.warnings ?? []) + (image.image.warnings ?? []) {
            diagnose(.warning, reference, "\(display(source)): \(warning)")
          }
        case .failure(let failure):
          outcome = ReferenceOutcome(
            reference: reference, status: failure.status, file: source, message: failure.message)
        case nil:
          outcome = ReferenceOutcome(
            reference: reference, status: .invalid, file: source, message: "\(display(source)) was not planned")
        }
      }
      switch outcome.status {
      case .missing, .invalid:
        diagnose(.error, reference, outcome.message ?? "")
      case .ok where outcome.image != nil && reference.targetRange == nil:
        // Not rewritten, so the manifest says so too.
        let message = "cannot locate \"\(reference.target)\" in the source to rewrite it; left as written"
        outcome = ReferenceOutcome(reference: reference, status: .skipped, file: outcome.file, message: message)
        diagnose(.warning, reference, message)
      default:
        break
      }
      return outcome
    }
    return DocumentOutcome(document: item.document, references: references)
  }
}

/// The immutable result of a build's shared stages, from which the diagnostics, the
/// manifest and every output are derived, each once.
public struct BuildOutcome<Document: ScannedDocument>: Sendable {
  /// Every document, sorted by its path under the front end's folder.
  public let documents: DocumentOutcomes<Document>
  /// Every rendered source by plan key (its file in markdown mode), videos' posters included.
  public let images: [String: RenderedSource]
  /// Each video's poster file, by video id.
  public let posters: [String: String]
  /// Every embedded video by id, with its poster when it has one.
  public let videos: [String: Video]
  /// Everything found wrong on the way, in no particular order.
  public let diagnostics: [Diagnostic]
  /// Source files whose variants are known (planned successfully).
  public let planned: Int
  /// References left as written because they point off the site (site mode), counted as the
  /// outcomes were first made.
  public let remoteReferences: Int
  /// Every document's references, counted as the outcomes were first made.
  public let referenceCount: Int

  /// The outcome of `resolved`, every document's kept.
  init(
    scanDiagnostics: [Diagnostic], documents resolved: [ResolvedDocument<Document>], embedded: Embedded,
    planned: Int, rendered: Rendered, display: @escaping @Sendable (String) -> String
  ) {
    self.init(
      scanDiagnostics: scanDiagnostics, embedded: embedded, planned: planned, rendered: rendered, display: display,
      documents: { maker, diagnose, made in
        // Sorted in place: the caller hands its array over (`consume`), so it is not copied.
        var resolved = resolved
        resolved.sort { $0.document.relativePath < $1.document.relativePath }
        return DocumentOutcomes(
          kept: resolved.map { document in
            let outcome = maker.outcome(of: document, diagnose: diagnose)
            made(outcome)
            return outcome
          })
      })
  }

  /// The outcome of `documents`, each resolved by `resolve` and made again whenever it is
  /// asked for (`FrontEnd.derivesOutcomes`); sorted by path unless `inPathOrder` says they are.
  init(
    scanDiagnostics: [Diagnostic], deriving documents: [Document], inPathOrder: Bool = false, embedded: Embedded,
    planned: Int,
    rendered: Rendered, display: @escaping @Sendable (String) -> String,
    resolve: @escaping @Sendable (Document) -> ResolvedDocument<Document>
  ) {
    self.init(
      scanDiagnostics: scanDiagnostics, embedded: embedded, planned: planned, rendered: rendered, display: display,
      documents: { maker, diagnose, made in
        var documents = documents
        if !inPathOrder { documents.sort { FileSystem.precedes($0.relativePath, $1.relativePath) } }
        // Made once for the diagnostics and the counts, and let go.
        for document in documents { made(maker.outcome(of: resolve(document), diagnose: diagnose)) }
        return DocumentOutcomes(derived: documents, maker: maker, resolve: resolve)
      })
  }

  private init(
    scanDiagnostics: [Diagnostic], embedded: Embedded, planned: Int, rendered: Rendered,
    display: @escaping @Sendable (String) -> String,
    documents make: (
      OutcomeMaker<Document>, _ diagnose: (Diagnostic) -> Void, _ made: (DocumentOutcome<Document>) -> Void
    ) -> DocumentOutcomes<Document>
  ) {
    var diagnostics = scanDiagnostics + embedded.diagnostics
    var images: [String: RenderedSource] = [:]
    for case (let file, .success(let source)) in rendered.images { images[file] = source }

    var videos: [String: Video] = [:]
    for (id, metadata) in embedded.videos {
      var video = metadata
      if let file = embedded.posters[id], let result = rendered.images[file] {
        switch result {
        case .success(let poster):
          video.poster = poster.image
        case .failure(let failure):
          if let embed = embedded.firstEmbeds[id] {
            diagnostics.append(embed.diagnostic(.warning, "\(failure); shown with its title only"))
          }
        }
      }
      videos[id] = video
    }
    let maker = OutcomeMaker<Document>(rendered: rendered.images, videos: videos, display: display)
    var remote = 0
    var references = 0
    // Each document's own problems, in the documents' order, after those of the references.
    var own: [Diagnostic] = []
    let documents = make(
      maker, { diagnostics.append($0) },
      { outcome in
        remote += outcome.references.count { $0.status == .remote }
        references += outcome.references.count
        own += outcome.document.diagnostics
      })
    remoteReferences = remote
    referenceCount = references
    diagnostics += own
    self.documents = documents
    self.images = images
    posters = embedded.posters
    self.videos = videos
    self.diagnostics = diagnostics
    self.planned = planned
  }
}
