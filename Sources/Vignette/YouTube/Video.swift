import Foundation

/// What Vignette knows about one YouTube video.
public struct Video: Sendable, Hashable, Codable {
  public var id: String
  /// oEmbed title (or the lockfile's hand-entered one); nil when nothing is known.
  public var title: String?
  public var author: String?
  public var authorURL: String?
  /// The thumbnail URL the poster was made from.
  public var posterURL: String?
  /// YouTube said the video is private, removed or not embeddable (401, 403, 404): the
  /// facade becomes a plain link, with no player behind it.
  public var unavailable = false
  /// The poster, rendered like any image; nil when none could be had.
  public var poster: RenderedImage?

  public init(id: String, title: String? = nil, author: String? = nil, authorURL: String? = nil) {
    self.id = id
    self.title = title
    self.author = author
    self.authorURL = authorURL
  }

  public var watchURL: String { "https://www.youtube.com/watch?v=\(id)" }

  /// URL path the poster's variants are served under: `/videos/ID.jpg` → `static/videos/`.
  public var posterURLPath: String { "/videos/\(id).jpg" }
}
