import Foundation

/// A click-to-play YouTube facade: the local poster, the title and a play button inside a
/// plain link to the video (which works without JavaScript). Nothing is requested from
/// YouTube until a click; then a `youtube-nocookie.com` iframe replaces the facade.
public enum VideoFacade {
  /// The facade for one embed. `start`, `end` and `title` come from the shortcode; the
  /// shortcode's title names the player (as Hugo's `youtube` shortcode does), the oEmbed
  /// title is what readers see. Every value is escaped, and text that came from the network
  /// is isolated (`dir="auto"`, `<bdi>`) so right-to-left titles do not reorder the page.
  ///
  /// A video YouTube refuses (private, removed, embedding off) gets the same box with class
  /// `vignette-video--link`, no play button and no `data-vignette-video`: a plain link.
  public static func html(
    video: Video, start: Int?, end: Int?, shortcodeTitle: String?, picture: PictureMarkup, eager: Bool
  ) -> String {
    let title = HTMLText.escape(video.title ?? shortcodeTitle ?? "YouTube video")
    var link = video.watchURL
    if let start, start > 0 { link += "&t=\(start)s" }
    link = HTMLText.escape(link)
    var anchor = "<a class=\"vignette-video__link\" href=\"\(link)\""
    if video.unavailable {
      anchor += " aria-label=\"Watch on YouTube: \(title)\">"
    } else {
      anchor += " data-vignette-video=\"\(HTMLText.escape(video.id))\""
      if let start, start > 0 { anchor += " data-start=\"\(start)\"" }
      if let end, end > 0 { anchor += " data-end=\"\(end)\"" }
      anchor += " data-title=\"\(HTMLText.escape(shortcodeTitle ?? video.title ?? "YouTube video"))\""
      anchor += " aria-label=\"Play: \(title)\">"
    }
    let poster =
      video.poster.map { picture.picture($0, alt: "", eager: eager, imgClass: "vignette-video__poster") }
      ?? "<span class=\"vignette-video__blank\"></span>"
    let play = video.unavailable ? "" : "<span class=\"vignette-video__play\" aria-hidden=\"true\"></span>"
    return """
      <figure class="vignette-video\(video.unavailable ? " vignette-video--link" : "")"><div class="vignette-video__frame">\
      \(anchor)\(poster)\(play)<span class="vignette-video__title" dir="auto">\(title)</span></a></div>\
      <figcaption><a href="\(link)">Watch “<bdi>\(title)</bdi>” on YouTube</a></figcaption></figure>
      """
  }

  /// Styles for the facade, shared by the HTML pages and the Hugo override.
  public static let css = """
    .vignette-video{margin:1.5rem 0}
    .vignette-video__frame{position:relative;aspect-ratio:16/9;background:#000;overflow:hidden}
    .vignette-video__link{position:absolute;inset:0;display:block;color:#fff;text-decoration:none}
    .vignette-video__link picture,.vignette-video__link img,.vignette-video__blank{position:absolute;inset:0;width:100%;height:100%;object-fit:cover;display:block}
    .vignette-video__play{position:absolute;left:50%;top:50%;width:68px;height:48px;margin:-24px 0 0 -34px;border-radius:14px;background:rgba(33,33,33,.85)}
    .vignette-video__link:hover .vignette-video__play,.vignette-video__link:focus .vignette-video__play{background:#f00}
    .vignette-video__play::after{content:"";position:absolute;left:27px;top:14px;border-style:solid;border-width:10px 0 10px 18px;border-color:transparent transparent transparent #fff}
    .vignette-video__title{position:absolute;left:0;right:0;top:0;padding:12px 16px;background:linear-gradient(rgba(0,0,0,.7),transparent);font:500 18px/1.3 system-ui,sans-serif;text-shadow:0 1px 2px #000}
    .vignette-video iframe{position:absolute;inset:0;width:100%;height:100%;border:0}
    .vignette-video figcaption{font-size:.9em;margin-top:.4rem}
    """

  /// Swaps a facade for the privacy-enhanced player on click; the only script a page needs.
  public static let script = """
    document.addEventListener("click",function(e){var a=e.target.closest&&e.target.closest("a[data-vignette-video]");\
    if(!a||e.ctrlKey||e.metaKey||e.shiftKey||e.button!==0)return;e.preventDefault();\
    var q="autoplay=1&playsinline=1";if(a.dataset.start)q+="&start="+encodeURIComponent(a.dataset.start);\
    if(a.dataset.end)q+="&end="+encodeURIComponent(a.dataset.end);var f=document.createElement("iframe");\
    f.src="https://www.youtube-nocookie.com/embed/"+encodeURIComponent(a.dataset.vignetteVideo)+"?"+q;\
    f.title=a.dataset.title||"YouTube video";f.allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share; fullscreen";\
    f.allowFullscreen=true;f.referrerPolicy="strict-origin-when-cross-origin";a.replaceWith(f);});
    """
}
