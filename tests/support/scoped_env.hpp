// Sets variables of this process's environment and puts the old values back. Only while no other
// thread of this process runs: getenv is not safe against a concurrent setenv.
#pragma once

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

namespace dmafeed::test {

class ScopedEnv {
public:
    explicit ScopedEnv(const std::map<std::string, std::string>& vars)
    {
        for (const auto& [name, value] : vars) {
            const char* old = std::getenv(name.c_str());
            saved_[name] = old ? std::optional<std::string>{old} : std::nullopt;
            ::setenv(name.c_str(), value.c_str(), 1);
        }
    }
    ~ScopedEnv()
    {
        for (const auto& [name, value] : saved_) {
            if (value) {
                ::setenv(name.c_str(), value->c_str(), 1);
            } else {
                ::unsetenv(name.c_str());
            }
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::map<std::string, std::optional<std::string>> saved_;
};

}  // namespace dmafeed::test
