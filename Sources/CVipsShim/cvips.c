#include "cvips.h"
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>
#include <vips/vector.h>
#include <webp/mux.h>
#include <zlib.h>

// ---------------------------------------------------------------- messages, per thread
// libvips 8.14 keeps one error buffer for the whole process: with several images in flight,
// one thread's message ends up in another's report, or is cleared before it is read. libvips
// has no per-thread buffer and no hook, so the shim defines the five error-buffer functions
// itself: the executable's definitions take precedence over libvips' own for every call
// libvips makes through its PLT (all of them in 8.14, checked with objdump), and each thread
// gets its own buffer and freeze count. Pixel work that can fail runs on the calling thread
// (cvips_materialize), so a job's messages land in its own buffer.
//
// Warnings (g_warning in the "VIPS" log domain: "Corrupt JPEG data…") are collected for the
// thread while it captures (cvips_capture_begin/end) instead of going to stderr unlocated.
typedef struct {
  GString *errors;
  int freeze;
  int capturing;
  GPtrArray *warnings;
} thread_messages;

static void free_thread_messages(gpointer data) {
  thread_messages *m = data;
  g_string_free(m->errors, TRUE);
  if (m->warnings) g_ptr_array_free(m->warnings, TRUE);
  g_free(m);
}

static GPrivate messages_key = G_PRIVATE_INIT(free_thread_messages);

static thread_messages *messages(void) {
  thread_messages *m = g_private_get(&messages_key);
  if (!m) {
    m = g_new0(thread_messages, 1);
    m->errors = g_string_new(NULL);
    m->warnings = g_ptr_array_new_with_free_func(g_free);
    g_private_set(&messages_key, m);
  }
  return m;
}

void vips_verror(const char *domain, const char *fmt, va_list ap) {
  thread_messages *m = messages();
  if (m->freeze > 0 || m->errors->len > 16384) return;
  if (domain) g_string_append_printf(m->errors, "%s: ", domain);
  g_string_append_vprintf(m->errors, fmt, ap);
  g_string_append_c(m->errors, '\n');
}

void vips_error(const char *domain, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vips_verror(domain, fmt, ap);
  va_end(ap);
}

const char *vips_error_buffer(void) { return messages()->errors->str; }

char *vips_error_buffer_copy(void) {
  thread_messages *m = messages();
  char *copy = g_strdup(m->errors->str);
  g_string_truncate(m->errors, 0);
  return copy;
}

void vips_error_clear(void) { g_string_truncate(messages()->errors, 0); }
void vips_error_freeze(void) { messages()->freeze += 1; }
void vips_error_thaw(void) {
  thread_messages *m = messages();
  if (m->freeze > 0) m->freeze -= 1;
}

// A warning for the job on this thread (at most 20 distinct ones are kept).
static void note(const char *text) {
  thread_messages *m = messages();
  for (guint i = 0; i < m->warnings->len; i++)
    if (strcmp(g_ptr_array_index(m->warnings, i), text) == 0) return;
  if (m->warnings->len < 20) g_ptr_array_add(m->warnings, g_strdup(text));
}

static void notef(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void notef(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  note(text);
  g_free(text);
}

static void log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
  thread_messages *m = g_private_get(&messages_key);
  if (m && m->capturing) {
    note(message);
    return;
  }
  g_log_default_handler(domain, level, message, data);
}

// The libvips error text this thread has gathered, first line of each message, trimmed.
static char *take_errors(void) {
  thread_messages *m = messages();
  char *copy = g_strdup(m->errors->str);
  g_string_truncate(m->errors, 0);
  return copy;
}

void cvips_capture_begin(void) {
  thread_messages *m = messages();
  m->capturing = 1;
  g_ptr_array_set_size(m->warnings, 0);
}

char *cvips_capture_end(void) {
  thread_messages *m = messages();
  m->capturing = 0;
  GString *all = g_string_new(NULL);
  for (guint i = 0; i < m->warnings->len; i++) {
    if (i) g_string_append_c(all, '\n');
    g_string_append(all, g_ptr_array_index(m->warnings, i));
  }
  g_ptr_array_set_size(m->warnings, 0);
  char *copy = strdup(all->str);
  g_string_free(all, TRUE);
  return copy;
}

