import Foundation

/// What Vignette knows about one YouTube video.
public struct Video: Sendable, Hashable, Codable {
  public var id: String
  public var title: String?
  public var author: String?
  public var authorURL: String?
  /// The poster, rendered like any image; nil when none could be had.
  public var poster: RenderedImage?
  public var posterSource: SourceImage?

  public init(id: String, title: String? = nil, author: String? = nil, authorURL: String? = nil) {
    self.id = id
    self.title = title
    self.author = author
    self.authorURL = authorURL
  }

  public var watchURL: String { "https://www.youtube.com/watch?v=\(id)" }
}
