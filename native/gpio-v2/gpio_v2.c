/*
 * The GPIO character device's v2 uAPI (Linux 5.10 and later; the only one on kernels built without
 * CONFIG_GPIO_CDEV_V1, as trixie-backports' 7.x and the Pi 5), as small as src/hw/io/gpio-v2-chip.ts
 * needs it: chip info, a line request (one fd for one or more lines, with direction, bias and edges),
 * values got and set, edge events read from the request's fd on Node's own loop (uv_poll: no thread,
 * no child process). Plain C on node_api.h, built without node-gyp:
 *   cc -O2 -shared -fPIC -I<node headers>/include/node -o gpio_v2.node gpio_v2.c
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uv.h>

#define CHECK(call) do { if ((call) != napi_ok) return NULL; } while (0)

static napi_value fail(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value m, code, e;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_int32(env, err, &code);
  napi_create_error(env, NULL, m, &e);
  napi_set_named_property(env, e, "errno", code);
  napi_throw(env, e);
  return NULL;
}

static int args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "gpio_v2: too few arguments");
    return 0;
  }
  return 1;
}

static napi_value num(napi_env env, double v) { napi_value r; napi_create_double(env, v, &r); return r; }

/* chipInfo(path) -> { name, label, lines } */
static napi_value chip_info(napi_env env, napi_callback_info info) {
  napi_value argv[1], out, s;
  char path[256];
  if (!args(env, info, 1, argv)) return NULL;
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, NULL));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(env, path, errno);
  struct gpiochip_info ci;
  memset(&ci, 0, sizeof ci);
  int r = ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &ci), err = errno;
  close(fd);
  if (r < 0) return fail(env, path, err);
  CHECK(napi_create_object(env, &out));
  napi_create_string_utf8(env, ci.name, strnlen(ci.name, sizeof ci.name), &s);
  napi_set_named_property(env, out, "name", s);
  napi_create_string_utf8(env, ci.label, strnlen(ci.label, sizeof ci.label), &s);
  napi_set_named_property(env, out, "label", s);
  napi_set_named_property(env, out, "lines", num(env, ci.lines));
  return out;
}

/* request(path, offsets[], flags, values, consumer) -> fd; values: bit i is offsets[i]'s initial output level */
static napi_value request(napi_env env, napi_callback_info info) {
  napi_value argv[5], v;
  char path[256];
  uint32_t n, i, off;
  int64_t flags, values;
  if (!args(env, info, 5, argv)) return NULL;
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, NULL));
  CHECK(napi_get_array_length(env, argv[1], &n));
  if (n == 0 || n > 32) { napi_throw_range_error(env, NULL, "gpio_v2: 1 to 32 lines a request"); return NULL; }
  CHECK(napi_get_value_int64(env, argv[2], &flags));
  CHECK(napi_get_value_int64(env, argv[3], &values));
  struct gpio_v2_line_request req;
  memset(&req, 0, sizeof req);
  for (i = 0; i < n; i++) {
    CHECK(napi_get_element(env, argv[1], i, &v));
    CHECK(napi_get_value_uint32(env, v, &off));
    req.offsets[i] = off;
  }
  req.num_lines = n;
  req.config.flags = (uint64_t)flags;
  if (flags & GPIO_V2_LINE_FLAG_OUTPUT) {
    req.config.num_attrs = 1;
    req.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
    req.config.attrs[0].attr.values = (uint64_t)values;
    req.config.attrs[0].mask = (n == 64) ? ~0ULL : ((1ULL << n) - 1);
  }
  CHECK(napi_get_value_string_utf8(env, argv[4], req.consumer, sizeof req.consumer, NULL));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(env, path, errno);
  int r = ioctl(fd, GPIO_V2_GET_LINE_IOCTL, &req), err = errno;
  close(fd); /* the request's own fd holds the lines */
  if (r < 0) return fail(env, "GPIO_V2_GET_LINE_IOCTL", err);
  return num(env, req.fd);
}

