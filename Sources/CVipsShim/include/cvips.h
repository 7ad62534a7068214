// Non-variadic wrappers over libvips 8.14's NULL-terminated option calls, grouped like the
// libvips headers. Swift cannot call C variadic functions; everything here is plain C.
#ifndef CVIPS_H
#define CVIPS_H

#include <stddef.h>
#include <stdint.h>

typedef struct _VipsImage VipsImage;

// --- vips.h / operation.h: process setup
int cvips_init(const char *argv0);
void cvips_set_concurrency(int threads);
int cvips_get_concurrency(void);
// Whether libvips runs liborc-compiled vector code (off: see cvips_init).
int cvips_vector_enabled(void);
void cvips_disable_operation_cache(void);
void cvips_thread_shutdown(void);
// Returns freed heap pages to the system (glibc malloc_trim); a no-op elsewhere.
void cvips_release_memory(void);
// Starts `body(context)` on a new thread that libvips treats as one of its workers.
int cvips_thread_start(const char *name, void (*body)(void *), void *context);
const char *cvips_version_string(void);

// --- error.h: this thread's libvips error text, malloc'd (caller frees); the buffer is cleared.
// The shim keeps one error buffer per thread (see cvips.c), so the text is this thread's own.
char *cvips_error_take(void);
// Warnings libvips logs on this thread between begin and end are collected, not printed;
// end returns them (and the shim's own notes), one a line, malloc'd (caller frees).
void cvips_capture_begin(void);
char *cvips_capture_end(void);

// --- foreign.h: blocks every loader but those a web pipeline needs (JPEG, PNG, WebP, GIF,
// HEIF/AVIF, SVG, TIFF) and untrusted ones, then unblocks `extra` (class names such as
// "VipsForeignLoadJp2k"). Process-wide; call before any load.
void cvips_allow_loaders(const char *const *extra, int count);
// Inflates a gzip file into a g_malloc'd buffer of at most `limit` bytes (cvips_free);
// truncated, damaged or larger data is an error.
int cvips_gunzip_file(const char *path, size_t limit, void **out, size_t *out_len);

// --- header.h
typedef struct {
  int width;
  int height;
  int bands;
  int pages;          // n-pages, 1 when absent
  int orientation;    // EXIF orientation 1..8, 1 when absent
  int has_alpha;
  int has_icc;
  int interpretation; // VipsInterpretation
  int band_format;    // VipsBandFormat
  char loader[64];    // e.g. "pngload", "jpegload"
  int compressed;     // 1 for an SVG inside gzip data (.svgz)
  int has_metadata;   // EXIF, XMP, IPTC or a text comment
} cvips_header;

// Reads the header only (no pixel decode). Returns 0 on success. Frames of an animated PNG
// are counted from its acTL chunk; gzip files are read only as SVG, inflated with a bound.
int cvips_read_header(const char *path, cvips_header *out);

void cvips_unref(VipsImage *image);
int cvips_image_width(VipsImage *image);
int cvips_image_height(VipsImage *image);
int cvips_image_bands(VipsImage *image);
int cvips_image_has_alpha(VipsImage *image);
// Whether the pixels are held in memory (computed), rather than computed on demand.
int cvips_image_in_memory(VipsImage *image);

// --- resample.h: a file decoded at `width` (never upscaled; shrink-on-load where the format
// has it), EXIF orientation applied, converted to 8-bit sRGB (through ICC only for an embedded
// profile or CMYK), metadata removed, computed into memory on the calling thread. A damaged
// profile or reduced-size copy falls back to the full image as sRGB, with a captured note;
// the result is always `width` (or the source's width) wide. fail_on: 0 none, 1 truncated,
// 2 error, 3 warning.
int cvips_decode(const char *path, int width, int fail_on, VipsImage **out);
// Resize an in-memory image to `width` (lanczos3), keeping the aspect ratio.
int cvips_thumbnail_image(VipsImage *in, int width, VipsImage **out);

