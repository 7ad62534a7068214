#include "cvips.h"
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <vips/vips.h>
#include <webp/mux.h>

// ---------------------------------------------------------------- setup
int cvips_init(const char *argv0) { return VIPS_INIT(argv0); }
void cvips_set_concurrency(int threads) { vips_concurrency_set(threads); }
int cvips_get_concurrency(void) { return vips_concurrency_get(); }
void cvips_disable_operation_cache(void) {
  vips_cache_set_max(0);
  vips_cache_set_max_mem(0);
  vips_cache_set_max_files(0);
}
void cvips_thread_shutdown(void) {
  vips_error_clear();
  vips_thread_shutdown();
}
void cvips_release_memory(void) {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}
const char *cvips_version_string(void) { return vips_version_string(); }

// ---------------------------------------------------------------- errors
char *cvips_error_take(void) {
  const char *buffer = vips_error_buffer();
  char *copy = strdup(buffer ? buffer : "");
  vips_error_clear();
  return copy;
}

// ---------------------------------------------------------------- header
int cvips_read_header(const char *path, cvips_header *out) {
  memset(out, 0, sizeof(*out));
  const char *loader = vips_foreign_find_load(path);
  if (!loader) return -1;
  VipsImage *image = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  if (!image) return -1;
  out->width = vips_image_get_width(image);
  out->height = vips_image_get_height(image);
  out->bands = vips_image_get_bands(image);
  out->pages = vips_image_get_n_pages(image);
  out->orientation = vips_image_get_orientation(image);
  if (out->orientation < 1 || out->orientation > 8) out->orientation = 1;
  out->has_alpha = vips_image_hasalpha(image);
  out->has_icc = vips_image_get_typeof(image, VIPS_META_ICC_NAME) != 0;
  out->interpretation = vips_image_get_interpretation(image);
  out->band_format = vips_image_get_format(image);
  // "VipsForeignLoadPngFile" -> nickname "pngload"
  VipsObjectClass *klass = VIPS_OBJECT_CLASS(g_type_class_peek(g_type_from_name(loader)));
  const char *nick = klass ? klass->nickname : loader;
  strncpy(out->loader, nick, sizeof(out->loader) - 1);
  g_object_unref(image);
  return 0;
}

void cvips_unref(VipsImage *image) {
  if (image) g_object_unref(image);
}
int cvips_image_width(VipsImage *image) { return vips_image_get_width(image); }
int cvips_image_height(VipsImage *image) { return vips_image_get_height(image); }
int cvips_image_bands(VipsImage *image) { return vips_image_get_bands(image); }
int cvips_image_has_alpha(VipsImage *image) { return vips_image_hasalpha(image); }
int cvips_image_in_memory(VipsImage *image) {
  return image->dtype == VIPS_IMAGE_SETBUF || image->dtype == VIPS_IMAGE_SETBUF_FOREIGN ||
         image->dtype == VIPS_IMAGE_MMAPIN;
}

// ---------------------------------------------------------------- resample
// Whether the last band of `in` is at its maximum everywhere (an alpha that hides nothing).
static int alpha_is_opaque(VipsImage *in) {
  VipsImage *alpha = NULL;
  if (vips_extract_band(in, &alpha, vips_image_get_bands(in) - 1, NULL)) return -1;
  double least = 0;
  int failed = vips_min(alpha, &least, NULL);
  g_object_unref(alpha);
  if (failed) return -1;
  double opaque = vips_image_get_format(in) == VIPS_FORMAT_USHORT ? 65535 : 255;
  return least >= opaque;
}

// Whether libvips must convert the source through ICC to make it sRGB: an embedded profile
// (the pixel values mean what the profile says), or CMYK (imported with libvips' CMYK
// profile). An untagged RGB or grey source is sRGB by the web's rule and keeps its values:
// routing it through an sRGB-to-sRGB ICC transform shifts them (white became 249,253,254).
static int needs_icc(VipsImage *header) {
  return vips_image_get_typeof(header, VIPS_META_ICC_NAME) != 0 ||
         vips_image_get_interpretation(header) == VIPS_INTERPRETATION_CMYK;
}

