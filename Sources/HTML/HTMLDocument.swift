// The HTML5 parser behind site mode: Google's gumbo (Debian's libgumbo-dev), wrapped like the
// other C libraries. This is the only module that imports CGumbo; it parses the C tree into
// plain Swift values with byte offsets into the original page and frees it before returning.
// Gumbo follows the HTML5 tree-construction rules, so text inside `<pre>`, comments, RCDATA
// (`<title>`, `<textarea>`) and raw text (`<script>`, `<style>`, an `<iframe>`'s content) is
// never taken for an element, and `<template>` contents are marked as such.
internal import CGumbo

/// An attribute of a start tag, as written in the page.
public struct HTMLAttribute: Sendable, Hashable {
  /// Lower-cased name, as HTML compares names.
  public var name: String
  /// The value with character references decoded (`&amp;` → `&`).
  public var value: String
  /// Bytes of the whole attribute: from its name through the end of its value.
  public var range: Range<Int>
  /// Bytes of the value as written, quotes included; nil when the attribute has no value
  /// (`<img hidden>`).
  public var valueRange: Range<Int>?
}

/// One element of the page, by the bytes of its tags.
public struct HTMLElement: Sendable, Hashable {
  /// Lower-cased tag name.
  public var tag: String
  /// Bytes of the start tag as written, `<` through `>`.
  public var startTag: Range<Int>
  /// Bytes of the end tag as written; nil for void elements and end tags the page left out.
  public var endTag: Range<Int>?
  /// 1-based line and byte column of the start tag.
  public var line: Int
  public var column: Int
  /// Attributes in the order written (gumbo drops repeats of a name, as browsers do).
  public var attributes: [HTMLAttribute]
  /// Index in `HTMLDocument.elements` of the nearest enclosing recorded element.
  public var parent: Int?
  /// Inside a `<template>`: inert markup a script may clone, not part of the page.
  public var inTemplate: Bool

  /// The attribute called `name` (lower case), if present.
  public func attribute(_ name: String) -> HTMLAttribute? { attributes.first { $0.name == name } }

  /// The decoded value of the attribute called `name`, if present.
  public subscript(_ name: String) -> String? { attribute(name)?.value }

  /// Bytes of the whole element: its start tag through its end tag (the start tag alone when
  /// there is no end tag).
  public var range: Range<Int> { startTag.lowerBound..<(endTag?.upperBound ?? startTag.upperBound) }
}

/// What site mode needs from one page: the elements it may rewrite or read, in document order,
/// with their enclosing elements, and where `</head>` and `</body>` stand.
public struct HTMLDocument: Sendable {
  /// The tags recorded in `elements`. Others are walked through, not recorded.
  public static let recordedTags: Set<String> = [
    "a", "base", "body", "figure", "head", "iframe", "img", "link", "meta", "noscript", "picture", "script",
    "source", "template", "video", "audio",
  ]

  /// Recorded elements in the HTML namespace (never inline SVG or MathML), in document order.
  public var elements: [HTMLElement] = []
  /// Bytes of `</head>` and `</body>` when the page wrote them.
  public var headEndTag: Range<Int>?
  public var bodyEndTag: Range<Int>?

  /// Parses `bytes` (a whole page) with gumbo.
  public static func parse(_ bytes: [UInt8]) -> HTMLDocument {
    bytes.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress, !buffer.isEmpty else { return HTMLDocument() }
      return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { text in
        var options = kGumboDefaultOptions
        options.max_errors = 0
        guard let output = gumbo_parse_with_options(&options, text, buffer.count) else { return HTMLDocument() }
        defer { gumbo_destroy_output(&options, output) }
        var walker = Walker(base: UnsafeRawPointer(text), lines: LineIndex(buffer))
        walker.walk(output.pointee.document)
        return walker.document
      }
    }
  }

  /// The indices of the elements enclosing `index`, nearest first.
  public func ancestors(of index: Int) -> [Int] {
    var result: [Int] = []
    var current = elements[index].parent
    while let parent = current {
      result.append(parent)
      current = elements[parent].parent
    }
    return result
  }

  /// The nearest element enclosing `index` with tag `tag`.
  public func enclosing(_ index: Int, _ tag: String) -> Int? {
    ancestors(of: index).first { elements[$0].tag == tag }
  }

  /// The recorded elements whose nearest recorded ancestor is `index`.
  public func children(of index: Int) -> [Int] {
    elements.indices.filter { elements[$0].parent == index }
  }
}

