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
void cvips_disable_operation_cache(void);
void cvips_thread_shutdown(void);
const char *cvips_version_string(void);

// --- error.h: returns a malloc'd copy of the error buffer (caller frees) and clears it.
char *cvips_error_take(void);

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
} cvips_header;

// Reads the header only (no pixel decode). Returns 0 on success.
int cvips_read_header(const char *path, cvips_header *out);

void cvips_unref(VipsImage *image);
int cvips_image_width(VipsImage *image);
int cvips_image_height(VipsImage *image);
int cvips_image_bands(VipsImage *image);
int cvips_image_has_alpha(VipsImage *image);

// --- resample.h: shrink-on-load thumbnail of a file to `width` (never upscaled), EXIF
// orientation applied, colour converted to sRGB through ICC when a profile is present.
// fail_on: 0 none, 1 truncated, 2 error, 3 warning.
int cvips_thumbnail_file(const char *path, int width, int fail_on, VipsImage **out);
// Resize an in-memory image to `width` (lanczos3), keeping the aspect ratio.
int cvips_thumbnail_image(VipsImage *in, int width, VipsImage **out);

// --- colour.h / conversion.h: 8-bit sRGB (or sRGB + alpha), metadata removed from the header.
int cvips_to_srgb8(VipsImage *in, VipsImage **out);
// Decode fully into memory so several encoders can read it without re-decoding.
int cvips_copy_memory(VipsImage *in, VipsImage **out);
// Average of each band (8-bit sRGB input), written to `means` (up to 4 values).
int cvips_band_means(VipsImage *in, double *means, int max_bands);
// Raw interleaved pixels; caller releases with cvips_free.
void *cvips_write_to_memory(VipsImage *in, size_t *size);
// Opens a file (random access) for inspection.
int cvips_open(const char *path, VipsImage **out);
// Full decode of a file, to prove it decodes. Returns 0 when every pixel could be read.
int cvips_decode_check(const char *path, int fail_on);

// A smooth colour test pattern (a gradient with a few shapes), for tests and examples.
int cvips_test_pattern(int width, int height, int alpha, VipsImage **out);

// --- foreign.h: encode to a buffer, metadata stripped. Caller releases with cvips_free.
int cvips_save_jpeg(VipsImage *in, int quality, void **buf, size_t *len);
int cvips_save_webp(VipsImage *in, int quality, int effort, void **buf, size_t *len);
int cvips_save_avif(VipsImage *in, int quality, int effort, void **buf, size_t *len);
int cvips_save_png(VipsImage *in, int compression, void **buf, size_t *len);
void cvips_free(void *p);

// --- glib, which comes with libvips: SHA-256 of a buffer as 64 hex chars + NUL into `hex`.
void cvips_sha256_hex(const void *data, size_t len, char *hex);

#endif
