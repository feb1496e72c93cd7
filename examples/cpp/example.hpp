// What the three C++ examples share: the environment they read (TB_TARGET,
// TB_TASK_QUEUE, TB_CLEANUP_DIR), a random workflow ID, and just enough JSON
// (quoting a string, reading one top-level member of a response) to do
// without a JSON library. A real program would use its JSON library instead.
#pragma once

#include "temporal_bridge.hpp"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>

namespace example {

inline std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

inline std::string quote(std::string_view text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            out += escaped;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

// Connects to TB_TARGET (default 127.0.0.1:7233), namespace "default".
inline tb::Client connect() {
    return tb::Client::connect("{\"target\": " + quote(env_or("TB_TARGET", "127.0.0.1:7233")) +
                               ", \"namespace\": \"default\"}");
}

// "<prefix>_<random UUID v4>".
inline std::string new_workflow_id(const std::string& prefix) {
    std::random_device random;
    unsigned char b[16];
    for (auto& byte : b) byte = static_cast<unsigned char>(random());
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    char uuid[37];
    std::snprintf(uuid, sizeof uuid, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return prefix + "_" + uuid;
}

// ---- reading a response: one top-level member of a JSON object ----

inline size_t skip_space(std::string_view json, size_t i) {
    while (i < json.size() && std::string_view(" \t\r\n").find(json[i]) != std::string_view::npos) i++;
    return i;
}

// End of the (well-formed) JSON value starting at json[i].
inline size_t skip_value(std::string_view json, size_t i) {
    int depth = 0;
    do {
        char c = json[i];
        if (c == '"') {
            for (i++; json[i] != '"'; i++)
                if (json[i] == '\\') i++;
            i++;
        } else if (c == '{' || c == '[') {
            depth++, i++;
        } else if (c == '}' || c == ']') {
            depth--, i++;
        } else if (depth > 0) {
            i++;
        } else {
            while (i < json.size() && std::string_view(",}] \t\r\n").find(json[i]) == std::string_view::npos) i++;
        }
    } while (depth > 0 && i < json.size());
    return i;
}

// The text of member `key` of the top-level object `json`, e.g.
// "\"Hello, World!\"" or "[]"; empty if there is no such member.
inline std::string member(std::string_view json, std::string_view key) {
    size_t i = skip_space(json, 0);
    if (i >= json.size() || json[i] != '{') return "";
    for (i = skip_space(json, i + 1); i < json.size() && json[i] == '"'; i = skip_space(json, i)) {
        size_t name_end = skip_value(json, i);
        std::string_view name = json.substr(i + 1, name_end - i - 2);
        size_t value = skip_space(json, skip_space(json, name_end) + 1);  // past ':'
        size_t value_end = skip_value(json, value);
        if (name == key) return std::string(json.substr(value, value_end - value));
        i = skip_space(json, value_end);
        if (i < json.size() && json[i] == ',') i++;
    }
    return "";
}

// Member `key` as a plain string (IDs, statuses): quotes dropped.
inline std::string string_member(std::string_view json, std::string_view key) {
    std::string value = member(json, key);
    return value.size() >= 2 && value.front() == '"' ? value.substr(1, value.size() - 2) : "";
}

}  // namespace example