/* getValues(fd, mask) -> bits */
static napi_value get_values(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd; int64_t mask;
  if (!args(env, info, 2, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int64(env, argv[1], &mask));
  struct gpio_v2_line_values lv = { .bits = 0, .mask = (uint64_t)mask };
  if (ioctl(fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &lv) < 0) return fail(env, "GPIO_V2_LINE_GET_VALUES_IOCTL", errno);
  return num(env, (double)lv.bits);
}

/* setValues(fd, bits, mask) */
static napi_value set_values(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd; int64_t bits, mask;
  if (!args(env, info, 3, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int64(env, argv[1], &bits));
  CHECK(napi_get_value_int64(env, argv[2], &mask));
  struct gpio_v2_line_values lv = { .bits = (uint64_t)bits, .mask = (uint64_t)mask };
  if (ioctl(fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &lv) < 0) return fail(env, "GPIO_V2_LINE_SET_VALUES_IOCTL", errno);
  return NULL;
}

static napi_value close_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!args(env, info, 1, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (close(fd) < 0) return fail(env, "close", errno);
  return NULL;
}

/* watch(fd, callback(offset, rising, errno)) -> handle; unwatch(handle). Events are read on Node's loop. */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  int fd;
} watch_t;

static void call(watch_t *w, double offset, double rising, double err) {
  napi_handle_scope scope;
  napi_value cb, global, argv[3];
  if (!w->cb) return; /* unwatched by an earlier callback of the same read */
  napi_open_handle_scope(w->env, &scope);
  napi_get_reference_value(w->env, w->cb, &cb);
  napi_get_global(w->env, &global);
  argv[0] = num(w->env, offset);
  argv[1] = num(w->env, rising);
  argv[2] = num(w->env, err);
  napi_make_callback(w->env, NULL, global, cb, 3, argv, NULL);
  napi_close_handle_scope(w->env, scope);
}

static void on_readable(uv_poll_t *p, int status, int events) {
  watch_t *w = (watch_t *)p;
  (void)events;
  if (status < 0) { uv_poll_stop(p); call(w, -1, 0, -status); return; }
  struct gpio_v2_line_event ev[16];
  ssize_t r = read(w->fd, ev, sizeof ev);
  if (r < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    uv_poll_stop(p);
    call(w, -1, 0, errno);
    return;
  }
  for (size_t i = 0; i < (size_t)r / sizeof ev[0] && w->cb; i++)
    call(w, ev[i].offset, ev[i].id == GPIO_V2_LINE_EVENT_RISING_EDGE, 0);
}

static void on_closed(uv_handle_t *h) { free(h); }

static napi_value watch(napi_env env, napi_callback_info info) {
  napi_value argv[2], handle;
  int32_t fd;
  uv_loop_t *loop;
  if (!args(env, info, 2, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_uv_event_loop(env, &loop));
  watch_t *w = calloc(1, sizeof *w);
  if (!w) return fail(env, "watch", ENOMEM);
  w->env = env;
  w->fd = fd;
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  if (uv_poll_init(loop, &w->poll, fd) < 0) {
    free(w);
    return fail(env, "uv_poll_init", EINVAL);
  }
  if (uv_poll_start(&w->poll, UV_READABLE, on_readable) < 0) {
    uv_close((uv_handle_t *)&w->poll, on_closed);
    return fail(env, "uv_poll_start", EINVAL);
  }
  napi_create_reference(env, argv[1], 1, &w->cb);
  CHECK(napi_create_external(env, w, NULL, NULL, &handle));
  return handle;
}

static napi_value unwatch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  watch_t *w;
  if (!args(env, info, 1, argv)) return NULL;
  CHECK(napi_get_value_external(env, argv[0], (void **)&w));
  if (!w || !w->cb) return NULL;
  napi_delete_reference(env, w->cb);
  w->cb = NULL;
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, on_closed);
  return NULL;
}

static void put(napi_env env, napi_value exports, const char *name, napi_callback f) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, f, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

static napi_value init(napi_env env, napi_value exports) {
  put(env, exports, "chipInfo", chip_info);
  put(env, exports, "request", request);
  put(env, exports, "getValues", get_values);
  put(env, exports, "setValues", set_values);
  put(env, exports, "close", close_fd);
  put(env, exports, "watch", watch);
  put(env, exports, "unwatch", unwatch);
  napi_value flags;
  napi_create_object(env, &flags);
  napi_set_named_property(env, flags, "INPUT", num(env, GPIO_V2_LINE_FLAG_INPUT));
  napi_set_named_property(env, flags, "OUTPUT", num(env, GPIO_V2_LINE_FLAG_OUTPUT));
  napi_set_named_property(env, flags, "EDGE_RISING", num(env, GPIO_V2_LINE_FLAG_EDGE_RISING));
  napi_set_named_property(env, flags, "EDGE_FALLING", num(env, GPIO_V2_LINE_FLAG_EDGE_FALLING));
  napi_set_named_property(env, flags, "BIAS_PULL_UP", num(env, GPIO_V2_LINE_FLAG_BIAS_PULL_UP));
  napi_set_named_property(env, flags, "BIAS_PULL_DOWN", num(env, GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN));
  napi_set_named_property(env, flags, "BIAS_DISABLED", num(env, GPIO_V2_LINE_FLAG_BIAS_DISABLED));
  napi_set_named_property(env, exports, "flags", flags);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
