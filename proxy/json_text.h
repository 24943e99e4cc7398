// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// json_text.h: JSON string literals, for the documents the CLI builds (the
// verifier's and the engine's configuration) and for the log lines.

#ifndef AUTHGATE_PROXY_JSON_TEXT_H_
#define AUTHGATE_PROXY_JSON_TEXT_H_

#include <string>
#include <string_view>

namespace authgate_cli {

// AppendJsonString appends `text` to *out as a JSON string literal. With
// `replace_invalid_utf8`, bytes that are not valid UTF-8 become U+FFFD (a
// log line stays JSON whatever a client sent); without, they pass through,
// so that the strict parser reading the document reports them.
void AppendJsonString(std::string_view text, std::string* out, bool replace_invalid_utf8 = true);

// JsonString returns `text` as a JSON string literal, bytes passed through.
std::string JsonString(std::string_view text);

}  // namespace authgate_cli

#endif  // AUTHGATE_PROXY_JSON_TEXT_H_
