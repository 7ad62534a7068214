// The floor for Vignette's image engine: Vignette's rendering method and nothing else, in
// plain C over libvips, so `bench/run.sh` can show what Vignette costs on top of the image
// work itself. Not part of the product; built by `bench/run.sh` with `cc` and `pkg-config vips libwebpmux`.
//
//   floor [--jobs N] [--widths 480,960,1920] [--formats webp,jpeg] [--quality-webp 80]
//         [--quality-jpeg 80] [--quality-avif 50] [--effort-webp 4] [--effort-avif 2]
//         [--avif-gate N] OUTDIR SOURCE...
//
// The method (the one README.md's "How images are handled" describes):
// - sources are taken largest first by `--jobs` worker threads (default 2), one image each;
//   libvips runs 1 thread per image and its operation cache is off;
// - widths: every configured width up to the source's (oriented) width, plus the source width
//   when it is below the largest configured width;
// - one shrink-on-load decode per source at the largest width (`vips_thumbnail`, EXIF
//   orientation applied; an embedded ICC profile (or CMYK) is converted to sRGB through ICC,
//   an untagged image keeps its values), as 8-bit sRGB, copied to memory. A PNG with an alpha band that is
//   opaque everywhere is decoded once, checked and resized without the band, as Vignette does;
// - each smaller width resized (lanczos3, `vips_thumbnail_image`) from that copy into memory;
// - each format encoded from the resized copy to a memory buffer, metadata stripped (JPEG
//   of an image with alpha flattened on white); a variant larger than a later format's at the
//   same width is dropped, as Vignette drops it. libvips 8.14.1's WebP encoder writes a small
//   EXIF block even when told to strip; like Vignette, the floor removes it with libwebpmux
//   (it decides whether a WebP is dropped, so the output sets would differ otherwise);
// - each kept variant written once to OUTDIR/<source name>.<width>w.<ext>.
// No hashing, no cache, no placeholder, no markup: that is what the floor leaves out.
// `--avif-gate N` lets at most N AVIF encodes run at once (default: no gate).
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>
#include <vips/vector.h>
#include <webp/mux.h>

enum { MAX_WIDTHS = 16, MAX_FORMATS = 4 };
typedef enum { AVIF, WEBP, JPEG, PNG } Format;
static const char *extensions[] = {"avif", "webp", "jpg", "png"};

typedef struct {
  const char *path;
  long pixels;
} Source;

static Source *sources;
static int source_count;
static atomic_int next_source;
static atomic_int variants_written;
static atomic_int failures;
static int widths[MAX_WIDTHS], width_count;
static Format formats[MAX_FORMATS];
static int format_count;
static int quality[4] = {50, 80, 80, 0}, effort[4] = {2, 4, 0, 0};
static const char *out_dir;
static int avif_gate;  // 0: no gate
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_free = PTHREAD_COND_INITIALIZER;
static int avif_running;

static void fail(const char *path, const char *what) {
  fprintf(stderr, "floor: %s: %s: %s\n", path, what, vips_error_buffer());
  vips_error_clear();
  atomic_fetch_add(&failures, 1);
}

static int compare_sources(const void *a, const void *b) {
  long pa = ((const Source *)a)->pixels, pb = ((const Source *)b)->pixels;
  return pa < pb ? 1 : pa > pb ? -1 : 0;
}

static int opaque_alpha(VipsImage *in) {
  VipsImage *alpha = NULL;
  double least = 0;
  if (vips_extract_band(in, &alpha, vips_image_get_bands(in) - 1, NULL)) return -1;
  int failed = vips_min(alpha, &least, NULL);
  g_object_unref(alpha);
  if (failed) return -1;
  return least >= (vips_image_get_format(in) == VIPS_FORMAT_USHORT ? 65535 : 255);
}