// --- colour.h / conversion.h: 8-bit sRGB (or sRGB + alpha), metadata removed from the header.
int cvips_to_srgb8(VipsImage *in, VipsImage **out);
// Decode fully into memory so several encoders can read it without re-decoding; computed on
// the calling thread, so its errors and warnings are this thread's.
int cvips_materialize(VipsImage *in, VipsImage **out);
// Average of each band (8-bit sRGB input), written to `means` (up to 4 values).
// The share of the area libaom would code with intra block copy (see cvips.c).
int cvips_av1_copy_blocks(VipsImage *in, double *share);
int cvips_band_means(VipsImage *in, double *means, int max_bands);
// Raw interleaved pixels; caller releases with cvips_free.
void *cvips_write_to_memory(VipsImage *in, size_t *size);
// Opens a file (random access) for inspection.
int cvips_open(const char *path, VipsImage **out);
// Full decode of a file, to prove it decodes. Returns 0 when every pixel could be read.
int cvips_decode_check(const char *path, int fail_on);

// A smooth colour test pattern (a gradient with a few shapes), for tests and examples.
int cvips_test_pattern(int width, int height, int alpha, VipsImage **out);

// Flattens an image with alpha onto white (for formats without alpha); otherwise a new reference.
int cvips_flatten_white(VipsImage *in, VipsImage **out);

// --- building and inspecting test images (tests make every kind of source with these)
// An image from interleaved pixels: format is a VipsBandFormat (0 uchar, 2 ushort),
// interpretation a VipsInterpretation.
int cvips_new_from_memory(const void *data, size_t len, int width, int height, int bands, int format,
                          int interpretation, VipsImage **out);
// Decodes an encoded buffer (any format libvips can load).
int cvips_new_from_buffer(const void *data, size_t len, VipsImage **out);
int cvips_colourspace(VipsImage *in, int interpretation, VipsImage **out);
// Converts through ICC to a built-in ("srgb", "p3", "cmyk") or file profile and attaches it.
int cvips_icc_transform(VipsImage *in, const char *profile, VipsImage **out);
// Rotates by 90, 180 or 270 degrees clockwise.
int cvips_rotate(VipsImage *in, int degrees, VipsImage **out);
int cvips_flip(VipsImage *in, int horizontal, VipsImage **out);
// Stacks same-sized frames vertically and sets page-height: an animation for gifsave.
int cvips_frames(VipsImage **frames, int count, VipsImage **out);
// A private copy whose metadata can be changed.
int cvips_copy(VipsImage *in, VipsImage **out);
void cvips_set_int(VipsImage *image, const char *name, int value);
void cvips_set_blob(VipsImage *image, const char *name, const void *data, size_t len);
// Metadata field names, NULL-terminated; release with cvips_strfreev.
char **cvips_fields(VipsImage *image);
void cvips_strfreev(char **list);
int cvips_image_format(VipsImage *image);
int cvips_image_interpretation(VipsImage *image);
// Encodes with libvips' suffix-and-options syntax, e.g. ".png[palette]", ".jpg[Q=90]";
// metadata is kept unless the options say strip.
int cvips_save_buffer(VipsImage *in, const char *suffix, void **buf, size_t *len);

// --- foreign.h: encode to a buffer, metadata stripped. Caller releases with cvips_free.
int cvips_save_jpeg(VipsImage *in, int quality, void **buf, size_t *len);
int cvips_save_webp(VipsImage *in, int quality, int effort, void **buf, size_t *len);
int cvips_save_avif(VipsImage *in, int quality, int effort, void **buf, size_t *len);
int cvips_save_png(VipsImage *in, int compression, void **buf, size_t *len);
// The file at `path` as it is (its own bit depth, no colour conversion) saved as PNG without
// metadata: a lossless copy of a PNG's pixels with its EXIF, XMP and text chunks removed.
int cvips_png_stripped(const char *path, void **buf, size_t *len);
void cvips_free(void *p);

// --- glib, which comes with libvips: SHA-256 of a buffer as 64 hex chars + NUL into `hex`.

#endif