// ---------------------------------------------------------------- setup
int cvips_init(const char *argv0) {
  if (VIPS_INIT(argv0)) return -1;
  // No liborc: its run-time compiled code lives in a shared code-memory list that liborc
  // 0.4.33 frees and merges without a lock (libvips 8.14's reducev compiles and frees a
  // program per resize). It crashed a 20,000-image build in liborc after ~8,000 images, and
  // the test suite under load on a render thread (the race sharp and fotomat reported).
  // libvips computes the same operations in C, with slightly different rounding (hence
  // engine version 5).
  vips_vector_set_enabled(FALSE);
  g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, log_handler, NULL);
  return 0;
}
void cvips_set_concurrency(int threads) { vips_concurrency_set(threads); }
int cvips_get_concurrency(void) { return vips_concurrency_get(); }
int cvips_vector_enabled(void) { return vips_vector_isenabled(); }
void cvips_disable_operation_cache(void) {
  vips_cache_set_max(0);
  vips_cache_set_max_mem(0);
  vips_cache_set_max_files(0);
}
void cvips_thread_shutdown(void) {
  vips_error_clear();
  messages()->freeze = 0;
  vips_thread_shutdown();
}
void cvips_release_memory(void) {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}
const char *cvips_version_string(void) { return vips_version_string(); }

// A thread libvips knows as its own (vips_g_thread_new): only such threads get libvips'
// per-thread buffer caches, so a pipeline computed on them reuses its region buffers from
// strip to strip. On any other thread every buffer is a fresh zeroed allocation, which
// cost a cold build 12% of its CPU time (perf: vips_buffer_new → vips_tracked_malloc →
// memset). libvips runs vips_thread_shutdown when the body returns.
typedef struct {
  void (*body)(void *);
  void *context;
} thread_start;

static gpointer run_thread(gpointer data) {
  thread_start start = *(thread_start *)data;
  g_free(data);
  start.body(start.context);
  return NULL;
}

int cvips_thread_start(const char *name, void (*body)(void *), void *context) {
  thread_start *start = g_new(thread_start, 1);
  start->body = body;
  start->context = context;
  GThread *thread = vips_g_thread_new(name, run_thread, start);
  if (!thread) {
    g_free(start);
    return -1;
  }
  g_thread_unref(thread);
  return 0;
}

// ---------------------------------------------------------------- errors
char *cvips_error_take(void) {
  char *mine = take_errors();
  char *copy = strdup(mine);
  g_free(mine);
  return copy;
}

// Every call that reads a file starts with this thread's buffer empty and, when it succeeds,
// leaves it empty. libvips posts messages on success too: 8.14's HEIF loader probes for the
// end of the file by seeking past it, and vips_source_seek reports "<absolute path>: bad seek
// to <n>" on every AVIF and HEIC it opens. A render thread reads the headers of a batch of
// sources in one job, so the next failure in that batch (another file's) carried the message.
static int settled(int status) {
  if (status == 0) vips_error_clear();
  return status;
}

// ---------------------------------------------------------------- loaders
// The loaders a web image pipeline needs; every other libvips loader (JPEG 2000, PDF, FITS,
// OpenEXR, ImageMagick…) is blocked unless the config names it: their libraries are large
// attack surfaces that have crashed or hung 8.14 on real files.
static const char *web_loaders[] = {"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp",
                                    "VipsForeignLoadNsgif", "VipsForeignLoadHeif", "VipsForeignLoadSvg",
                                    "VipsForeignLoadTiff", NULL};

typedef struct {
  const char *const *extra;
  int count;
} loader_policy;

static int is_one_of(GType type, const char *const *names, int count) {
  for (int i = 0; count < 0 ? names[i] != NULL : i < count; i++) {
    GType base = g_type_from_name(names[i]);
    if (base && g_type_is_a(type, base)) return 1;
  }
  return 0;
}

static void *apply_policy(VipsObjectClass *klass, void *data) {
  loader_policy *policy = data;
  GType type = G_OBJECT_CLASS_TYPE(klass);
  VipsOperationClass *operation = VIPS_OPERATION_CLASS(klass);
  if (is_one_of(type, web_loaders, -1) || is_one_of(type, policy->extra, policy->count))
    operation->flags &= ~VIPS_OPERATION_BLOCKED;
  else
    operation->flags |= VIPS_OPERATION_BLOCKED;
  return NULL;
}

// Class by class, so a web loader is never blocked, not even for a moment, while other
// threads load images.
void cvips_allow_loaders(const char *const *extra, int count) {
  loader_policy policy = {extra, count};
  // Every operation libvips marks untrusted (loaders and others); allowed loaders are then
  // unblocked below (an allowed untrusted one, such as magick, is blocked for that moment).
  vips_block_untrusted_set(TRUE);
  vips_class_map_all(g_type_from_name("VipsForeignLoad"), (VipsClassMapFn)apply_policy, &policy);
}