int cvips_thumbnail_file(const char *path, int width, int fail_on, VipsImage **out) {
  VipsImage *header = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  if (!header) return -1;
  int icc = needs_icc(header);
  int alpha = vips_image_hasalpha(header);
  const char *loader = NULL;
  vips_image_get_string(header, VIPS_META_LOADER, &loader);
  int png = loader && strstr(loader, "png") != NULL;
  g_object_unref(header);
  // PNG has no shrink-on-load, and vips_thumbnail resizes an image with alpha in
  // premultiplied float: three to four times the work of the same image without alpha.
  // Many PNGs carry an alpha band that is opaque everywhere (exported wallpapers,
  // screenshots); decode those once into memory, check, and resize without the band.
  if (png && alpha) {
    VipsImage *seq = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                              (VipsFailOn)fail_on, NULL);
    if (!seq) return -1;
    VipsImage *decoded = vips_image_copy_memory(seq);
    g_object_unref(seq);
    if (!decoded) return -1;
    int opaque = alpha_is_opaque(decoded);
    VipsImage *source = NULL;
    int failed = opaque < 0;
    if (!failed && opaque) {
      failed = vips_extract_band(decoded, &source, 0, "n", vips_image_get_bands(decoded) - 1, NULL);
    } else if (!failed) {
      source = decoded;
      g_object_ref(source);
    }
    g_object_unref(decoded);
    if (failed) return -1;
    int result = icc ? vips_thumbnail_image(source, out, width, "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN,
                                            "export_profile", "srgb", NULL)
                     : vips_thumbnail_image(source, out, width, "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN,
                                            NULL);
    g_object_unref(source);
    return result;
  }
  if (icc)
    return vips_thumbnail(path, out, width, "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN, "export_profile",
                          "srgb", "fail_on", (VipsFailOn)fail_on, NULL);
  return vips_thumbnail(path, out, width, "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN, "fail_on",
                        (VipsFailOn)fail_on, NULL);
}

int cvips_thumbnail_image(VipsImage *in, int width, VipsImage **out) {
  return vips_thumbnail_image(in, out, width, "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN,
                              NULL);
}

// ---------------------------------------------------------------- colour / conversion
int cvips_to_srgb8(VipsImage *in, VipsImage **out) {
  VipsImage *srgb = NULL, *cast = NULL, *copy = NULL;
  if (vips_colourspace(in, &srgb, VIPS_INTERPRETATION_sRGB, NULL)) return -1;
  if (vips_image_get_format(srgb) != VIPS_FORMAT_UCHAR) {
    if (vips_cast_uchar(srgb, &cast, NULL)) {
      g_object_unref(srgb);
      return -1;
    }
  } else {
    cast = srgb;
    g_object_ref(cast);
  }
  g_object_unref(srgb);
  if (vips_copy(cast, &copy, NULL)) {
    g_object_unref(cast);
    return -1;
  }
  g_object_unref(cast);
  // Nothing from the source's metadata travels into a variant.
  gchar **fields = vips_image_get_fields(copy);
  for (int i = 0; fields[i]; i++) {
    const char *f = fields[i];
    if (vips_isprefix("exif-", f) || vips_isprefix("xmp", f) || vips_isprefix("iptc", f) ||
        strcmp(f, VIPS_META_ICC_NAME) == 0 || strcmp(f, VIPS_META_PHOTOSHOP_NAME) == 0 ||
        strcmp(f, VIPS_META_ORIENTATION) == 0 || strcmp(f, VIPS_META_EXIF_NAME) == 0 ||
        vips_isprefix("png-comment", f) || vips_isprefix("gif-comment", f))
      vips_image_remove(copy, f);
  }
  g_strfreev(fields);
  *out = copy;
  return 0;
}

int cvips_copy_memory(VipsImage *in, VipsImage **out) {
  *out = vips_image_copy_memory(in);
  return *out ? 0 : -1;
}

int cvips_band_means(VipsImage *in, double *means, int max_bands) {
  VipsImage *stats = NULL;
  if (vips_stats(in, &stats, NULL)) return -1;
  int bands = vips_image_get_bands(in);
  if (bands > max_bands) bands = max_bands;
  for (int b = 0; b < bands; b++) {
    double *row = VIPS_MATRIX(stats, 4, b + 1);  // column 4 is the mean, row b+1 the band
    means[b] = *row;
  }
  g_object_unref(stats);
  return bands;
}

