// SPDX-License-Identifier: MIT
// What traces/gxx_compile.trace.gz compiles: a function over std::map<std::string, int>.
#include <map>
#include <string>
int count(const std::map<std::string, int>& m) { int s = 0; for (auto& [k, v] : m) s += v + (int)k.size(); return s; }
