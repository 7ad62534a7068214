import Foundation

/// What a reference points at, once resolved.
public enum Target: Sendable, Hashable {
  /// A local image file (absolute, canonical) and the URL path it is served from; `widths`
  /// when the document already offers the image at those widths (a theme's `srcset`), which
  /// are then made in the modern formats only.
  case image(file: String, urlPath: String, widths: [Int]? = nil)
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

  /// The key the plan and render stages know an image target by: its file, and the widths
  /// asked for when they are not the configured ones.
  var planKey: String? {
    guard case .image(let file, _, let widths) = self else { return nil }
    return widths.map { file + "|" + $0.map(String.init).joined(separator: ",") } ?? file
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
