// Runs a libFuzzer target without libFuzzer: every file of a seed corpus, then N inputs made by
// seeded random mutations of the seeds (bit flips, truncation, splices, random bytes). Used as a
// ctest so every build feeds each parser junk; real coverage-guided runs use -DALCOR_FUZZ=ON.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
    return 2;
  }
  long iterations = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 10000;
  std::vector<std::vector<uint8_t>> seeds;
  std::error_code ec;
  if (std::filesystem::is_directory(argv[1], ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
      std::ifstream in(entry.path(), std::ios::binary);
      seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  seeds.emplace_back();  // the empty input
  for (const auto& s : seeds) LLVMFuzzerTestOneInput(s.data(), s.size());

  std::mt19937_64 rng(12345);
  for (long i = 0; i < iterations; ++i) {
    std::vector<uint8_t> input = seeds[rng() % seeds.size()];
    int mutations = 1 + static_cast<int>(rng() % 8);
    for (int m = 0; m < mutations; ++m) {
      switch (rng() % 5) {
        case 0:  // flip a bit
          if (!input.empty())
            input[rng() % input.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 1:  // truncate
          if (!input.empty()) input.resize(rng() % input.size());
          break;
        case 2:  // random byte somewhere
          input.insert(input.begin() + static_cast<long>(input.empty() ? 0 : rng() % input.size()),
                       static_cast<uint8_t>(rng()));
          break;
        case 3: {  // splice another seed in
          const auto& other = seeds[rng() % seeds.size()];
          if (!other.empty()) {
            size_t from = rng() % other.size();
            input.insert(input.end(), other.begin() + static_cast<long>(from), other.end());
          }
          break;
        }
        case 4:  // overwrite with an interesting value
          if (input.size() >= 2) {
            static const uint8_t kInteresting[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe};
            input[rng() % input.size()] = kInteresting[rng() % sizeof(kInteresting)];
          }
          break;
      }
    }
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("%zu seeds, %ld mutated inputs: no crash\n", seeds.size(), iterations);
  return 0;
}