// The decode: shrink-on-load to `width`, 8-bit sRGB, metadata removed, in memory.
static VipsImage *decode(const char *path, int width, int tagged, int png_alpha) {
  const char *profile = tagged ? "srgb" : NULL;
  VipsImage *thumb = NULL;
  if (png_alpha) {
    VipsImage *seq = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                              VIPS_FAIL_ON_TRUNCATED, NULL);
    if (!seq) return NULL;
    VipsImage *decoded = vips_image_copy_memory(seq);
    g_object_unref(seq);
    if (!decoded) return NULL;
    int opaque = opaque_alpha(decoded);
    VipsImage *source = decoded;
    if (opaque < 0 ||
        (opaque && vips_extract_band(decoded, &source, 0, "n", vips_image_get_bands(decoded) - 1, NULL))) {
      g_object_unref(decoded);
      return NULL;
    }
    if (source != decoded) g_object_unref(decoded);
    int failed = vips_thumbnail_image(source, &thumb, width, "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN,
                                      "export_profile", profile, NULL);
    g_object_unref(source);
    if (failed) return NULL;
  } else if (vips_thumbnail(path, &thumb, width, "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN,
                            "export_profile", profile, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL)) {
    return NULL;
  }
  VipsImage *srgb = NULL, *cast = NULL;
  int failed = vips_colourspace(thumb, &srgb, VIPS_INTERPRETATION_sRGB, NULL);
  g_object_unref(thumb);
  if (failed) return NULL;
  if (vips_image_get_format(srgb) != VIPS_FORMAT_UCHAR) {
    failed = vips_cast_uchar(srgb, &cast, NULL);
    g_object_unref(srgb);
    if (failed) return NULL;
  } else {
    cast = srgb;
  }
  VipsImage *base = vips_image_copy_memory(cast);
  g_object_unref(cast);
  if (!base) return NULL;
  gchar **fields = vips_image_get_fields(base);
  for (int i = 0; fields[i]; i++)
    if (vips_isprefix("exif-", fields[i]) || vips_isprefix("xmp", fields[i]) || vips_isprefix("iptc", fields[i]) ||
        !strcmp(fields[i], VIPS_META_ICC_NAME) || !strcmp(fields[i], VIPS_META_PHOTOSHOP_NAME) ||
        !strcmp(fields[i], VIPS_META_ORIENTATION) || !strcmp(fields[i], VIPS_META_EXIF_NAME))
      vips_image_remove(base, fields[i]);
  g_strfreev(fields);
  return base;
}

static int strip_webp(void **buf, size_t *len) {
  WebPData input = {(const uint8_t *)*buf, *len};
  WebPMux *mux = WebPMuxCreate(&input, 0);
  if (!mux) return 0;
  int changed = 0;
  const char *chunks[] = {"EXIF", "XMP ", "ICCP"};
  for (int i = 0; i < 3; i++)
    if (WebPMuxDeleteChunk(mux, chunks[i]) == WEBP_MUX_OK) changed = 1;
  WebPData output;
  WebPDataInit(&output);
  if (changed && WebPMuxAssemble(mux, &output) == WEBP_MUX_OK) {
    g_free(*buf);
    *buf = g_memdup2(output.bytes, output.size);
    *len = output.size;
  }
  WebPDataClear(&output);
  WebPMuxDelete(mux);
  return 0;
}

