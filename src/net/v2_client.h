/* The KServe v2 client, internal to src/net: libcurl (src/net/http_client.c), one kept
 * connection per client, HTTPS checked against a CA file. */
#ifndef EDGEPROF_NET_V2_CLIENT_H
#define EDGEPROF_NET_V2_CLIENT_H

#include "edgeprof/http.h"
#include "net/v2_codec.h"

typedef struct v2_client v2_client;

ep_status ep_v2_client_create(const ep_v2_client_options* options, v2_client** client_out);
void ep_v2_client_destroy(v2_client* client);
/* GET /v2/models/{model}. On failure *failure says why (and ep_last_error the details). */
ep_status ep_v2_client_metadata(v2_client* client, const char* model, ep_v2_metadata* metadata_out,
                             ep_net_failure* failure);
/* POST /v2/models/{model}/infer with `inputs`; the answer must carry exactly the tensors named in
 * `outputs` with their shapes, and their values are written to outputs[i].data (cast away: the
 * caller's buffers) only once all are checked. */
/* The HTTP status of the last answer (0 when none came). */
long ep_v2_client_last_status(const v2_client* client);
ep_status ep_v2_client_infer(v2_client* client, const char* model, const v2_out* inputs, int n_inputs,
                          const v2_out* outputs, int n_outputs, ep_client_timing* timing_out,
                          ep_net_failure* failure);

#endif /* EDGEPROF_NET_V2_CLIENT_H */
