// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// http_server.h: `authgate serve`'s HTTP side (Boost.Beast, kept to
// http_server.cc because it compiles slowly). It asks the engine about
// every request through the C ABI and proxies the allowed ones.
//
// Threads: one event loop per worker (settings.threads, default one per
// core), each owning its client connections and a pool of keep-alive
// upstream connections; one acceptor hands connections out in turn. An
// engine decision that needs the network (a token exchange, a refresh, a
// key refetch) suspends only its own request: the engine's callback wakes
// it on its worker.

#ifndef AUTHGATE_PROXY_HTTP_SERVER_H_
#define AUTHGATE_PROXY_HTTP_SERVER_H_

#include "authgate/authgate.h"
#include "log.h"
#include "server_settings.h"

namespace authgate_cli {

// RunServer listens and serves until SIGTERM or SIGINT, then drains
// (docs/config.md "sidecar"). Returns the process exit code: 0 after a
// shutdown, 1 when a listener cannot be set up (logged). It takes `engine`
// and frees it before its event loops go, so that no late engine callback
// can reach a destroyed loop. `access_log` may be null (access_log: false).
int RunServer(const ServerSettings& settings, authgate_engine* engine, Logger* logger,
              AccessLog* access_log);

}  // namespace authgate_cli

#endif  // AUTHGATE_PROXY_HTTP_SERVER_H_
