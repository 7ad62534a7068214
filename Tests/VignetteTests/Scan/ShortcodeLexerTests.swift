import Testing

@testable import Vignette

/// The cases of Hugo's `parser/pageparser/pageparser_shortcode_test.go`, with what Hugo's
/// lexer emits written compactly: `<sc1 a k=v>` a tag (`%` for `{{% %}}`), `</sc1>` a
/// closing tag, `<sc1/>` self-closing, `text:…` an escaped tag's literal and `error:…` an
/// error (ours may add detail after Hugo's message). Hugo stops at its first error; so do
/// these expectations (the lexer goes on, which other tests cover).
@Suite struct ShortcodeLexerTests {
  static func lex(_ input: String) -> [String] {
    var result: [String] = []
    for token in ShortcodeLexer(bytes: Array(input.utf8)).tokens() {
      switch token {
      case .tag(let tag):
        let mark = tag.notation == .standard ? "<" : "%"
        var text = mark + (tag.isClosing ? "/" : "") + tag.name
        for parameter in tag.parameters { text += " " + (parameter.name.map { "\($0)=" } ?? "") + parameter.value }
        result.append(text + (tag.isSelfClosing ? "/" : "") + (tag.notation == .standard ? ">" : "%"))
      case .escaped(_, let literal):
        result.append("text:" + literal)
      case .error(_, _, let message):
        result.append("error:" + message)
        return result
      }
    }
    return result
  }

  static let bt = "`"

