// The corpus readers: a text corpus (a file, or a folder of train.txt and val.txt) and a
// parallel one (a TSV file, or a folder of src.txt and tgt.txt). The first byte picks the
// reader; the rest is the file (for a folder: two files, split at the first NUL byte).
// A text corpus that loads then goes the way training takes it: a char tokenizer built
// from it must encode every split and decode it back to the same text.
#include <string>

#include "data/corpus.h"
#include "data/parallel_corpus.h"
#include "data/tokenizer.h"
#include "fuzz/fuzz_support.h"

namespace {

void check_char_round_trip(const qkv::data::Corpus& c) {
  auto tok = qkv::data::build_tokenizer(qkv::data::TokenizerKind::char_, c);
  for (const std::string* split : {&c.train, &c.val, &c.test}) {
    std::vector<int32_t> ids = tok->encode(*split);
    QKV_FUZZ_ASSERT(tok->decode(ids) == *split, "char tokenizer: decode(encode(split)) differs from the split");
  }
}

// The two halves of `bytes` at its first NUL (the second empty when there is none).
std::pair<std::string_view, std::string_view> halves(std::string_view bytes) {
  size_t nul = bytes.find('\0');
  if (nul == std::string_view::npos) return {bytes, {}};
  return {bytes.substr(0, nul), bytes.substr(nul + 1)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qkv;
  if (size == 0) return 0;
  const std::string_view rest = fuzz::as_text(data + 1, size - 1);
  const std::string cache = (fuzz::scratch_dir() / "data-cache").string();
  fuzz::expect_only_qkv_errors([&] {
    switch (data[0] % 4) {
      case 0: {  // a text file: the last 10% of its characters validate
        check_char_round_trip(data::load_corpus(fuzz::write_scratch("corpus.txt", rest), cache));
        break;
      }
      case 1: {  // a TSV file of source<TAB>target lines
        fuzz::expect_only_qkv_errors([&] { data::parse_tsv(rest, "fuzz.tsv"); });
        data::ParallelCorpus c = data::load_parallel_corpus(fuzz::write_scratch("pairs.tsv", rest), cache);
        QKV_FUZZ_ASSERT(!c.train.empty() && !c.val.empty(), "a parallel corpus loaded with an empty split");
        break;
      }
      case 2: {  // a folder of src.txt and tgt.txt, line-aligned
        auto [src, tgt] = halves(rest);
        fuzz::write_scratch("aligned/src.txt", src);
        fuzz::write_scratch("aligned/tgt.txt", tgt);
        data::ParallelCorpus c = data::load_parallel_corpus((fuzz::scratch_dir() / "aligned").string(), cache);
        QKV_FUZZ_ASSERT(!c.train.empty() && !c.val.empty(), "a parallel corpus loaded with an empty split");
        break;
      }
      default: {  // a folder of train.txt and val.txt
        auto [train, val] = halves(rest);
        fuzz::write_scratch("splits/train.txt", train);
        fuzz::write_scratch("splits/val.txt", val);
        check_char_round_trip(data::load_corpus((fuzz::scratch_dir() / "splits").string(), cache));
        break;
      }
    }
  });
  return 0;
}
