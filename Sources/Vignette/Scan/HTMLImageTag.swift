import Foundation

/// An `<img>` tag in raw HTML, with its attributes in any order and quoting.
struct HTMLImageTag {
  struct Attribute {
    var value: String
    /// Byte range of the value inside the scanned text (quotes excluded).
    var range: Range<Int>
  }

  /// Byte offset of `<img` in the scanned text.
  var offset: Int
  var attributes: [String: String]
  var src: Attribute?

  /// Every `<img …>` tag in `html`.
  static func find(in html: String) -> [HTMLImageTag] {
    let bytes = Array(html.utf8)
    var tags: [HTMLImageTag] = []
    var index = 0
    func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 32 : b }
    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C }
    while index + 4 < bytes.count {
      // Skip comments.
      if bytes[index...].starts(with: Array("<!--".utf8)) {
        var end = index + 4
        while end + 2 < bytes.count, !bytes[end...].starts(with: Array("-->".utf8)) { end += 1 }
        index = end + 3
        continue
      }
      guard bytes[index] == UInt8(ascii: "<"), lower(bytes[index + 1]) == UInt8(ascii: "i"),
        lower(bytes[index + 2]) == UInt8(ascii: "m"), lower(bytes[index + 3]) == UInt8(ascii: "g"),
        isSpace(bytes[index + 4]) || bytes[index + 4] == UInt8(ascii: "/") || bytes[index + 4] == UInt8(ascii: ">")
      else {
        index += 1
        continue
      }
      var tag = HTMLImageTag(offset: index, attributes: [:])
      var cursor = index + 4
      while cursor < bytes.count, bytes[cursor] != UInt8(ascii: ">") {
        if isSpace(bytes[cursor]) || bytes[cursor] == UInt8(ascii: "/") {
          cursor += 1
          continue
        }
        let nameStart = cursor
        while cursor < bytes.count, !isSpace(bytes[cursor]), bytes[cursor] != UInt8(ascii: "="),
          bytes[cursor] != UInt8(ascii: ">"), bytes[cursor] != UInt8(ascii: "/")
        {
          cursor += 1
        }
        let name = String(decoding: bytes[nameStart..<cursor].map(lower), as: UTF8.self)
        var probe = cursor
        while probe < bytes.count, isSpace(bytes[probe]) { probe += 1 }
        guard probe < bytes.count, bytes[probe] == UInt8(ascii: "=") else {
          if !name.isEmpty { tag.attributes[name] = "" }
          continue
        }
        cursor = probe + 1
        while cursor < bytes.count, isSpace(bytes[cursor]) { cursor += 1 }
        guard cursor < bytes.count else { break }
        var valueRange: Range<Int>
        if bytes[cursor] == UInt8(ascii: "\"") || bytes[cursor] == UInt8(ascii: "'") {
          let quote = bytes[cursor]
          let start = cursor + 1
          var end = start
          while end < bytes.count, bytes[end] != quote { end += 1 }
          valueRange = start..<end
          cursor = min(bytes.count, end + 1)
        } else {
          let start = cursor
          while cursor < bytes.count, !isSpace(bytes[cursor]), bytes[cursor] != UInt8(ascii: ">") { cursor += 1 }
          valueRange = start..<cursor
        }
        let value = HTMLText.decodeEntities(String(decoding: bytes[valueRange], as: UTF8.self))
        if tag.attributes[name] == nil {
          tag.attributes[name] = value
          if name == "src" { tag.src = Attribute(value: value, range: valueRange) }
        }
      }
      tags.append(tag)
      index = cursor + 1
    }
    return tags
  }
}

/// HTML escaping for text and attribute values.
public enum HTMLText {
  /// Escapes `&`, `<`, `>`, `"` and `'` so the result is safe in text and in quoted attributes.
  public static func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&#39;"
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result
  }

  /// Decodes the named entities markdown and HTML authors use, and numeric references.
  public static func decodeEntities(_ text: String) -> String {
    guard text.contains("&") else { return text }
    let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}"]
    var result = ""
    var rest = Substring(text)
    while let amp = rest.firstIndex(of: "&") {
      result += rest[..<amp]
      let after = rest[rest.index(after: amp)...]
      if let semi = after.prefix(12).firstIndex(of: ";") {
        let name = String(after[..<semi])
        var decoded: String?
        if name.hasPrefix("#x") || name.hasPrefix("#X"), let code = UInt32(name.dropFirst(2), radix: 16) {
          decoded = Unicode.Scalar(code).map { String($0) }
        } else if name.hasPrefix("#"), let code = UInt32(name.dropFirst()) {
          decoded = Unicode.Scalar(code).map { String($0) }
        } else {
          decoded = named[name]
        }
        if let decoded {
          result += decoded
          rest = after[after.index(after: semi)...]
          continue
        }
      }
      result += "&"
      rest = after
    }
    result += rest
    return result
  }
}
