// The training loop end to end on a small text file: exact resume, checkpoints that
// h5py and qkv read back, and a NaN loss that stops with a clear error.
#include <catch2/catch.hpp>

#include "tiny_corpus.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "io/checkpoint.h"
#include "io/hdf5_file.h"
#include "train/metrics.h"
#include "config/model_io.h"
#include "io/checkpoint_files.h"
#include "train/trainer.h"

using namespace qkv;
using Catch::Contains;
namespace fs = std::filesystem;
using qkv::testing::temp_dir;
using qkv::testing::write_corpus;
using qkv::testing::write_pairs;

namespace {

RunConfig tiny_config(const std::string& corpus, const fs::path& out, int64_t iters) {
  RunConfig c;
  c.data.corpus = corpus;
  c.model.n_layer = 1;
  c.model.n_head = 2;
  c.model.n_embd = 16;
  c.model.block_size = 16;
  c.model.dropout = 0.1;  // so the dropout generator's state matters for resume
  c.train.max_iters = iters;
  c.train.batch_size = 4;
  c.train.eval_interval = 3;
  c.train.eval_iters = 2;
  c.train.log_interval = 1;
  c.train.checkpoint_interval = 3;
  c.train.keep_checkpoints = 5;
  c.train.out = out.string();
  c.optim.warmup_iters = 2;
  c.optim.lr_decay_iters = 6;
  return c;
}

// A tiny training run of `iters` steps in DIR/run (progress off).
TrainOptions tiny_run(const fs::path& dir, int64_t iters) {
  TrainOptions opt;
  opt.config = tiny_config(write_corpus(dir), dir / "run", iters);
  opt.progress = false;
  return opt;
}

std::vector<std::string> metric_lines(const fs::path& out) {
  std::ifstream in(out / "metrics.csv");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) {
    // step,train_loss,val_loss,lr: drop the timing columns, which differ between runs
    size_t cut = 0;
    for (int commas = 0; commas < 4 && cut != std::string::npos; ++commas) cut = l.find(',', cut + 1);
    lines.push_back(l.substr(0, cut));
  }
  return lines;
}

}  // namespace

TEST_CASE("resume continues bit for bit", "[train]") {
  // A GPT on text, and an encoder-decoder on sentence pairs (the translation task).
  const bool seq2seq = GENERATE(false, true);
  INFO((seq2seq ? "seq2seq" : "gpt"));
  fs::path dir = temp_dir("resume");
  std::string corpus = seq2seq ? write_pairs(dir) : write_corpus(dir);
  auto config = [&](const fs::path& out) {
    RunConfig c = tiny_config(corpus, out, 6);
    if (seq2seq) {
      c.model.kind = nn::ModelKind::seq2seq;
      c.model.block_size = 32;  // a character-level sentence of the pairs fits
    }
    return c;
  };

  TrainOptions straight;
  straight.config = config(dir / "straight");
  straight.progress = false;
  TrainResult a = train(straight);
  REQUIRE(a.steps == 6);

  TrainOptions first = straight;
  first.config = config(dir / "split");
  first.config.train.max_iters = 3;  // stop after 3 steps (a checkpoint is written there)
  train(first);
  TrainOptions rest = first;
  rest.config.train.max_iters = 6;
  rest.resume = true;
  TrainResult b = train(rest);
  REQUIRE(b.steps == 6);

  CHECK(a.last_train_loss == b.last_train_loss);
  CHECK(a.last_val_loss == b.last_val_loss);
  Checkpoint ca = load_checkpoint(checkpoint_path((dir / "straight").string(), 6));
  Checkpoint cb = load_checkpoint(checkpoint_path((dir / "split").string(), 6));
  REQUIRE(ca.params.size() == cb.params.size());
  for (const auto& [name, t] : ca.params) {
    INFO(name);
    CHECK(t.to_vector<float>() == cb.params.at(name).to_vector<float>());
  }
  // Each step's losses appear once, and match the uninterrupted run's.
  CHECK(metric_lines(dir / "straight") == metric_lines(dir / "split"));
  fs::remove_all(dir);
}

