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
  /// Refused when libvips would pass it through unchanged (an animation), so the document
  /// keeps it as written.
  var leavePassThrough = false
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
  /// Every image source by plan key (`Target.planKey`: its file in markdown mode),
  /// documents' images first; posters by file.
  var sources: [String: SourceRequest] = [:]
  var diagnostics: [Diagnostic] = []
  /// No video was looked up on the network or missed because it could not be reached
  /// (`VideoCatalog.Outcome.settled`).
  var settled = true
}

/// The embed stage: looks every embedded video up (`VideoCatalog`), writes the lockfile when
/// it changed, and turns posters into image sources beside the documents' own images.
struct EmbedStage {
  var catalog: VideoCatalog
  var project: Project
  var layout: OutputLayout

  func run<Document>(_ documents: some Sequence<ResolvedDocument<Document>>) async throws -> Embedded {
    var embedded = Embedded()
    var embeds: [VideoEmbed] = []
    for document in documents {
      for resolved in document.references {
        switch resolved.target {
        case .image(let file, let urlPath, let widths):
          let key = resolved.target.planKey!
          if embedded.sources[key] == nil {
            var settings = project.config.images
            if let widths {
              settings.widths = widths
              settings.formats = Array(settings.formats.dropLast())
            }
            embedded.sources[key] = SourceRequest(
              file: file, urlPath: urlPath, name: project.display(file), settings: settings,
              leavePassThrough: layout.leavesPassThrough)
          }
        case .video(let id):
          let reference = resolved.reference
          embeds.append(
            VideoEmbed(
              id: id, file: project.display(document.document.path), line: reference.line, column: reference.column,
              madeFrom: document.document.madeFrom))
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
    embedded.settled = outcome.settled
    for (id, file) in outcome.posters where embedded.sources[file] == nil {
      embedded.sources[file] = SourceRequest(
        file: file, urlPath: layout.posterFolder + outcome.videos[id]!.posterURLPath, name: "the poster of video \(id)",
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
