import Foundation
import Testing

@testable import Vignette

/// One test per diagnostic: `FILE:LINE:COL: error|warning: message`, quoting what is wrong.
@Suite struct DiagnosticsTests {
  /// The diagnostics of a post whose body is "Intro." then `text` (so `text` starts on line 2:
  /// Hugo reads a page that begins with `{` as JSON front matter).
  static func diagnostics(_ text: String, intro: Bool = true) -> [String] {
    let post = (intro ? "Intro.\n" : "") + text
    return PostScanner().scan(source: SourceText(post), path: "post.md", relativePath: "post.md").diagnostics.map(
      \.description)
  }

  @Test(
    "a self-closed figure or youtube fails Hugo's build", arguments: ["figure src=\"/a.png\"", "youtube dQw4w9WgXcQ"])
  func selfClosed(_ call: String) {
    let name = call.prefix { $0 != " " }
    #expect(
      Self.diagnostics("Text.\n\n{{< \(call) />}}\n") == [
        "post.md:4:5: error: shortcode \"\(name)\" must not be self-closed (Hugo fails the build): {{< \(call) />}}"
      ])
  }

  @Test("a closing tag for figure or youtube fails Hugo's build")
  func closingTag() {
    #expect(
      Self.diagnostics("{{< figure src=\"/a.png\" >}}caption{{< /figure >}}\n") == [
        "post.md:2:40: error: shortcode \"figure\" does not evaluate .Inner or .InnerDeindent, yet a closing tag was provided: {{< /figure >}}"
      ])
  }

  @Test("mixed positional and named parameters")
  func mixedParameters() {
    #expect(
      Self.diagnostics("{{< youtube dQw4w9WgXcQ title=\"Song\" >}}\n") == [
        "post.md:2:25: error: got named parameter 'title'. Cannot mix named and positional parameters: {{< youtube dQw4w9WgXcQ title=\"Song\" >}}"
      ])
  }

  @Test("an unclosed tag")
  func unclosed() {
    #expect(
      Self.diagnostics("{{< figure src=\"/a.png\"\n\n") == [
        "post.md:2:1: error: unclosed shortcode action: \"{{<\" has no \">}}\": {{< figure src=\"/a.png\""
      ])
  }

  @Test("an unquoted value that swallows the delimiter leaves the tag unclosed")
  func unquotedSwallowsDelimiter() {
    #expect(
      Self.diagnostics("{{< figure src=/a.png>}}\n") == [
        "post.md:2:1: error: unclosed shortcode action: \"{{<\" has no \">}}\": {{< figure src=/a.png>}}"
      ])
  }

  @Test("an unterminated quoted string")
  func unterminatedString() {
    #expect(
      Self.diagnostics("{{< figure src=\"/a.png alt=\"x\" >}}\n") == [
        // As in Hugo: the value closes at the next quote, and `x` is then a positional parameter.
        "post.md:2:29: error: got positional parameter 'x'. Cannot mix named and positional parameters: {{< figure src=\"/a.png alt=\"x\" >}}"
      ])
    #expect(
      Self.diagnostics("{{< figure src=\"/a.png\n >}}\n") == [
        "post.md:2:16: error: unterminated quoted string in shortcode parameter-argument: '/a.png…'"
      ])
  }

  @Test("an unterminated raw string")
  func unterminatedRaw() {
    #expect(
      Self.diagnostics("{{< figure src=`/a.png >}}\n") == [
        "post.md:2:16: error: unterminated raw string in shortcode parameter-argument: '/a.png >}}…'"
      ])
  }

  @Test("an escaped shortcode whose comment is not closed")
  func escapedNotClosed() {
    #expect(
      Self.diagnostics("Show {{</* figure src=\"/a.png\" >}} literally\n") == [
        "post.md:2:6: error: comment must be closed: an escaped shortcode needs \"*/>}}\": {{</* figure src=\"/a.png\" >}} literally"
      ])
  }

  @Test("a closing tag that opens nothing")
  func closingNothing() {
    #expect(
      Self.diagnostics("{{< /note >}}\n") == [
        "post.md:2:5: error: got closing shortcode, but none is open: {{< /note >}}"
      ])
    #expect(
      Self.diagnostics("{{< note >}}x{{< /nope >}}\n") == [
        "post.md:2:19: error: closing tag for shortcode 'nope' does not match start tag: {{< /nope >}}"
      ])
  }

  @Test("a non-alphanumeric positional parameter must be quoted")
  func unquotedURL() {
    #expect(
      Self.diagnostics("{{< youtube https://youtu.be/dQw4w9WgXcQ >}}\n") == [
        "post.md:2:18: error: unrecognized character in shortcode action: U+003A ':'. Note: Parameters with non-alphanumeric args must be quoted: {{< youtube https://youtu.be/dQw4w9WgXcQ >}}"
      ])
  }

  @Test("a figure without src and a youtube without a valid id")
  func missingParameters() {
    #expect(
      Self.diagnostics("{{< figure alt=\"x\" >}}\n") == [
        "post.md:2:5: error: figure has no src parameter: {{< figure alt=\"x\" >}}"
      ])
    #expect(
      Self.diagnostics("{{< youtube title=\"x\" >}}\n") == [
        "post.md:2:5: error: youtube shortcode has no video id: {{< youtube title=\"x\" >}}"
      ])
    #expect(
      Self.diagnostics("{{< youtube abc >}}\n") == [
        "post.md:2:13: error: \"abc\" is not a YouTube video id (11 characters of A–Z, a–z, 0–9, _ and -)"
      ])
  }

  @Test("a shortcode inside code runs anyway: a warning")
  func shortcodeInCode() {
    #expect(
      Self.diagnostics("Use `{{< figure src=\"/a.png\" >}}` like this.\n") == [
        "post.md:2:6: warning: Hugo runs this shortcode even inside code; write {{</* … */>}} to show the call literally: {{< figure src=\"/a.png\" >}}"
      ])
  }

  @Test("a figure in markdown notation loses its HTML in a default Hugo site: a warning")
  func markdownNotation() {
    #expect(
      Self.diagnostics("{{% figure src=\"/a.png\" %}}\n") == [
        "post.md:2:1: warning: Hugo renders {{% figure %}} output as markdown, and by default (markup.goldmark.renderer.unsafe = false) drops its HTML; write {{< figure … >}}: {{% figure src=\"/a.png\" %}}"
      ])
  }

  @Test(
    "front matter that does not parse",
    arguments: [
      ("+++\ntitle = \"x\nimage = \"/a.png\"\n+++\nBody\n", "post.md:2:"),
      ("---\ntitle: [x\nimage: /a.png\n---\nBody\n", "post.md:"),
      ("{\n  \"title\": \"x\",\n  \"image\": \n}\nBody\n", "post.md:1:"),
    ])
  func frontMatter(_ text: String, _ prefix: String) {
    let found = Self.diagnostics(text, intro: false)
    #expect(found.count == 1)
    #expect(found.first?.hasPrefix(prefix) == true, "\(found)")
    #expect(found.first?.contains(": error: invalid ") == true, "\(found)")
  }

  @Test("front matter that is never closed")
  func frontMatterUnclosed() {
    #expect(
      Self.diagnostics("+++\ntitle = \"x\"\n\nBody\n", intro: false) == [
        "post.md:1:1: error: EOF looking for end TOML front matter delimiter"
      ])
  }

  @Test("a page that begins with a shortcode or a list item fails Hugo's build")
  func pageStart() {
    #expect(
      Self.diagnostics("\n{{< figure src=\"/a.png\" >}}\n\nText\n", intro: false) == [
        "post.md:2:1: error: Hugo reads a page that begins with \"{\" as JSON front matter, so it fails this page (unmarshal failed); put front matter or text before the shortcode: {{< figure src=\"/a.png\" >}}"
      ])
    #expect(
      Self.diagnostics("- first\n- second\n", intro: false) == [
        "post.md:1:1: error: invalid YAML delimiter: Hugo reads a page that begins with \"-\" as front matter, which needs \"---\"; put front matter or text first: - first"
      ])
  }

  @Test("missing images, escapes and unreadable files are reported together and the rest is built")
  func buildDiagnostics() async throws {
    let site = try TestSite()
    try site.config(#"{"images": {"widths": [64], "formats": ["auto"]}}"#)
    try site.image("assets/images/good.png", width: 100, height: 80)
    try site.write("assets/images/broken.png", "not a png")
    try site.write("outside.png", "secret")
    try site.write(
      "assets/posts/bad.md",
      """
      ![missing](/images/missing.png)
      ![escape](../../outside.png)
      ![broken](/images/broken.png)
      {{< figure src="/images/good.png" />}}

      """)
    try site.write("assets/posts/good.md", "![good](/images/good.png)\n")
    let report = try await site.build()
    let lines = report.diagnostics.map(\.description)
    #expect(lines.count == 4, "\(lines)")
    #expect(
      lines.contains(
        "assets/posts/bad.md:1:1: error: image \"/images/missing.png\" not found (looked for assets/images/missing.png and assets/posts/images/missing.png)"
      ), "\(lines)")
    #expect(lines.contains { $0.hasPrefix("assets/posts/bad.md:2:1: error: \"../../outside.png\" points outside") })
    #expect(lines.contains { $0.hasPrefix("assets/posts/bad.md:3:1: error: assets/images/broken.png is not an image") })
    #expect(lines.contains { $0.hasPrefix("assets/posts/bad.md:4:5: error: shortcode \"figure\"") })
    #expect(report.diagnostics.hasErrors)
    #expect(site.read("output/content/good.md")?.contains("/images/good.64w.") == true)
  }
}
