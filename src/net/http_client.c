/* The KServe v2 client on libcurl: keep-alive, connect and request timeouts, HTTPS verified
 * against a CA file, the bearer token, and the binary tensor data extension both ways. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "edgeprof/platform.h"
#include "net/v2_client.h"

#define MAX_ANSWER ((size_t)1 << 30) /* bytes of one answer: bounds what a server can make us hold */

struct v2_client {
  CURL* curl;
  char base[1024]; /* "http://host:port" */
  char auth[300];  /* "Authorization: Bearer ..." */
  bool json_tensors;
  ep_net_buf request, answer;
  long long header_length; /* the answer's Inference-Header-Content-Length, -1 if none */
  long status;             /* of the last answer, 0 if none */
  char error[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;
static void init_curl(void) { curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT); }

void ep_v2_client_options_default(ep_v2_client_options* o) {
  memset(o, 0, sizeof *o);
  o->connect_timeout_s = 2;
  o->timeout_s = 30;
}

static size_t on_body(char* data, size_t size, size_t count, void* user) {
  v2_client* c = user;
  size_t n = size * count;
  if (c->answer.length + n > MAX_ANSWER) return 0; /* curl then fails the transfer */
  ep_net_put_bytes(&c->answer, data, n);
  return c->answer.failed ? 0 : n;
}

static size_t on_header(char* data, size_t size, size_t count, void* user) {
  v2_client* c = user;
  size_t n = size * count;
  static const char key[] = "Inference-Header-Content-Length:";
  if (n > sizeof key - 1 && strncasecmp(data, key, sizeof key - 1) == 0) {
    char text[32];
    size_t len = n - (sizeof key - 1) < sizeof text - 1 ? n - (sizeof key - 1) : sizeof text - 1;
    memcpy(text, data + sizeof key - 1, len);
    text[len] = '\0';
    char* end = NULL;
    long long v = strtoll(text, &end, 10);
    while (end != NULL && (*end == '\r' || *end == '\n' || *end == ' ')) end++;
    c->header_length = end != NULL && *end == '\0' && v >= 0 ? v : -2; /* -2: malformed */
  }
  return n;
}

ep_status ep_v2_client_create(const ep_v2_client_options* o, v2_client** out) {
  pthread_once(&curl_once, init_curl);
  if (curl_init_code != CURLE_OK) return ep_error(EP_ERR_SYSTEM, "libcurl failed to start");
  const char* url = o->url != NULL ? o->url : "";
  bool https = strncmp(url, "https://", 8) == 0;
  if (!https && strncmp(url, "http://", 7) != 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "a v2 server is http://HOST:PORT or https://HOST:PORT, got '%s'", url);
  }
  const char* host = url + (https ? 8 : 7);
  size_t host_length = strcspn(host, "/");
  if (host_length == 0 || (size_t)(host - url) + host_length >= sizeof((v2_client*)0)->base) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "no host in '%s'", url);
  }
  if (o->token != NULL && o->token_length > EP_NET_MAX_TOKEN) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "a token holds at most %d bytes", EP_NET_MAX_TOKEN);
  }
  v2_client* c = calloc(1, sizeof *c);
  if (c == NULL || (c->curl = curl_easy_init()) == NULL) {
    free(c);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for an HTTP client");
  }
  memcpy(c->base, url, (size_t)(host - url) + host_length);
  if (o->token != NULL) {
    snprintf(c->auth, sizeof c->auth, "Authorization: Bearer %.*s", (int)o->token_length,
             (const char*)o->token);
  }
  c->json_tensors = o->json_tensors;
  ep_net_buf_init(&c->request);
  ep_net_buf_init(&c->answer);
  CURL* h = c->curl;
  long connect_ms = (long)((o->connect_timeout_s > 0 ? o->connect_timeout_s : 2) * 1e3);
  long total_ms = (long)((o->timeout_s > 0 ? o->timeout_s : 30) * 1e3);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->error);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  if (o->ca_file != NULL) curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
  *out = c;
  return EP_OK;
}

void ep_v2_client_destroy(v2_client* c) {
  if (c == NULL) return;
  curl_easy_cleanup(c->curl);
  ep_net_buf_free(&c->request);
  ep_net_buf_free(&c->answer);
  free(c);
}