void *cvips_write_to_memory(VipsImage *in, size_t *size) { return vips_image_write_to_memory(in, size); }

int cvips_open(const char *path, VipsImage **out) {
  *out = vips_image_new_from_file(path, NULL);
  return *out ? 0 : -1;
}

int cvips_decode_check(const char *path, int fail_on) {
  VipsImage *image = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                              (VipsFailOn)fail_on, NULL);
  if (!image) return -1;
  double avg = 0;
  int result = vips_avg(image, &avg, NULL);
  g_object_unref(image);
  return result;
}

int cvips_test_pattern(int width, int height, int alpha, VipsImage **out) {
  // x/width*255 in red, y/height*255 in green, a diagonal band in blue.
  VipsImage *xy = NULL, *x = NULL, *y = NULL, *r = NULL, *g = NULL, *b = NULL, *rgb = NULL, *cast = NULL;
  int result = -1;
  if (vips_xyz(&xy, width, height, NULL)) goto done;
  if (vips_extract_band(xy, &x, 0, NULL) || vips_extract_band(xy, &y, 1, NULL)) goto done;
  if (vips_linear1(x, &r, 255.0 / (width > 1 ? width - 1 : 1), 0, NULL)) goto done;
  if (vips_linear1(y, &g, 255.0 / (height > 1 ? height - 1 : 1), 0, NULL)) goto done;
  if (vips_linear1(x, &b, 0.5 * 255.0 / (width > 1 ? width - 1 : 1), 64, NULL)) goto done;
  VipsImage *bands[4] = {r, g, b, NULL};
  VipsImage *a = NULL;
  if (alpha) {
    if (vips_linear1(y, &a, -255.0 / (height > 1 ? height - 1 : 1), 255, NULL)) goto done;
    bands[3] = a;
  }
  if (vips_bandjoin(bands, &rgb, alpha ? 4 : 3, NULL)) {
    if (a) g_object_unref(a);
    goto done;
  }
  if (a) g_object_unref(a);
  if (vips_cast_uchar(rgb, &cast, NULL)) goto done;
  if (vips_copy(cast, out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL)) goto done;
  result = 0;
done:
  if (xy) g_object_unref(xy);
  if (x) g_object_unref(x);
  if (y) g_object_unref(y);
  if (r) g_object_unref(r);
  if (g) g_object_unref(g);
  if (b) g_object_unref(b);
  if (rgb) g_object_unref(rgb);
  if (cast) g_object_unref(cast);
  return result;
}

int cvips_flatten_white(VipsImage *in, VipsImage **out) {
  if (!vips_image_hasalpha(in)) {
    g_object_ref(in);
    *out = in;
    return 0;
  }
  VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
  int result = vips_flatten(in, out, "background", white, NULL);
  vips_area_unref(VIPS_AREA(white));
  return result;
}