  /// (Hugo's test name, input, expected).
  static let cases: [(String, String, [String])] = [
    ("empty", "", []),
    ("text", "to be or not", []),
    ("no markup", "{{< sc1 >}}", ["<sc1>"]),
    ("with EOL", "{{< sc1 \n >}}", ["<sc1>"]),
    ("forward slash inside name", "{{< sc/sub >}}", ["<sc/sub>"]),
    ("simple with markup", "{{% sc1 %}}", ["%sc1%"]),
    ("with spaces", "{{<     sc1     >}}", ["<sc1>"]),
    ("indented on new line", "Hello\n    {{% sc1 %}}", ["%sc1%"]),
    (
      "mismatched rightDelim", "{{< sc1 %}}",
      [
        "error:unrecognized character in shortcode action: U+0025 '%'. Note: Parameters with non-alphanumeric args must be quoted"
      ]
    ),
    ("inner, markup", "{{% sc1 %}} inner {{% /sc1 %}}", ["%sc1%", "%/sc1%"]),
    ("close, but no open", "{{< /sc1 >}}", ["error:got closing shortcode, but none is open"]),
    (
      "close wrong", "{{< sc1 >}}{{< /another >}}",
      ["<sc1>", "error:closing tag for shortcode 'another' does not match start tag"]
    ),
    (
      "close, but no open, more", "{{< sc1 >}}{{< /sc1 >}}{{< /another >}}",
      ["<sc1>", "</sc1>", "error:closing tag for shortcode 'another' does not match start tag"]
    ),
    ("close with extra keyword", "{{< sc1 >}}{{< /sc1 keyword>}}", ["<sc1>", "error:unclosed shortcode"]),
    ("float param, positional", "{{< sc1 3.14 >}}", ["<sc1 3.14>"]),
    ("float param, named", "{{< sc1 param1=3.14 >}}", ["<sc1 param1=3.14>"]),
    ("named param, raw string", "{{< sc1 param1=\(bt)Hello World\(bt) >}}", ["<sc1 param1=Hello World>"]),
    ("float param, named, space before", "{{< sc1 param1= 3.14 >}}", ["<sc1 param1=3.14>"]),
    ("Youtube id", "{{< sc1 -ziL-Q_456igdO-4 >}}", ["<sc1 -ziL-Q_456igdO-4>"]),
    ("non-alphanumerics param quoted", "{{< sc1 \"-ziL-.%QigdO-4\" >}}", ["<sc1 -ziL-.%QigdO-4>"]),
    ("raw string", "{{< sc1\(bt)Hello World\(bt) >}}", ["<sc1 Hello World>"]),
    ("raw string with newline", "{{< sc1\(bt)Hello \n\tWorld\(bt) >}}", ["<sc1 Hello \n\tWorld>"]),
    ("raw string with escape character", "{{< sc1\(bt)Hello \\b World\(bt) >}}", ["<sc1 Hello \\b World>"]),
    ("two params", "{{< sc1 param1   param2 >}}", ["<sc1 param1 param2>"]),
    ("self-closing", "{{< sc1 />}}", ["<sc1/>"]),
    ("multiple self-closing", "{{< sc1 />}}{{< sc1 />}}", ["<sc1/>", "<sc1/>"]),
    ("self-closing with param", "{{< sc1 param1 />}}", ["<sc1 param1/>"]),
    (
      "multiple different self-closing with param", "{{< sc1 param1 />}}{{< sc2 param1 />}}",
      ["<sc1 param1/>", "<sc2 param1/>"]
    ),
    ("nested simple", "{{< sc1 >}}{{< sc2 >}}{{< /sc1 >}}", ["<sc1>", "<sc2>", "</sc1>"]),
    (
      "nested complex", "{{< sc1 >}}ab{{% sc2 param1 %}}cd{{< sc3 >}}ef{{< /sc3 >}}gh{{% /sc2 %}}ij{{< /sc1 >}}kl",
      ["<sc1>", "%sc2 param1%", "<sc3>", "</sc3>", "%/sc2%", "</sc1>"]
    ),
    ("two quoted params", "{{< sc1 \"param nr. 1\" \"param nr. 2\" >}}", ["<sc1 param nr. 1 param nr. 2>"]),
    (
      "two named params", "{{< sc1 param1=\"Hello World\" param2=\"p2Val\">}}",
      ["<sc1 param1=Hello World param2=p2Val>"]
    ),
    ("escaped quotes", "{{< sc1 param1=\\\"Hello World\\\"  >}}", ["<sc1 param1=Hello World>"]),
    ("escaped quotes, positional param", "{{< sc1 \\\"param1\\\"  >}}", ["<sc1 param1>"]),
    (
      "escaped quotes inside escaped quotes", "{{< sc1 param1=\\\"Hello \\\"escaped\\\" World\\\"  >}}",
      ["error:got positional parameter 'escaped'. Cannot mix named and positional parameters"]
    ),
    (
      "escaped quotes inside nonescaped quotes", "{{< sc1 param1=\"Hello \\\"escaped\\\" World\"  >}}",
      ["<sc1 param1=Hello \"escaped\" World>"]
    ),
    (
      "escaped quotes inside nonescaped quotes in positional param", "{{< sc1 \"Hello \\\"escaped\\\" World\"  >}}",
      ["<sc1 Hello \"escaped\" World>"]
    ),
    (
      "escaped raw string, named param", "{{< sc1 param1=\\\(bt)Hello World\\\(bt) >}}",
      ["error:unrecognized escape character"]
    ),
    (
      "escaped raw string, positional param", "{{< sc1 param1 \\\(bt)Hello World\\\(bt) >}}",
      ["error:unrecognized escape character"]
    ),
    (
      "two raw string params", "{{< sc1\(bt)Hello World\(bt)\(bt)Second Param\(bt) >}}",
      ["<sc1 Hello World Second Param>"]
    ),
    (
      "unterminated quote", "{{< sc1 param2=\"Hello World>}}",
      ["error:unterminated quoted string in shortcode parameter-argument: 'Hello World>}}'"]
    ),
    (
      "unterminated raw string", "{{< sc1\(bt)Hello World >}}",
      ["error:unterminated raw string in shortcode parameter-argument: 'Hello World >}}'"]
    ),
    (
      "unterminated raw string in second argument", "{{< sc1\(bt)Hello World\(bt)\(bt)Second Param >}}",
      ["error:unterminated raw string in shortcode parameter-argument: 'Second Param >}}'"]
    ),
    (
      "one named param, one not", "{{< sc1 param1=\"Hello World\" p2 >}}",
      ["error:got positional parameter 'p2'. Cannot mix named and positional parameters"]
    ),
    (
      "one named param, one quoted positional param, both raw strings",
      "{{< sc1 param1=\(bt)Hello World\(bt)\(bt)Second Param\(bt) >}}",
      ["error:got quoted positional parameter. Cannot mix named and positional parameters"]
    ),
    (
      "one named param, one quoted positional param", "{{< sc1 param1=\"Hello World\" \"And Universe\" >}}",
      ["error:got quoted positional parameter. Cannot mix named and positional parameters"]
    ),
    (
      "one quoted positional param, one named param", "{{< sc1 \"param1\" param2=\"And Universe\" >}}",
      ["error:got named parameter 'param2'. Cannot mix named and positional parameters"]
    ),
    (
      "ono positional param, one not", "{{< sc1 param1 param2=\"Hello World\">}}",
      ["error:got named parameter 'param2'. Cannot mix named and positional parameters"]
    ),
    ("commented out", "{{</* sc1 */>}}", ["text:{{< sc1 >}}"]),
    ("commented out, with asterisk inside", "{{</* sc1 \"**/*.pdf\" */>}}", ["text:{{< sc1 \"**/*.pdf\" >}}"]),
    ("commented out, missing close", "{{</* sc1 >}}", ["error:comment must be closed"]),
    ("commented out, misplaced close", "{{</* sc1 >}}*/", ["error:comment must be closed"]),
    ("basic inline", "{{< sc1.inline >}}Hello World{{< /sc1.inline >}}", ["<sc1.inline>", "</sc1.inline>"]),
    (
      "basic inline with space", "{{< sc1.inline >}}Hello World{{< / sc1.inline >}}", ["<sc1.inline>", "</sc1.inline>"]
    ),
    (
      "inline self closing", "{{< sc1.inline >}}Hello World{{< /sc1.inline >}}Hello World{{< sc1.inline />}}",
      ["<sc1.inline>", "</sc1.inline>", "<sc1.inline/>"]
    ),
    (
      "inline self closing, then a new inline",
      "{{< sc1.inline >}}Hello World{{< /sc1.inline >}}Hello World{{< sc1.inline />}}{{< sc2.inline >}}Hello World{{< /sc2.inline >}}",
      ["<sc1.inline>", "</sc1.inline>", "<sc1.inline/>", "<sc2.inline>", "</sc2.inline>"]
    ),
    (
      "inline with template syntax", "{{< sc1.inline >}}{{ .Get 0 }}{{ .Get 1 }}{{< /sc1.inline >}}",
      ["<sc1.inline>", "</sc1.inline>"]
    ),
    (
      "inline with nested shortcode (not supported)", "{{< sc1.inline >}}Hello World{{< sc1 >}}{{< /sc1.inline >}}",
      ["<sc1.inline>", "error:inline shortcodes do not support nesting"]
    ),
    (
      "inline case mismatch", "{{< sc1.Inline >}}Hello World{{< /sc1.Inline >}}",
      ["error:period in shortcode name only allowed for inline identifiers"]
    ),
  ]