TEST_CASE("a checkpoint is self-contained and loads back into a model", "[train]") {
  fs::path dir = temp_dir("ckpt");
  TrainResult r = train(tiny_run(dir, 3));
  LoadedModel m = load_model(r.last_checkpoint);
  CHECK(m.checkpoint.step == 3);
  CHECK(m.tokenizer->kind() == "char");
  CHECK(m.tokenizer->decode(m.tokenizer->encode("the cat sat")) == "the cat sat");
  CHECK(m.model->num_parameters() > 0);
  CHECK(m.config.model.n_embd == 16);
  CHECK(fs::exists(dir / "run" / "best.h5"));
  CHECK_FALSE(fs::exists(r.last_checkpoint + ".tmp"));

  Hdf5File f = Hdf5File::open(r.last_checkpoint);
  CHECK(f.attr_string("format") == "qkv-checkpoint");
  CHECK(f.has("params/blocks.0.attn.q_proj.weight"));
  CHECK(f.has("optim/blocks.0.attn.q_proj.weight/exp_avg"));
  fs::remove_all(dir);
}

TEST_CASE("h5py reads every parameter of a qkv checkpoint by name", "[train][h5py]") {
  if (std::system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0) {
    WARN("skipped: /usr/bin/python3 cannot import h5py (apt-get install python3-h5py)");
    return;
  }
  fs::path dir = temp_dir("h5py");
  TrainResult r = train(tiny_run(dir, 3));
  Checkpoint c = load_checkpoint(r.last_checkpoint);
  fs::path script = dir / "read.py";
  std::ofstream(script) << "import h5py, sys\n"
                           "f = h5py.File(sys.argv[1], 'r')\n"
                           "assert f.attrs['format'] == 'qkv-checkpoint', f.attrs['format']\n"
                           "assert 'n_embd = 16' in f.attrs['config']\n"
                           "names = sorted(f['params'].keys())\n"
                           "print(len(names), sum(f['params'][n][()].size for n in names))\n";
  std::string cmd = "/usr/bin/python3 " + script.string() + " " + r.last_checkpoint + " > " + (dir / "out.txt").string();
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream in(dir / "out.txt");
  int64_t count = 0, total = 0;
  in >> count >> total;
  int64_t expected = 0;
  for (const auto& [name, t] : c.params) expected += t.numel();
  CHECK(count == static_cast<int64_t>(c.params.size()));
  CHECK(total == expected);
  fs::remove_all(dir);
}

TEST_CASE("a NaN loss stops training with an error naming the step", "[train]") {
  fs::path dir = temp_dir("nan");
  TrainOptions opt = tiny_run(dir, 4);
  opt.config.optim.lr = 1e30;  // diverges within a few steps
  opt.config.optim.warmup_iters = 0;
  opt.config.optim.grad_clip = 0;
  REQUIRE_THROWS_WITH(train(opt), Contains("train: loss is") && Contains("at step") && Contains("expected a finite number"));
  fs::remove_all(dir);
}

TEST_CASE("resume without a checkpoint and resume with another model shape are clear errors", "[train]") {
  fs::path dir = temp_dir("resume_err");
  TrainOptions opt = tiny_run(dir, 3);
  opt.resume = true;
  REQUIRE_THROWS_WITH(train(opt), Contains("--resume: no checkpoint"));
  opt.resume = false;
  train(opt);
  opt.resume = true;
  opt.config.model.n_embd = 32;
  opt.config.train.max_iters = 6;
  REQUIRE_THROWS_WITH(train(opt), Contains("--resume: model.n_embd is 32") && Contains("was trained with 16"));
  fs::remove_all(dir);
}

TEST_CASE("a SentencePiece tokenizer is trained and saved in the checkpoint and reloaded", "[train]") {
  fs::path dir = temp_dir("spm");
  TrainOptions opt = tiny_run(dir, 2);
  opt.config.data.tokenizer = data::TokenizerKind::bpe;
  opt.config.data.vocab_size = 300;
  TrainResult r = train(opt);
  LoadedModel m = load_model(r.last_checkpoint);
  CHECK(m.tokenizer->kind() == "bpe");
  CHECK(m.tokenizer->vocab_size() == 300);
  CHECK(m.model->config().vocab_size == 300);
  const std::string text = "the cat sat on the mat 3 times.";
  std::vector<int32_t> ids = m.tokenizer->encode(text);
  CHECK(ids.size() < text.size());  // subwords, not characters
  CHECK(m.tokenizer->decode(ids) == text);
  fs::remove_all(dir);
}