/// Byte offset → 1-based line and byte column.
private struct LineIndex {
  var starts: [Int] = [0]

  init(_ buffer: UnsafeBufferPointer<UInt8>) {
    for index in buffer.indices where buffer[index] == 0x0A { starts.append(index + 1) }
  }

  func position(_ offset: Int) -> (line: Int, column: Int) {
    var low = 0
    var high = starts.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if starts[mid] <= offset { low = mid } else { high = mid - 1 }
    }
    return (low + 1, offset - starts[low] + 1)
  }
}

/// Walks gumbo's tree once, iteratively (pages may nest deeply), recording what is needed.
private struct Walker {
  let base: UnsafeRawPointer
  let lines: LineIndex
  var document = HTMLDocument()

  static let recorded: [UInt32: String] = Dictionary(
    uniqueKeysWithValues: HTMLDocument.recordedTags.map { name in
      (name.withCString { gumbo_tag_enum($0) }.rawValue, name)
    })

  func range(_ piece: GumboStringPiece) -> Range<Int>? {
    guard piece.length > 0, let data = piece.data else { return nil }
    let start = UnsafeRawPointer(data) - base
    return start..<(start + piece.length)
  }

  mutating func walk(_ root: UnsafeMutablePointer<GumboNode>) {
    var stack: [(node: UnsafeMutablePointer<GumboNode>, parent: Int?, inTemplate: Bool)] = [(root, nil, false)]
    while let (node, parent, inTemplate) = stack.popLast() {
      let type = node.pointee.type
      let children: GumboVector
      var childParent = parent
      var childInTemplate = inTemplate
      switch type {
      case GUMBO_NODE_DOCUMENT:
        children = node.pointee.v.document.children
      case GUMBO_NODE_ELEMENT, GUMBO_NODE_TEMPLATE:
        let element = node.pointee.v.element
        guard element.tag_namespace == GUMBO_NAMESPACE_HTML else { continue }
        children = element.children
        if type == GUMBO_NODE_TEMPLATE { childInTemplate = true }
        if element.tag == GUMBO_TAG_HEAD, let end = range(element.original_end_tag) { document.headEndTag = end }
        if element.tag == GUMBO_TAG_BODY, let end = range(element.original_end_tag) { document.bodyEndTag = end }
        if let name = Self.recorded[element.tag.rawValue], let start = range(element.original_tag) {
          let position = lines.position(start.lowerBound)
          document.elements.append(
            HTMLElement(
              tag: name, startTag: start, endTag: range(element.original_end_tag), line: position.line,
              column: position.column, attributes: attributes(element.attributes), parent: parent,
              inTemplate: inTemplate))
          childParent = document.elements.count - 1
        }
      default:
        continue
      }
      // Pushed in reverse, so children are visited (and recorded) in document order.
      guard children.length > 0, let data = children.data else { continue }
      for index in stride(from: Int(children.length) - 1, through: 0, by: -1) {
        guard let child = data[index] else { continue }
        stack.append((child.assumingMemoryBound(to: GumboNode.self), childParent, childInTemplate))
      }
    }
  }

  func attributes(_ vector: GumboVector) -> [HTMLAttribute] {
    guard vector.length > 0, let data = vector.data else { return [] }
    var result: [HTMLAttribute] = []
    result.reserveCapacity(Int(vector.length))
    for index in 0..<Int(vector.length) {
      guard let attribute = data[index]?.assumingMemoryBound(to: GumboAttribute.self).pointee,
        let name = range(attribute.original_name)
      else { continue }
      // Gumbo gives an attribute written without a value its name as the value's text.
      let written = range(attribute.original_value)
      let value = written == name ? nil : written
      result.append(
        HTMLAttribute(
          name: String(cString: attribute.name), value: String(cString: attribute.value),
          range: name.lowerBound..<(value?.upperBound ?? name.upperBound), valueRange: value))
    }
    return result
  }
}