  @Test("Hugo's shortcode lexer cases", arguments: cases.indices)
  func hugoCase(_ index: Int) {
    let (name, input, expected) = Self.cases[index]
    let got = Self.lex(input)
    let matches =
      got.count == expected.count
      && zip(got, expected).allSatisfy { got, want in want.hasPrefix("error:") ? got.hasPrefix(want) : got == want }
    #expect(matches, "\(name): \(input.debugDescription)\n  got      \(got)\n  expected \(expected)")
  }

  @Test("values keep their byte ranges, so a rewrite replaces only the value")
  func valueRanges() throws {
    let input = "x {{< figure\n  src=\"/a b.png\"\n  alt=`two\nlines` caption=plain >}} y"
    let bytes = Array(input.utf8)
    guard case .tag(let tag) = try #require(ShortcodeLexer(bytes: bytes, base: 100).tokens().first) else {
      Issue.record("no tag")
      return
    }
    #expect(tag.range == 102..<(100 + bytes.count - 2))
    for (parameter, written) in zip(tag.parameters, ["/a b.png", "two\nlines", "plain"]) {
      let range = (parameter.valueRange.lowerBound - 100)..<(parameter.valueRange.upperBound - 100)
      #expect(String(decoding: bytes[range], as: UTF8.self) == written)
    }
    #expect(tag.parameters.map(\.quoting) == [.double, .raw, .none])
  }

  @Test("an unquoted value runs to the next space, swallowing the delimiter as Hugo does")
  func unquotedSwallowsDelimiter() {
    #expect(Self.lex("{{< figure src=/a.png>}}") == ["error:unclosed shortcode action: \"{{<\" has no \">}}\""])
  }

  @Test("a URL as a positional parameter fails on ':' as in Hugo")
  func positionalURL() {
    #expect(
      Self.lex("{{< youtube https://youtu.be/x >}}")
        == [
          "error:unrecognized character in shortcode action: U+003A ':'. Note: Parameters with non-alphanumeric args must be quoted"
        ])
  }

  @Test("after an error the lexer goes on, so every problem of a page is reported")
  func continuesAfterErrors() {
    let tokens = ShortcodeLexer(bytes: Array("{{< a \"x\n >}} text {{< figure src=\"/b.png\" >}} {{< /nope >}}".utf8))
      .tokens()
    let kinds = tokens.map { token -> String in
      switch token {
      case .tag(let tag): return tag.name
      case .escaped: return "escaped"
      case .error(_, _, let message): return String(message.prefix(12))
      }
    }
    #expect(kinds == ["unterminated", "figure", "closing tag "])
  }
}