// ---------------------------------------------------------------- test images
int cvips_new_from_memory(const void *data, size_t len, int width, int height, int bands, int format,
                          int interpretation, VipsImage **out) {
  VipsImage *raw = vips_image_new_from_memory_copy(data, len, width, height, bands, (VipsBandFormat)format);
  if (!raw) return -1;
  int result = vips_copy(raw, out, "interpretation", (VipsInterpretation)interpretation, NULL);
  g_object_unref(raw);
  return result;
}
int cvips_new_from_buffer(const void *data, size_t len, VipsImage **out) {
  *out = vips_image_new_from_buffer(data, len, "", NULL);
  return *out ? 0 : -1;
}
int cvips_colourspace(VipsImage *in, int interpretation, VipsImage **out) {
  return vips_colourspace(in, out, (VipsInterpretation)interpretation, NULL);
}
int cvips_icc_transform(VipsImage *in, const char *profile, VipsImage **out) {
  return vips_icc_transform(in, out, profile, "input_profile", "srgb", "embedded", TRUE, NULL);
}
int cvips_rotate(VipsImage *in, int degrees, VipsImage **out) {
  VipsAngle angle = degrees == 90 ? VIPS_ANGLE_D90 : degrees == 180 ? VIPS_ANGLE_D180
                    : degrees == 270 ? VIPS_ANGLE_D270 : VIPS_ANGLE_D0;
  return vips_rot(in, out, angle, NULL);
}
int cvips_flip(VipsImage *in, int horizontal, VipsImage **out) {
  return vips_flip(in, out, horizontal ? VIPS_DIRECTION_HORIZONTAL : VIPS_DIRECTION_VERTICAL, NULL);
}
int cvips_frames(VipsImage **frames, int count, VipsImage **out) {
  VipsImage *joined = NULL;
  if (vips_arrayjoin(frames, &joined, count, "across", 1, NULL)) return -1;
  int result = vips_copy(joined, out, NULL);
  g_object_unref(joined);
  if (result == 0) vips_image_set_int(*out, VIPS_META_PAGE_HEIGHT, vips_image_get_height(frames[0]));
  return result;
}
int cvips_copy(VipsImage *in, VipsImage **out) { return vips_copy(in, out, NULL); }
void cvips_set_int(VipsImage *image, const char *name, int value) { vips_image_set_int(image, name, value); }
void cvips_set_blob(VipsImage *image, const char *name, const void *data, size_t len) {
  vips_image_set_blob_copy(image, name, data, len);
}
char **cvips_fields(VipsImage *image) { return vips_image_get_fields(image); }
void cvips_strfreev(char **list) { g_strfreev(list); }
int cvips_image_format(VipsImage *image) { return vips_image_get_format(image); }
int cvips_image_interpretation(VipsImage *image) { return vips_image_get_interpretation(image); }
int cvips_save_buffer(VipsImage *in, const char *suffix, void **buf, size_t *len) {
  return vips_image_write_to_buffer(in, suffix, buf, len, NULL);
}

// ---------------------------------------------------------------- foreign
int cvips_save_jpeg(VipsImage *in, int quality, void **buf, size_t *len) {
  return vips_jpegsave_buffer(in, buf, len, "Q", quality, "optimize_coding", TRUE, "strip", TRUE,
                              "interlace", FALSE, NULL);
}
// libvips 8.14.1's webpsave writes a small EXIF block even with "strip" set; remove the
// metadata chunks with libwebp's own mux API so no variant carries any.
static int strip_webp_metadata(void **buf, size_t *len) {
  WebPData input = {(const uint8_t *)*buf, *len};
  WebPMux *mux = WebPMuxCreate(&input, 0);
  if (!mux) return 0;  // not a container we can edit: keep the encoder's bytes
  int changed = 0;
  const char *chunks[] = {"EXIF", "XMP ", "ICCP"};
  for (int i = 0; i < 3; i++)
    if (WebPMuxDeleteChunk(mux, chunks[i]) == WEBP_MUX_OK) changed = 1;
  if (changed) {
    WebPData output;
    WebPDataInit(&output);
    if (WebPMuxAssemble(mux, &output) == WEBP_MUX_OK) {
      void *copy = g_malloc(output.size);
      memcpy(copy, output.bytes, output.size);
      g_free(*buf);
      *buf = copy;
      *len = output.size;
    }
    WebPDataClear(&output);
  }
  WebPMuxDelete(mux);
  return 0;
}

int cvips_save_webp(VipsImage *in, int quality, int effort, void **buf, size_t *len) {
  if (vips_webpsave_buffer(in, buf, len, "Q", quality, "effort", effort, "strip", TRUE, NULL)) return -1;
  return strip_webp_metadata(buf, len);
}
int cvips_save_avif(VipsImage *in, int quality, int effort, void **buf, size_t *len) {
  return vips_heifsave_buffer(in, buf, len, "Q", quality, "effort", effort, "compression",
                              VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "strip", TRUE, NULL);
}
int cvips_save_png(VipsImage *in, int compression, void **buf, size_t *len) {
  return vips_pngsave_buffer(in, buf, len, "compression", compression, "strip", TRUE, NULL);
}
void cvips_free(void *p) { g_free(p); }

// ---------------------------------------------------------------- glib
void cvips_sha256_hex(const void *data, size_t len, char *hex) {
  gchar *s = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
  memcpy(hex, s, 64);
  hex[64] = 0;
  g_free(s);
}