static int encode(VipsImage *image, Format format, void **buf, size_t *len) {
  switch (format) {
  case AVIF:
    if (avif_gate) {
      pthread_mutex_lock(&gate_lock);
      while (avif_running >= avif_gate) pthread_cond_wait(&gate_free, &gate_lock);
      avif_running++;
      pthread_mutex_unlock(&gate_lock);
    }
    int failed = vips_heifsave_buffer(image, buf, len, "Q", quality[AVIF], "effort", effort[AVIF], "compression",
                                      VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "strip", TRUE, NULL);
    if (avif_gate) {
      pthread_mutex_lock(&gate_lock);
      avif_running--;
      pthread_cond_signal(&gate_free);
      pthread_mutex_unlock(&gate_lock);
    }
    return failed;
  case WEBP:
    if (vips_webpsave_buffer(image, buf, len, "Q", quality[WEBP], "effort", effort[WEBP], "strip", TRUE, NULL))
      return -1;
    return strip_webp(buf, len);
  case JPEG: {
    VipsImage *flat = image;
    if (vips_image_hasalpha(image)) {
      VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
      int failed = vips_flatten(image, &flat, "background", white, NULL);
      vips_area_unref(VIPS_AREA(white));
      if (failed) return -1;
    } else {
      g_object_ref(flat);
    }
    int failed = vips_jpegsave_buffer(flat, buf, len, "Q", quality[JPEG], "optimize_coding", TRUE, "strip", TRUE,
                                      "interlace", FALSE, NULL);
    g_object_unref(flat);
    return failed;
  }
  case PNG:
    return vips_pngsave_buffer(image, buf, len, "compression", 6, "strip", TRUE, NULL);
  }
  return -1;
}

static void write_file(const char *path, const void *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) != 0) {
    fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
    atomic_fetch_add(&failures, 1);
    return;
  }
  atomic_fetch_add(&variants_written, 1);
}