// The loader libvips would pick for `path`, or NULL with a message. A blocked loader is
// named in the message, so the user learns what to allow.
static const char *find_loader(const char *path, const char **nickname) {
  const char *loader = vips_foreign_find_load(path);
  if (!loader) return NULL;
  VipsObjectClass *klass = VIPS_OBJECT_CLASS(g_type_class_peek(g_type_from_name(loader)));
  *nickname = klass ? klass->nickname : loader;
  if (klass && (VIPS_OPERATION_CLASS(klass)->flags & (VIPS_OPERATION_BLOCKED))) {
    char *family = g_strdup(*nickname);
    if (g_str_has_suffix(family, "load")) family[strlen(family) - 4] = 0;
    vips_error(NULL,
               "the file is for libvips' %s loader, which is not used by default (not a web image format); "
               "add \"%s\" to images.loaders to read such files",
               *nickname, family);
    g_free(family);
    return NULL;
  }
  return loader;
}

// ---------------------------------------------------------------- gzip
// libvips 8.14's SVG sniffer loops forever on truncated gzip data (fixed in 8.17.3), and it
// runs inside vips_foreign_find_load for every file that starts like gzip. So no gzip file
// ever reaches libvips by name: it is inflated here, with a limit on the output and an end
// for truncated input, and only a complete SVG goes on, as a buffer.
static int is_gzip(const char *path) {
  unsigned char magic[2] = {0, 0};
  FILE *file = fopen(path, "rb");
  if (!file) return 0;
  size_t n = fread(magic, 1, 2, file);
  fclose(file);
  return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

int cvips_gunzip_file(const char *path, size_t limit, void **out, size_t *out_len) {
  gchar *input = NULL;
  gsize input_len = 0;
  if (!g_file_get_contents(path, &input, &input_len, NULL)) {
    vips_error(NULL, "cannot read the file");
    return -1;
  }
  z_stream zs;
  memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 15 | 16) != Z_OK) {
    g_free(input);
    vips_error(NULL, "cannot start gzip decompression");
    return -1;
  }
  size_t capacity = 65536, length = 0;
  unsigned char *buffer = g_malloc(capacity);
  zs.next_in = (unsigned char *)input;
  zs.avail_in = (uInt)input_len;
  int status = Z_OK;
  while (status == Z_OK) {
    if (length == capacity) {
      if (capacity >= limit) break;
      capacity = capacity * 2 > limit ? limit : capacity * 2;
      buffer = g_realloc(buffer, capacity);
    }
    zs.next_out = buffer + length;
    zs.avail_out = (uInt)(capacity - length);
    status = inflate(&zs, Z_NO_FLUSH);
    length = capacity - zs.avail_out;
    // No input left and not at the end: the data is cut short (Z_BUF_ERROR next time).
    if (status == Z_OK && zs.avail_in == 0 && zs.avail_out > 0) status = Z_BUF_ERROR;
  }
  inflateEnd(&zs);
  g_free(input);
  if (status != Z_STREAM_END) {
    g_free(buffer);
    if (length >= limit)
      vips_error(NULL, "gzip data inflates to more than %zu bytes", limit);
    else
      vips_error(NULL, "gzip data is truncated or damaged");
    return -1;
  }
  *out = buffer;
  *out_len = length;
  return 0;
}

static const size_t svgz_limit = 64 << 20;

// An SVG held in a gzip file, loaded from the inflated bytes; NULL with a message otherwise.
static VipsImage *open_svgz(const char *path) {
  void *svg = NULL;
  size_t len = 0;
  if (cvips_gunzip_file(path, svgz_limit, &svg, &len)) return NULL;
  VipsImage *image = NULL;
  if (vips_svgload_buffer(svg, len, &image, NULL)) image = NULL;
  if (image) {
    // The image reads from `svg` lazily: free it with the image.
    g_signal_connect_data(image, "close", G_CALLBACK(g_free), svg, NULL, G_CONNECT_SWAPPED);
  } else {
    g_free(svg);
    vips_error(NULL, "gzip-compressed file that is not an SVG image");
  }
  return image;
}

