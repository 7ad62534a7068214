import Foundation

/// An image source for the plan stage: a document's image or a video's poster, with the
/// settings it is planned with.
struct SourceRequest: Sendable {
  /// The file (absolute).
  var file: String
  /// URL path its variants are served under.
  var urlPath: String
  /// How messages about it name it.
  var name: String
  var settings: ImageSettings
}

/// What the embed stage hands on: every video's metadata, and every image source to plan,
/// with the videos' posters among them.
struct Embedded: Sendable {
  /// Each video by id, as the lockfile, the cache and the network describe it (no poster
  /// yet: posters are rendered like any image, and joined in the outcome).
  var videos: [String: Video] = [:]
  /// Each video's poster file, for those that have one.
  var posters: [String: String] = [:]
  /// Where each video is first embedded, for diagnostics about it.
  var firstEmbeds: [String: VideoEmbed] = [:]
  /// Every image source by file, documents' images first.
  var sources: [String: SourceRequest] = [:]
  var diagnostics: [Diagnostic] = []
}

/// The embed stage: looks every embedded video up (`VideoCatalog`), writes the lockfile when
/// it changed, and turns posters into image sources beside the documents' own images.
struct EmbedStage {
  var catalog: VideoCatalog
  var project: Project

  func run<Document>(_ documents: [ResolvedDocument<Document>]) async throws -> Embedded {
    var embedded = Embedded()
    var embeds: [VideoEmbed] = []
    for document in documents {
      for resolved in document.references {
        switch resolved.target {
        case .image(let file, let urlPath):
          if embedded.sources[file] == nil {
            embedded.sources[file] = SourceRequest(
              file: file, urlPath: urlPath, name: project.display(file), settings: project.config.images)
          }
        case .video(let id):
          let reference = resolved.reference
          embeds.append(
            VideoEmbed(
              id: id, file: project.display(document.document.path), line: reference.line, column: reference.column))
        case .unprocessed:
          break
        }
      }
    }
    let outcome = try await lookUp(embeds)
    embedded.videos = outcome.videos
    embedded.posters = outcome.posters
    embedded.firstEmbeds = outcome.firstEmbeds
    embedded.diagnostics = outcome.diagnostics
    for (id, file) in outcome.posters where embedded.sources[file] == nil {
      embedded.sources[file] = SourceRequest(
        file: file, urlPath: outcome.videos[id]!.posterURLPath, name: "the poster of video \(id)",
        settings: project.config.images)
    }
    return embedded
  }

  /// Every embedded video, looked up once; the lockfile is written when it changed (never in
  /// check mode, which counts as offline).
  func lookUp(_ embeds: [VideoEmbed]) async throws -> VideoCatalog.Outcome {
    let outcome = await catalog.resolve(embeds)
    if outcome.lockfileChanged { try FileSystem.writeAtomically(outcome.lockfile.encoded(), to: project.lockfile) }
    return outcome
  }
}
