// Runs a libFuzzer target over its seed corpus and over deterministic mutations of it, so that the
// unit suite exercises the target on every build (the real fuzzer needs clang: tests/fuzz).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

TEST(FuzzReplay, SeedCorpusAndMutationsRunClean)
{
    std::vector<std::vector<uint8_t>> seeds;
    for (const auto& entry : std::filesystem::directory_iterator{FUZZ_CORPUS_DIR}) {
        std::ifstream in{entry.path(), std::ios::binary};
        seeds.emplace_back(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
    }
    ASSERT_FALSE(seeds.empty()) << "no seeds in " << FUZZ_CORPUS_DIR;
    std::mt19937 rng{12345};
    size_t runs = 0;
    for (const auto& seed : seeds) {
        LLVMFuzzerTestOneInput(seed.data(), seed.size());
        ++runs;
        for (int m = 0; m < 2000; ++m) {
            std::vector<uint8_t> input = seed;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits && !input.empty(); ++e) {
                const size_t at = rng() % input.size();
                switch (rng() % 4) {
                case 0: input[at] = static_cast<uint8_t>(rng()); break;      // flip a byte
                case 1: input.resize(at); break;                             // truncate
                case 2: input.insert(input.begin() + static_cast<std::ptrdiff_t>(at), static_cast<uint8_t>(rng())); break;
                case 3: input.erase(input.begin() + static_cast<std::ptrdiff_t>(at)); break;
                }
            }
            LLVMFuzzerTestOneInput(input.data(), input.size());
            ++runs;
        }
    }
    std::printf("%zu inputs from %zu seeds\n", runs, seeds.size());
}