static ep_net_failure failure_of(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return EP_NET_FAIL_UNREACHABLE;
    case CURLE_OPERATION_TIMEDOUT: return EP_NET_FAIL_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION: return EP_NET_FAIL_UNTRUSTED;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE: return EP_NET_FAIL_REFUSED;
    default: return EP_NET_FAIL_DISCONNECTED;
  }
}

/* One request; the answer's body in c->answer. A status other than 200 is a failure whose
 * message is the server's "error" field. */
static ep_status perform(v2_client* c, const char* model, const char* action, bool post,
                         size_t header_length, ep_net_failure* failure) {
  char url[1400];
  snprintf(url, sizeof url, "%s/v2/models/%s%s%s", c->base, model, action[0] ? "/" : "", action);
  struct curl_slist* headers = NULL;
  char hl[80];
  if (c->auth[0] != '\0') headers = curl_slist_append(headers, c->auth);
  if (post) {
    bool binary = header_length < c->request.length;
    headers = curl_slist_append(headers, binary ? "Content-Type: application/octet-stream"
                                                : "Content-Type: application/json");
    if (binary) {
      snprintf(hl, sizeof hl, "Inference-Header-Content-Length: %zu", header_length);
      headers = curl_slist_append(headers, hl);
    }
    headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
  }
  CURL* h = c->curl;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  if (post) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char*)c->request.data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->request.length);
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  c->answer.length = 0;
  c->answer.failed = false;
  c->header_length = -1;
  c->error[0] = '\0';
  c->status = 0;
  CURLcode code = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    *failure = failure_of(code);
    return ep_error(*failure == EP_NET_FAIL_UNTRUSTED ? EP_ERR_UNTRUSTED : EP_ERR_IO, "%s: %s%s",
                    url, *failure == EP_NET_FAIL_UNTRUSTED ? "the server's certificate is not trusted: " : "",
                    c->error[0] ? c->error : curl_easy_strerror(code));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  c->status = status;
  if (status == 200) return EP_OK;
  *failure = status == 503 ? EP_NET_FAIL_BUSY : EP_NET_FAIL_REFUSED;
  char message[300] = "";
  cJSON* doc = cJSON_ParseWithLength((const char*)c->answer.data, c->answer.length);
  const cJSON* e = cJSON_GetObjectItemCaseSensitive(doc, "error");
  if (cJSON_IsString(e)) {
    size_t j = 0;
    for (const char* p = e->valuestring; *p != '\0' && j + 1 < sizeof message; p++) {
      message[j++] = *p >= 0x20 && *p < 0x7f ? *p : '?'; /* a server's words: printable only */
    }
    message[j] = '\0';
  }
  cJSON_Delete(doc);
  return ep_error(EP_ERR_IO, "%s: HTTP %ld%s%s", url, status, message[0] ? ": " : "", message);
}

static bool tensor_info(const cJSON* item, ep_v2_tensor_info* t) {
  const cJSON* name = cJSON_GetObjectItemCaseSensitive(item, "name");
  const cJSON* shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
  if (!cJSON_IsString(name) || strlen(name->valuestring) >= sizeof t->name || !cJSON_IsArray(shape) ||
      cJSON_GetArraySize(shape) > EP_MAX_RANK) {
    return false;
  }
  snprintf(t->name, sizeof t->name, "%s", name->valuestring);
  t->shape.rank = 0;
  for (const cJSON* d = shape->child; d != NULL; d = d->next) {
    if (!cJSON_IsNumber(d)) return false;
    t->shape.dims[t->shape.rank++] = (int64_t)d->valuedouble; /* -1: a dynamic size */
  }
  return true;
}

static bool tensor_list(const cJSON* list, ep_v2_tensor_info** out, int* n_out) {
  int n = cJSON_GetArraySize(list);
  if (!cJSON_IsArray(list) || n > V2_MAX_TENSORS) return false;
  *out = calloc((size_t)n + 1, sizeof **out);
  if (*out == NULL) return false;
  *n_out = n;
  int i = 0;
  for (const cJSON* t = list->child; t != NULL; t = t->next) {
    if (!tensor_info(t, &(*out)[i++])) return false;
  }
  return true;
}

long ep_v2_client_last_status(const v2_client* c) { return c->status; }

void ep_v2_metadata_free(ep_v2_metadata* m) {
  if (m == NULL) return;
  free(m->inputs);
  free(m->outputs);
  memset(m, 0, sizeof *m);
}

