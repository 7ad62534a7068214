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
    get { if case .image(let image) = shown { image } else { nil } }
    set { shown = newValue.map(Shown.image) }
  }
  /// The video with its poster, for a video reference.
  public var video: Video? {
    get { if case .video(let video) = shown { video } else { nil } }
    set { shown = newValue.map(Shown.video) }
  }
  /// The image or the video, behind one pointer: a build holds an outcome for every
  /// reference of the site at once, and both are large values.
  private var shown: Shown?

  private indirect enum Shown: Sendable, Hashable {
    case image(RenderedImage)
    case video(Video)
  }

  init(
    reference: Reference, status: ResolvedTarget.Status, file: String? = nil, message: String? = nil,
    image: RenderedImage? = nil, video: Video? = nil
  ) {
    self.reference = reference
    self.status = status
    self.file = file
    self.message = message
    shown = image.map(Shown.image) ?? video.map(Shown.video)
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

/// The immutable result of a build's shared stages, from which the diagnostics, the
/// manifest and every output are derived, each once.
public struct BuildOutcome<Document: ScannedDocument>: Sendable {
  /// Every document, sorted by its path under the front end's folder.
  public let documents: [DocumentOutcome<Document>]
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

  init(
    scanDiagnostics: [Diagnostic], documents resolved: [ResolvedDocument<Document>], embedded: Embedded,
    planned: Int, rendered: Rendered, display: (String) -> String
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

    var documents: [DocumentOutcome<Document>] = []
    for item in resolved.sorted(by: { $0.document.relativePath < $1.document.relativePath }) {
      let file = display(item.document.path)
      let madeFrom = item.document.madeFrom
      func diagnose(_ severity: Diagnostic.Severity, _ reference: Reference, _ message: String) {
        diagnostics.append(
          Diagnostic(severity, file: file, line: reference.line, column: reference.column, message).madeFrom(madeFrom))
      }
      diagnostics += item.document.diagnostics
      let references = item.references.map { resolved -> ReferenceOutcome in
        let reference = resolved.reference
        var outcome: ReferenceOutcome
        switch resolved.target {
        case .video(let id):
          outcome = ReferenceOutcome(reference: reference, status: .ok, video: videos[id])
        case .unprocessed(let status, let message):
          outcome = ReferenceOutcome(reference: reference, status: status, message: message)
        case .image(let source, _, _):
          switch rendered.images[resolved.target.planKey!] {
          case .success(let image):
            outcome = ReferenceOutcome(reference: reference, status: .ok, file: source, image: image.image)
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
      documents.append(DocumentOutcome(document: item.document, references: references))
    }
    self.documents = documents
    self.images = images
    posters = embedded.posters
    self.videos = videos
    self.diagnostics = diagnostics
    self.planned = planned
  }
}