static void render(const char *path) {
  VipsImage *header = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  if (!header) return fail(path, "header");
  int oriented = vips_image_get_orientation(header) >= 5 ? vips_image_get_height(header)
                                                         : vips_image_get_width(header);
  int tagged = vips_image_get_typeof(header, VIPS_META_ICC_NAME) != 0 ||
               vips_image_get_interpretation(header) == VIPS_INTERPRETATION_CMYK;
  const char *loader = vips_foreign_find_load(path);
  int png_alpha = loader && strstr(loader, "Png") && vips_image_hasalpha(header);
  g_object_unref(header);

  // Widths, largest first.
  int list[MAX_WIDTHS + 1], count = 0, largest_configured = 0, has_source_width = 0;
  for (int i = width_count - 1; i >= 0; i--) {
    if (widths[i] > largest_configured) largest_configured = widths[i];
    if (widths[i] <= oriented) list[count++] = widths[i];
    if (widths[i] == oriented) has_source_width = 1;
  }
  if (oriented < largest_configured && !has_source_width) {
    memmove(list + 1, list, count * sizeof(int));
    list[0] = oriented;
    count++;
  }

  VipsImage *base = decode(path, list[0], tagged, png_alpha);
  if (!base) return fail(path, "decode");
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  int stem = (int)(strrchr(name, '.') ? strrchr(name, '.') - name : (long)strlen(name));
  for (int w = 0; w < count; w++) {
    VipsImage *image = base;
    if (vips_image_get_width(base) != list[w]) {
      VipsImage *lazy = NULL;
      if (vips_thumbnail_image(base, &lazy, list[w], "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN, NULL)) {
        fail(path, "resize");
        continue;
      }
      image = vips_image_copy_memory(lazy);
      g_object_unref(lazy);
      if (!image) {
        fail(path, "resize");
        continue;
      }
    } else {
      g_object_ref(image);
    }
    void *buffers[MAX_FORMATS] = {0};
    size_t lengths[MAX_FORMATS] = {0};
    for (int f = 0; f < format_count; f++)
      if (encode(image, formats[f], &buffers[f], &lengths[f])) {
        fail(path, extensions[formats[f]]);
        buffers[f] = NULL;
      }
    for (int f = 0; f < format_count; f++) {
      if (!buffers[f]) continue;
      int beaten = 0;
      for (int later = f + 1; later < format_count; later++)
        if (buffers[later] && lengths[later] < lengths[f]) beaten = 1;
      if (!beaten) {
        char out[4096];
        snprintf(out, sizeof out, "%s/%.*s.%dw.%s", out_dir, stem, name, list[w], extensions[formats[f]]);
        write_file(out, buffers[f], lengths[f]);
      }
    }
    for (int f = 0; f < format_count; f++) g_free(buffers[f]);
    g_object_unref(image);
  }
  g_object_unref(base);
}

static void *worker(void *unused) {
  (void)unused;
  int index;
  while ((index = atomic_fetch_add(&next_source, 1)) < source_count) {
    render(sources[index].path);
    vips_error_clear();
  }
  vips_thread_shutdown();
  return NULL;
}

static int parse_list(const char *text, int *out, int max) {
  int count = 0;
  for (const char *p = text; *p && count < max; p = strchr(p, ',') ? strchr(p, ',') + 1 : p + strlen(p))
    out[count++] = atoi(p);
  return count;
}

static void usage(void) {
  fprintf(stderr, "usage: floor [--jobs N] [--widths W,W] [--formats avif,webp,jpeg,png] [--quality-FORMAT Q]\n"
                  "             [--effort-webp E] [--effort-avif E] [--avif-gate N] OUTDIR SOURCE...\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (VIPS_INIT(argv[0])) vips_error_exit(NULL);
  // As Vignette does (Sources/CVipsShim/cvips.c): no liborc, whose code memory races on
  // libvips 8.14; the floor pays what Vignette pays.
  vips_vector_set_enabled(FALSE);
  vips_concurrency_set(1);
  vips_cache_set_max(0);
  vips_cache_set_max_mem(0);
  vips_cache_set_max_files(0);
  int jobs = 2;
  width_count = parse_list("480,960,1920", widths, MAX_WIDTHS);
  formats[0] = WEBP;
  formats[1] = JPEG;
  format_count = 2;
  int i = 1;
  for (; i < argc && !strncmp(argv[i], "--", 2); i += 2) {
    if (i + 1 >= argc) usage();
    const char *option = argv[i] + 2, *value = argv[i + 1];
    if (!strcmp(option, "jobs")) jobs = atoi(value);
    else if (!strcmp(option, "widths")) width_count = parse_list(value, widths, MAX_WIDTHS);
    else if (!strcmp(option, "avif-gate")) avif_gate = atoi(value);
    else if (!strcmp(option, "quality-avif")) quality[AVIF] = atoi(value);
    else if (!strcmp(option, "quality-webp")) quality[WEBP] = atoi(value);
    else if (!strcmp(option, "quality-jpeg")) quality[JPEG] = atoi(value);
    else if (!strcmp(option, "effort-avif")) effort[AVIF] = atoi(value);
    else if (!strcmp(option, "effort-webp")) effort[WEBP] = atoi(value);
    else if (!strcmp(option, "formats")) {
      format_count = 0;
      char *copy = strdup(value);
      for (char *token = strtok(copy, ","); token && format_count < MAX_FORMATS; token = strtok(NULL, ",")) {
        int known = 0;
        for (int f = 0; f < 4; f++)
          if (!strcmp(token, extensions[f]) || (f == JPEG && !strcmp(token, "jpeg"))) {
            formats[format_count++] = (Format)f;
            known = 1;
          }
        if (!known) usage();
      }
      free(copy);
    } else usage();
  }
  if (argc - i < 2 || jobs < 1 || width_count < 1 || format_count < 1) usage();
  out_dir = argv[i++];
  source_count = argc - i;
  sources = calloc(source_count, sizeof(Source));
  for (int s = 0; s < source_count; s++) {
    sources[s].path = argv[i + s];
    VipsImage *header = vips_image_new_from_file(sources[s].path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (header) {
      sources[s].pixels = (long)vips_image_get_width(header) * vips_image_get_height(header);
      g_object_unref(header);
    }
    vips_error_clear();
  }
  qsort(sources, source_count, sizeof(Source), compare_sources);

  pthread_t threads[64];
  if (jobs > 64) jobs = 64;
  for (int t = 0; t < jobs; t++) pthread_create(&threads[t], NULL, worker, NULL);
  for (int t = 0; t < jobs; t++) pthread_join(threads[t], NULL);
  fprintf(stderr, "floor: %d sources, %d variants written, %d failures\n", source_count,
          atomic_load(&variants_written), atomic_load(&failures));
  return atomic_load(&failures) ? 1 : 0;
}