ep_status ep_v2_client_metadata(v2_client* c, const char* model, ep_v2_metadata* out,
                             ep_net_failure* failure) {
  *failure = EP_NET_FAIL_NONE;
  ep_status st = perform(c, model, "", false, 0, failure);
  if (st != EP_OK) return st;
  ep_v2_metadata m;
  memset(&m, 0, sizeof m);
  cJSON* doc = cJSON_ParseWithLength((const char*)c->answer.data, c->answer.length);
  bool ok = cJSON_IsObject(doc) &&
            tensor_list(cJSON_GetObjectItemCaseSensitive(doc, "inputs"), &m.inputs, &m.n_inputs) &&
            tensor_list(cJSON_GetObjectItemCaseSensitive(doc, "outputs"), &m.outputs, &m.n_outputs);
  cJSON_Delete(doc);
  if (!ok) {
    ep_v2_metadata_free(&m);
    *failure = EP_NET_FAIL_PROTOCOL;
    return ep_error(EP_ERR_IO, "the metadata of model '%s' is not v2 model metadata", model);
  }
  *out = m;
  return EP_OK;
}

ep_status ep_v2_client_infer(v2_client* c, const char* model, const v2_out* inputs, int n_inputs,
                          const v2_out* outputs, int n_outputs, ep_client_timing* timing,
                          ep_net_failure* failure) {
  *failure = EP_NET_FAIL_NONE;
  memset(timing, 0, sizeof *timing);
  double start = ep_now();
  size_t header_length = 0;
  char why[300];
  v2_out* sent = calloc((size_t)n_inputs + 1, sizeof *sent);
  if (sent == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a request");
  for (int i = 0; i < n_inputs; i++) {
    sent[i] = inputs[i];
    sent[i].binary = !c->json_tensors;
  }
  bool ok = ep_v2_write(&c->request, true, model, NULL, sent, n_inputs, !c->json_tensors,
                     &header_length, why, sizeof why);
  free(sent);
  if (!ok) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s", why);
  double encoded = ep_now();
  ep_status st = perform(c, model, "infer", true, header_length, failure);
  double done = ep_now();
  double pretransfer = 0;
  curl_easy_getinfo(c->curl, CURLINFO_PRETRANSFER_TIME, &pretransfer);
  timing->upload_s = (encoded - start) + pretransfer;
  timing->wait_s = done - encoded - pretransfer;
  timing->upload_bytes = (int64_t)c->request.length;
  timing->download_bytes = (int64_t)c->answer.length;
  if (st != EP_OK) return st;
  if (c->header_length == -2) {
    *failure = EP_NET_FAIL_PROTOCOL;
    return ep_error(EP_ERR_IO, "a malformed Inference-Header-Content-Length");
  }
  v2_message m;
  if (!ep_v2_parse(c->answer.data, c->answer.length, c->header_length, false, &m, why, sizeof why)) {
    *failure = EP_NET_FAIL_PROTOCOL;
    return ep_error(EP_ERR_IO, "the answer of model '%s': %s", model, why);
  }
  /* Every output asked for, by name, with its shape; then (and only then) the values. */
  int* found = calloc((size_t)n_outputs + 1, sizeof *found);
  st = found != NULL ? EP_OK : ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for an answer");
  for (int i = 0; i < n_outputs && st == EP_OK; i++) {
    found[i] = -1;
    for (int j = 0; j < m.n_tensors; j++) {
      if (strcmp(m.tensors[j].name, outputs[i].name) == 0) found[i] = j;
    }
    char a[64], b[64];
    if (found[i] < 0) {
      st = ep_error(EP_ERR_IO, "the answer lacks output '%s'", outputs[i].name);
    } else if (!ep_shape_equal(&m.tensors[found[i]].shape, &outputs[i].shape)) {
      st = ep_error(EP_ERR_IO, "output '%s' is %s, expected %s", outputs[i].name,
                    ep_shape_format(&m.tensors[found[i]].shape, a, sizeof a),
                    ep_shape_format(&outputs[i].shape, b, sizeof b));
    }
  }
  for (int i = 0; i < n_outputs && st == EP_OK; i++) {
    memcpy((float*)outputs[i].data, m.tensors[found[i]].data, m.tensors[found[i]].numel * 4);
  }
  if (st != EP_OK) *failure = EP_NET_FAIL_PROTOCOL;
  free(found);
  ep_v2_message_free(&m);
  return st;
}