// ---------------------------------------------------------------- header
// Frames of an animated PNG (its acTL chunk, before the first IDAT); 1 for a still PNG.
// libvips 8.14 reads only the first frame of an APNG and does not say it is animated.
static int png_frames(const char *path) {
  FILE *file = fopen(path, "rb");
  if (!file) return 1;
  unsigned char head[8];
  int frames = 1;
  if (fread(head, 1, 8, file) == 8 && memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0) {
    unsigned char chunk[8];
    for (int i = 0; i < 64 && fread(chunk, 1, 8, file) == 8; i++) {
      unsigned long length = (unsigned long)chunk[0] << 24 | chunk[1] << 16 | chunk[2] << 8 | chunk[3];
      if (memcmp(chunk + 4, "IDAT", 4) == 0) break;
      if (memcmp(chunk + 4, "acTL", 4) == 0 && length >= 8) {
        unsigned char data[4];
        if (fread(data, 1, 4, file) == 4) {
          unsigned long n = (unsigned long)data[0] << 24 | data[1] << 16 | data[2] << 8 | data[3];
          frames = n > 1 && n < 1000000 ? (int)n : 1;
        }
        break;
      }
      if (fseek(file, (long)length + 4, SEEK_CUR)) break;
    }
  }
  fclose(file);
  return frames;
}

// Whether a header field is metadata a published image must not carry (see has_metadata).
static void *metadata_field(VipsImage *image, const char *name, GValue *value, void *found) {
  (void)image;
  (void)value;
  if (strcmp(name, VIPS_META_EXIF_NAME) == 0 || strcmp(name, VIPS_META_XMP_NAME) == 0 ||
      strcmp(name, VIPS_META_IPTC_NAME) == 0 || strcmp(name, VIPS_META_PHOTOSHOP_NAME) == 0 ||
      vips_isprefix("png-comment-", name) || vips_isprefix("gif-comment", name))
    *(int *)found = 1;
  return NULL;
}

static void fill_header(VipsImage *image, const char *nick, cvips_header *out) {
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
  strncpy(out->loader, nick, sizeof(out->loader) - 1);
  vips_image_map(image, metadata_field, &out->has_metadata);
}

static int read_header(const char *path, cvips_header *out) {
  memset(out, 0, sizeof(*out));
  if (is_gzip(path)) {
    VipsImage *image = open_svgz(path);
    if (!image) return -1;
    fill_header(image, "svgload", out);
    out->compressed = 1;
    g_object_unref(image);
    return 0;
  }
  const char *nick = NULL;
  if (!find_loader(path, &nick)) return -1;
  VipsImage *image = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  if (!image) return -1;
  fill_header(image, nick, out);
  g_object_unref(image);
  if (vips_isprefix("pngload", out->loader)) out->pages = png_frames(path);
  return 0;
}

