// Building and inspecting test images: what the tests make every kind of source with. `package`
// access, so it is reachable from this package's tests and is not part of the library's API.

internal import CVipsShim
import Foundation

/// How one band's samples are stored.
package enum BandFormat: Int32, Sendable {
  case uchar = 0
  case ushort = 2
  case uint = 4
}

/// What the bands mean (libvips' `VipsInterpretation`).
package enum Interpretation: Int32, Sendable {
  case multiband = 0
  case grey = 1
  case cmyk = 15
  case srgb = 22
  case rgb16 = 25
  case grey16 = 26
}

/// Building and inspecting images: the tests make every kind of source (CMYK, grey, 16-bit,
/// palette, ICC-tagged, rotated, animated) with these, then read outputs back.
extension VipsImage {
  /// An image from interleaved samples (native byte order for 16-bit).
  package static func fromPixels(
    _ samples: [UInt8], width: Int, height: Int, bands: Int, format: BandFormat = .uchar,
    interpretation: Interpretation = .srgb
  ) throws -> VipsImage {
    try make("new_from_memory") { out in
      samples.withUnsafeBytes {
        cvips_new_from_memory(
          $0.baseAddress, $0.count, Int32(width), Int32(height), Int32(bands), format.rawValue,
          interpretation.rawValue, out)
      }
    }
  }

  /// Decodes an encoded image held in memory.
  package static func decode(_ bytes: [UInt8]) throws -> VipsImage {
    try make("load_buffer") { out in bytes.withUnsafeBytes { cvips_new_from_buffer($0.baseAddress, $0.count, out) } }
  }

  /// Frames of the same size as one animation (vertically stacked, `page-height` set).
  package static func animation(_ frames: [VipsImage]) throws -> VipsImage {
    var pointers: [OpaquePointer?] = frames.map(\.pointer)
    return try withExtendedLifetime(frames) {
      try make("arrayjoin") { out in cvips_frames(&pointers, Int32(pointers.count), out) }
    }
  }

  package func converted(to interpretation: Interpretation) throws -> VipsImage {
    try VipsImage.make("colourspace") { cvips_colourspace(pointer, interpretation.rawValue, $0) }
  }

  /// Converted through ICC (from sRGB, or the attached profile) to `profile` ("srgb", "p3",
  /// "cmyk" or a file), which is then attached.
  package func iccTransformed(to profile: String) throws -> VipsImage {
    try VipsImage.make("icc_transform") { cvips_icc_transform(pointer, profile, $0) }
  }

  /// Rotated clockwise by 90, 180 or 270 degrees.
  package func rotated(_ degrees: Int) throws -> VipsImage {
    try VipsImage.make("rot") { cvips_rotate(pointer, Int32(degrees), $0) }
  }

  package func flipped(horizontally: Bool) throws -> VipsImage {
    try VipsImage.make("flip") { cvips_flip(pointer, horizontally ? 1 : 0, $0) }
  }

  /// A copy with integer metadata fields set (such as `orientation`).
  package func setting(_ values: [String: Int] = [:], blobs: [String: [UInt8]] = [:]) throws -> VipsImage {
    let copy = try VipsImage.make("copy") { cvips_copy(pointer, $0) }
    for (name, value) in values { cvips_set_int(copy.pointer, name, Int32(value)) }
    for (name, blob) in blobs { blob.withUnsafeBytes { cvips_set_blob(copy.pointer, name, $0.baseAddress, $0.count) } }
    return copy
  }

  /// The names of every metadata field (EXIF tags appear as `exif-…`, XMP as `xmp-data`…).
  package var fields: [String] {
    guard let list = cvips_fields(pointer) else { return [] }
    defer { cvips_strfreev(list) }
    var names: [String] = []
    var index = 0
    while let name = list[index] {
      names.append(String(cString: name))
      index += 1
    }
    return names
  }

  package var bandFormat: BandFormat? { BandFormat(rawValue: cvips_image_format(pointer)) }
  package var interpretation: Interpretation? { Interpretation(rawValue: cvips_image_interpretation(pointer)) }

  /// Encodes with libvips' suffix syntax, e.g. `.png[palette]`, `.jpg[Q=90]`, `.heic`;
  /// metadata is kept unless the options strip it.
  package func saved(as suffix: String) throws -> [UInt8] {
    var buffer: UnsafeMutableRawPointer?
    var length = 0
    guard cvips_save_buffer(pointer, suffix, &buffer, &length) == 0, let buffer else {
      throw VipsError.take(operation: "save \(suffix)")
    }
    defer { cvips_free(buffer) }
    return Array(UnsafeRawBufferPointer(start: buffer, count: length))
  }
}
