import Foundation
import Testing

@testable import Vignette

/// Markdown and HTML image forms, as cmark-gfm reads them: each reference's target bytes are
/// found exactly, wherever the syntax puts them.
@Suite struct MarkdownFormsTests {
  /// `kind line:col target=<bytes at targetRange>` for each reference.
  static func scan(_ text: String) -> [String] {
    let source = SourceText(text)
    let post = PostScanner().scan(source: source, path: "p.md", relativePath: "p.md")
    return post.references.map { reference in
      "\(reference.kind.rawValue) \(reference.line):\(reference.column) "
        + (reference.targetRange.map { source[$0] } ?? "nil")
    }
  }

  @Test("raw <img> in any attribute order, quoting and case; inline and in blocks")
  func htmlForms() {
    #expect(
      Self.scan(
        """
        Text <IMG ALT="a" SRC=/a.png> and <img
        src = '/b.png'>.

        <p><img data-x="src=/no.png" src="/c.png"><img src=/d.png /></p>

        """) == ["html 1:6 /a.png", "html 1:35 /b.png", "html 4:4 /c.png", "html 4:43 /d.png"])
  }

  @Test("raw HTML inside a blockquote and a list item")
  func htmlInContainers() {
    #expect(
      Self.scan(
        """
        Intro.

        > <img src="/a.png" alt="quoted">

        - <img src="/b.png">

        > <div>
        > <img alt="second line"
        >   src="/c.png">
        > </div>

        """) == ["html 3:3 /a.png", "html 5:3 /b.png", "html 8:3 /c.png"])
  }

  @Test(
    "reference definitions anywhere: after use, in a blockquote, with the destination on the next line; code is skipped"
  )
  func definitions() {
    #expect(
      Self.scan(
        """
        ![one][First] ![two][second] ![three]

        ```
        [first]: /wrong.png
        ```

        > [FIRST]: /a.png "title"

        [second]:
          /b.png

        * [three]: </c d.png>

        """) == ["markdown 1:1 /a.png", "markdown 1:15 /b.png", "markdown 1:30 /c d.png"])
  }

  @Test("the inner content of Hugo's highlight shortcode is code; other paired shortcodes' is markdown")
  func highlightInner() {
    #expect(
      Self.scan(
        """
        Intro.

        {{< highlight markdown >}}
        ![shown as code](/a.png) <img src="/b.png">
        {{< /highlight >}}

        {{< details >}}![real](/c.png){{< /details >}}

        """) == ["markdown 7:16 /c.png"])
  }

  @Test("images in links, with titles, nested brackets and escaped parentheses")
  func inlineForms() {
    #expect(
      Self.scan(
        #"""
        [![a [nested] alt](/a.png 'T')](/page) ![b](/b\(1\).png "x") ![c](</c d.png> (t)) ![e](
        /e.png)

        """#) == [
          "markdown 1:2 /a.png", "markdown 1:40 /b\\(1\\).png", "markdown 1:62 /c d.png", "markdown 1:83 /e.png",
        ])
  }

  @Test("an image on a lazy continuation line of a list item or block quote keeps its own column")
  func lazyContinuation() {
    #expect(
      Self.scan(
        """
        - one
        - two
        ![](c.png)

        > quoted
        ![q](/q.png) and ![r](/r.png)

        1. first
           ![indented](/i.png)
        ![lazy](/l.png)

        - item
        see <img src="/h.png">

        """) == [
          "markdown 3:1 c.png", "markdown 6:1 /q.png", "markdown 6:18 /r.png", "markdown 9:4 /i.png",
          "markdown 10:1 /l.png", "html 13:5 /h.png",
        ])
  }
}