int cvips_read_header(const char *path, cvips_header *out) {
  vips_error_clear();
  return settled(read_header(path, out));
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
// Computes `in` into a new memory image on the calling thread, strip by strip, instead of
// with libvips' thread pool: decode errors and warnings then belong to this thread's job
// (see "messages" above). Encoders still use libvips' threads on the in-memory result.
int cvips_materialize(VipsImage *in, VipsImage **out) {
  VipsImage *memory = vips_image_new_memory();
  if (vips_image_pipelinev(memory, VIPS_DEMAND_STYLE_THINSTRIP, in, NULL) || vips_image_write_prepare(memory)) {
    g_object_unref(memory);
    return -1;
  }
  VipsRegion *region = vips_region_new(in);
  size_t line = VIPS_IMAGE_SIZEOF_LINE(in);
  const int strip = 32;
  for (int top = 0; top < in->Ysize; top += strip) {
    VipsRect rect = {0, top, in->Xsize, VIPS_MIN(strip, in->Ysize - top)};
    if (vips_region_prepare(region, &rect)) {
      g_object_unref(region);
      g_object_unref(memory);
      return -1;
    }
    for (int y = top; y < top + rect.height; y++)
      memcpy(VIPS_IMAGE_ADDR(memory, 0, y), VIPS_REGION_ADDR(region, 0, y), line);
  }
  g_object_unref(region);
  *out = memory;
  return 0;
}

// Whether the last band of `in` (8- or 16-bit) is at its maximum everywhere: an alpha that
// hides nothing. Reads strip by strip on this thread, keeping nothing but the verdict, so it
// works on a sequential load without holding the image.
static int alpha_is_opaque(VipsImage *in) {
  VipsImage *alpha = NULL;
  if (vips_extract_band(in, &alpha, vips_image_get_bands(in) - 1, NULL)) return -1;
  int deep = vips_image_get_format(alpha) == VIPS_FORMAT_USHORT;
  if (!deep && vips_image_get_format(alpha) != VIPS_FORMAT_UCHAR) {
    g_object_unref(alpha);
    return 0;
  }
  VipsRegion *region = vips_region_new(alpha);
  int opaque = 1;
  const int strip = 32;
  for (int top = 0; top < alpha->Ysize; top += strip) {
    VipsRect rect = {0, top, alpha->Xsize, VIPS_MIN(strip, alpha->Ysize - top)};
    if (vips_region_prepare(region, &rect)) {
      opaque = -1;
      break;
    }
    // Keep reading after a transparent pixel: a sequential reader wants the whole file.
    for (int y = top; opaque == 1 && y < top + rect.height; y++) {
      if (deep) {
        unsigned short *p = (unsigned short *)VIPS_REGION_ADDR(region, 0, y);
        for (int x = 0; x < rect.width; x++)
          if (p[x] != 65535) opaque = 0;
      } else {
        unsigned char *p = VIPS_REGION_ADDR(region, 0, y);
        for (int x = 0; x < rect.width; x++)
          if (p[x] != 255) opaque = 0;
      }
    }
    if (opaque == 0) break;
  }
  g_object_unref(region);
  g_object_unref(alpha);
  return opaque;
}

// Whether libvips must convert the source through ICC to make it sRGB: an embedded profile
// (the pixel values mean what the profile says), or CMYK (imported with libvips' CMYK
// profile). An untagged RGB or grey source is sRGB by the web's rule and keeps its values:
// routing it through an sRGB-to-sRGB ICC transform shifts them (white became 249,253,254).
static int needs_icc(VipsImage *header) {
  return vips_image_get_typeof(header, VIPS_META_ICC_NAME) != 0 ||
         vips_image_get_interpretation(header) == VIPS_INTERPRETATION_CMYK;
}

// Every resize is asked not to turn the picture upright (no_rotate): vips_thumbnail does that
// by copying its result to memory with vips_image_copy_memory, which computes the whole
// decode on libvips' worker threads, where the decoder's warnings and errors belong to no job
// (they were printed unlocated: "Line length mismatch at line 341 of strip 0"). `finish`
// turns it upright after computing it on this thread. For a source stored a quarter turn
// round (orientation 5-8) the width shown bounds the stored height.
static int resize_image(VipsImage *in, int width, int icc, VipsImage **out) {
  int swapped = vips_image_get_orientation(in) >= 5;
  int w = swapped ? VIPS_MAX_COORD : width, h = swapped ? width : VIPS_MAX_COORD;
  if (icc)
    return vips_thumbnail_image(in, out, w, "height", h, "size", VIPS_SIZE_DOWN, "no_rotate", TRUE,
                                "export_profile", "srgb", NULL);
  return vips_thumbnail_image(in, out, w, "height", h, "size", VIPS_SIZE_DOWN, "no_rotate", TRUE, NULL);
}

// Thumbnail → 8-bit sRGB without metadata → computed into memory on this thread → turned
// upright by its EXIF orientation. Takes `thumb`.
static int finish(VipsImage *thumb, VipsImage **out) {
  int orientation = vips_image_get_orientation(thumb);
  VipsImage *srgb = NULL;
  int failed = cvips_to_srgb8(thumb, &srgb);
  g_object_unref(thumb);
  if (failed) return -1;
  VipsImage *memory = NULL;
  failed = cvips_materialize(srgb, &memory);
  g_object_unref(srgb);
  if (failed) return -1;
  if (orientation < 2 || orientation > 8) {
    *out = memory;
    return 0;
  }
  VipsImage *upright = NULL;
  vips_image_set_int(memory, VIPS_META_ORIENTATION, orientation);
  failed = vips_autorot(memory, &upright, NULL);
  g_object_unref(memory);
  if (failed) return -1;
  vips_image_remove(upright, VIPS_META_ORIENTATION);
  failed = cvips_materialize(upright, out);
  g_object_unref(upright);
  return failed;
}

static VipsImage *open_sequential(const char *path, int fail_on) {
  return vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", (VipsFailOn)fail_on, NULL);
}

// With shrink-on-load (JPEG, WebP, HEIF, TIFF pyramids, SVG): the usual way.
static int decode_shrunk(const char *path, int width, int fail_on, int icc, int swapped, VipsImage **out) {
  VipsImage *thumb = NULL;
  int w = swapped ? VIPS_MAX_COORD : width, h = swapped ? width : VIPS_MAX_COORD;
  int failed = icc ? vips_thumbnail(path, &thumb, w, "height", h, "size", VIPS_SIZE_DOWN, "no_rotate", TRUE,
                                    "export_profile", "srgb", "fail_on", (VipsFailOn)fail_on, NULL)
                   : vips_thumbnail(path, &thumb, w, "height", h, "size", VIPS_SIZE_DOWN, "no_rotate", TRUE,
                                    "fail_on", (VipsFailOn)fail_on, NULL);
  return failed ? -1 : finish(thumb, out);
}

// A multi-page TIFF. libvips 8.14's thumbnail takes any TIFF whose pages are each within 5
// pixels of half the one before for a page pyramid, so two equal 10x10 pages count as one, and
// with size=down it then always shrinks from the last level (its "level big enough" test
// compares a shrink it has already clipped to 1): two 10x10 pages, green and red, came out red.
// So the level is picked here: the pages that really are reduced copies (each smaller than the
// one before, and within libvips' rounding of the main image halved once more), and of those
// the smallest still as wide as wanted. Any other multi-page TIFF is its first page.
static int tiff_level(const char *path, int pages, int wanted, int swapped) {
  int level = 0, first_w = 0, first_h = 0, last_w = 0, last_h = 0;
  for (int i = 0; i < pages && i < 30; i++) {
    VipsImage *page = vips_image_new_from_file(path, "page", i, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!page) {
      // An unreadable page ends the levels; the message is not this decode's.
      vips_error_clear();
      break;
    }
    int w = page->Xsize, h = page->Ysize;
    g_object_unref(page);
    if (i == 0) {
      first_w = w, first_h = h;
    } else if (w >= last_w || h >= last_h || w < 2 || h < 2 || abs(w - first_w / (1 << i)) > 5 ||
               abs(h - first_h / (1 << i)) > 5) {
      break;
    }
    last_w = w, last_h = h;
    if ((swapped ? h : w) < wanted) break;
    level = i;
  }
  return level;
}

static int decode_tiff_pages(const char *path, int width, int fail_on, int icc, int pages, int wanted, int swapped,
                             VipsImage **out) {
  int level = tiff_level(path, pages, wanted, swapped);
  VipsImage *image = vips_image_new_from_file(path, "page", level, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                              (VipsFailOn)fail_on, NULL);
  if (!image) return -1;
  VipsImage *source = NULL;
  int failed = vips_copy(image, &source, NULL);
  g_object_unref(image);
  if (failed) return -1;
  if (level > 0 && icc && !vips_image_get_typeof(source, VIPS_META_ICC_NAME)) {
    // A level without the main image's profile means what the main image's pixels mean.
    VipsImage *main = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    const void *profile = NULL;
    size_t length = 0;
    if (main && vips_image_get_typeof(main, VIPS_META_ICC_NAME) &&
        !vips_image_get_blob(main, VIPS_META_ICC_NAME, &profile, &length))
      vips_image_set_blob_copy(source, VIPS_META_ICC_NAME, profile, length);
    if (main) g_object_unref(main);
  }
  VipsImage *thumb = NULL;
  failed = resize_image(source, width, icc, &thumb);
  g_object_unref(source);
  return failed ? -1 : finish(thumb, out);
}

// The main image decoded in full (no reduced-size copy), resized; `strip_icc` ignores its
// profile and treats it as sRGB.
static int decode_full(const char *path, int width, int fail_on, int icc, int strip_icc, VipsImage **out) {
  VipsImage *image = open_sequential(path, fail_on);
  if (!image) return -1;
  VipsImage *source = NULL;
  int failed = vips_copy(image, &source, NULL);
  g_object_unref(image);
  if (failed) return -1;
  if (strip_icc) vips_image_remove(source, VIPS_META_ICC_NAME);
  VipsImage *thumb = NULL;
  failed = resize_image(source, width, icc && !strip_icc, &thumb);
  g_object_unref(source);
  return failed ? -1 : finish(thumb, out);
}

// Up to this many decoded bytes, a PNG with alpha is decoded once into memory to check the
// alpha and resize from there; a larger one is read twice, streaming, so memory follows the
// working size and not the source's pixel count.
static const double alpha_in_memory_limit = 64.0 * 1024 * 1024;

// PNG has no shrink-on-load, and vips_thumbnail resizes an image with alpha in premultiplied
// float: three to four times the work of the same image without alpha. Many PNGs carry an
// alpha band that is opaque everywhere (exported wallpapers, screenshots); those are resized
// without the band.
static int decode_png_alpha(const char *path, int width, int fail_on, int icc, double decoded, VipsImage **out) {
  VipsImage *image = open_sequential(path, fail_on);
  if (!image) return -1;
  if (decoded <= alpha_in_memory_limit) {
    VipsImage *memory = NULL;
    int failed = cvips_materialize(image, &memory);
    g_object_unref(image);
    if (failed) return -1;
    image = memory;
  }
  int opaque = alpha_is_opaque(image);
  if (opaque < 0) {
    g_object_unref(image);
    return -1;
  }
  if (decoded > alpha_in_memory_limit) {
    g_object_unref(image);
    if (!(image = open_sequential(path, fail_on))) return -1;
  }
  VipsImage *source = image;
  if (opaque) {
    int failed = vips_extract_band(image, &source, 0, "n", vips_image_get_bands(image) - 1, NULL);
    g_object_unref(image);
    if (failed) return -1;
  }
  VipsImage *thumb = NULL;
  int failed = resize_image(source, width, icc, &thumb);
  g_object_unref(source);
  return failed ? -1 : finish(thumb, out);
}

// The first line of libvips' message, without a trailing newline (for notes).
static char *first_line(const char *text) {
  const char *end = strchr(text, '\n');
  return g_strndup(text, end ? (size_t)(end - text) : strlen(text));
}

static int decode(const char *path, int width, int fail_on, VipsImage **out) {
  *out = NULL;
  if (is_gzip(path)) {
    vips_error(NULL, "gzip-compressed data: only SVG is read from gzip files");
    return -1;
  }
  const char *nick = NULL;
  if (!find_loader(path, &nick)) return -1;
  VipsImage *header = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  if (!header) return -1;
  int icc = needs_icc(header);
  int profile = vips_image_get_typeof(header, VIPS_META_ICC_NAME) != 0;
  int alpha = vips_image_hasalpha(header);
  int shown = vips_image_get_orientation(header) >= 5 ? header->Ysize : header->Xsize;
  int expected = width < shown ? width : shown;
  double decoded = (double)VIPS_IMAGE_SIZEOF_LINE(header) * header->Ysize;
  int png = vips_isprefix("pngload", nick);
  int tiff_pages = vips_isprefix("tiffload", nick) ? vips_image_get_n_pages(header) : 1;
  int swapped = vips_image_get_orientation(header) >= 5;
  g_object_unref(header);

  int failed = png && alpha       ? decode_png_alpha(path, width, fail_on, icc, decoded, out)
               : tiff_pages > 1 ? decode_tiff_pages(path, width, fail_on, icc, tiff_pages, expected, swapped, out)
                                : decode_shrunk(path, width, fail_on, icc, swapped, out);
  if (!failed && (*out)->Xsize == expected) return 0;
  if (!failed) {
    // Shrink-on-load picked a level of the wrong size (JPEG 2000's in 8.14): decode in full.
    g_object_unref(*out);
    *out = NULL;
    failed = decode_full(path, width, fail_on, icc, 0, out);
    if (!failed && (*out)->Xsize != expected) {
      vips_error(NULL, "decoded %d pixels wide instead of %d", (*out)->Xsize, expected);
      g_object_unref(*out);
      *out = NULL;
      return -1;
    }
    return failed;
  }
  char *message = take_errors();
  char *reason = first_line(message);
  if (profile) {
    // A damaged embedded profile: browsers show the image as sRGB, and so does Vignette.
    failed = decode_full(path, width, fail_on, icc, 1, out);
    if (!failed) notef("its embedded colour profile cannot be used (%s); treated as sRGB", reason);
  } else if (!png) {
    // A reduced-size copy inside the file (a TIFF overview) that cannot be read.
    failed = decode_full(path, width, fail_on, icc, 0, out);
    if (!failed) notef("its reduced-size copy cannot be read (%s); decoded from the full-size image", reason);
  }
  if (failed) {
    vips_error_clear();
    g_string_append(messages()->errors, message);
  }
  g_free(reason);
  g_free(message);
  return failed ? -1 : 0;
}

int cvips_decode(const char *path, int width, int fail_on, VipsImage **out) {
  vips_error_clear();
  return settled(decode(path, width, fail_on, out));
}

int cvips_thumbnail_image(VipsImage *in, int width, VipsImage **out) {
  return vips_thumbnail_image(in, out, width, "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN,
                              NULL);
}

// ---------------------------------------------------------------- colour / conversion
int cvips_to_srgb8(VipsImage *in, VipsImage **out) {
  VipsImage *srgb = NULL, *cast = NULL, *copy = NULL;
  if (vips_colourspace(in, &srgb, VIPS_INTERPRETATION_sRGB, NULL)) return -1;
  VipsBandFormat format = vips_image_get_format(srgb);
  if (format != VIPS_FORMAT_UCHAR) {
    // Integer samples wider than a byte that colourspace has left as they are (a 32-bit TIFF
    // tagged RGB, as Pillow's hopper_unknown_pixel_mode.tif) span their whole range: shifted
    // down to 8 bits, not clipped at 255, which turned that portrait into flat white, yellow
    // and red.
    int wide = format == VIPS_FORMAT_USHORT || format == VIPS_FORMAT_SHORT || format == VIPS_FORMAT_UINT ||
               format == VIPS_FORMAT_INT;
    if (vips_cast(srgb, &cast, VIPS_FORMAT_UCHAR, "shift", wide, NULL)) {
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

// The share of the picture libaom 3.x takes for screen content with intra block copy, from
// its own test (av1_set_screen_content_options, read in aom's encoder sources): luma 16x16
// blocks holding 2 to 4 distinct values, counted where their per-pixel variance rounds above
// zero. aom turns intra block copy on past 1/12 of the area, and then keeps hash tables of
// every block position: ~4x the memory and ~6x the time of a photo of the same size. Luma as
// libheif makes it from RGB (BT.601, full range). Written here because no listed library
// exposes aom's decision, and a pass over an in-memory luma plane costs a few milliseconds.
int cvips_av1_copy_blocks(VipsImage *in, double *share) {
  VipsImage *base = vips_image_new();
  VipsImage **t = (VipsImage **)vips_object_local_array(VIPS_OBJECT(base), 6);
  VipsImage *y;
  int bands = vips_image_get_bands(in);
  if (bands >= 3) {
    double weights[3] = {0.299, 0.587, 0.114};
    if (!(t[0] = vips_image_new_matrix_from_array(3, 1, weights, 3)) ||
        vips_extract_band(in, &t[1], 0, "n", 3, NULL) || vips_recomb(t[1], &t[2], t[0], NULL) ||
        vips_round(t[2], &t[3], VIPS_OPERATION_ROUND_RINT, NULL) || vips_cast_uchar(t[3], &t[4], NULL)) {
      g_object_unref(base);
      return -1;
    }
    y = t[4];
  } else {
    if (vips_extract_band(in, &t[1], 0, NULL) || vips_cast_uchar(t[1], &t[4], NULL)) {
      g_object_unref(base);
      return -1;
    }
    y = t[4];
  }
  size_t size = 0;
  unsigned char *p = vips_image_write_to_memory(y, &size);
  int w = vips_image_get_width(y), h = vips_image_get_height(y);
  g_object_unref(base);
  if (!p) return -1;
  long copy = 0;
  for (int r = 0; r + 16 <= h; r += 16)
    for (int c = 0; c + 16 <= w; c += 16) {
      unsigned char seen[256] = {0};
      int colors = 0;
      long sum = 0, squares = 0;
      for (int i = 0; i < 16; i++) {
        const unsigned char *row = p + (size_t)(r + i) * w + c;
        for (int j = 0; j < 16; j++) {
          int v = row[j];
          if (!seen[v]) seen[v] = 1, colors++;
          sum += v;
          squares += v * v;
        }
      }
      // aom: variance = sse - sum^2 / 256, per pixel rounded (ROUND_POWER_OF_TWO by 8).
      if (colors > 1 && colors <= 4 && ((squares - sum * sum / 256) + 128) / 256 > 0) copy++;
    }
  g_free(p);
  *share = w > 0 && h > 0 ? (double)copy * 256 / ((double)w * h) : 0;
  return 0;
}

void *cvips_write_to_memory(VipsImage *in, size_t *size) { return vips_image_write_to_memory(in, size); }

int cvips_open(const char *path, VipsImage **out) {
  vips_error_clear();
  *out = vips_image_new_from_file(path, NULL);
  return settled(*out ? 0 : -1);
}

int cvips_decode_check(const char *path, int fail_on) {
  vips_error_clear();
  VipsImage *image = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                              (VipsFailOn)fail_on, NULL);
  if (!image) return -1;
  double avg = 0;
  int result = vips_avg(image, &avg, NULL);
  g_object_unref(image);
  return settled(result);
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
int cvips_png_stripped(const char *path, void **buf, size_t *len) {
  vips_error_clear();
  VipsImage *image = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  if (!image) return -1;
  int failed = vips_pngsave_buffer(image, buf, len, "compression", 9, "strip", TRUE, NULL);
  g_object_unref(image);
  return settled(failed);
}
void cvips_free(void *p) { g_free(p); }

