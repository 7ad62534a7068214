import Foundation

/// What a reference points at, once resolved.
public enum Target: Sendable, Hashable {
  /// A local image file (absolute, canonical) and the URL path it is served from.
  case image(file: String, urlPath: String)
  /// A YouTube video, by id.
  case video(id: String)
  /// Nothing to process: `missing`, `invalid`, `remote` or `skipped`, and why.
  case unprocessed(ResolvedTarget.Status, message: String?)

  init(_ resolved: ResolvedTarget) {
    if resolved.status == .ok, let file = resolved.file, let urlPath = resolved.urlPath {
      self = .image(file: file, urlPath: urlPath)
    } else {
      self = .unprocessed(resolved.status == .ok ? .invalid : resolved.status, message: resolved.message)
    }
  }
}

/// A reference with what it points at.
public struct ResolvedReference: Sendable, Hashable {
  public var reference: Reference
  public var target: Target
}

/// A document after the resolve stage: each reference with its target, in source order.
public struct ResolvedDocument<Document: ScannedDocument>: Sendable {
  public var document: Document
  public var references: [ResolvedReference]
}

extension ReferenceResolver {
  /// The resolve stage: images are looked up as files, videos are known by their id.
  func resolve<Document>(_ document: Document) -> ResolvedDocument<Document> {
    ResolvedDocument(
      document: document,
      references: document.references.map { reference in
        ResolvedReference(
          reference: reference,
          target: reference.kind == .youtube
            ? .video(id: reference.target)
            : Target(resolve(reference.target, from: document.path, figure: reference.kind == .figure)))
      })
  }
}
