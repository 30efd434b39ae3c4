// Train a small GPT through the library API, in one file: a corpus, a character
// tokenizer, batches, the model, AdamW with nanoGPT's schedule, and a sample.
//
//   ./build/examples/train_tiny_gpt [path/to/text.txt]   (default: a built-in verse)
#include <fmt/core.h>

#include <fstream>
#include <sstream>

#include "autograd/autograd.h"
#include "data/batcher.h"
#include "data/corpus.h"
#include "data/tokenizer.h"
#include "nn/gpt.h"
#include "optim/optim.h"
#include "infer/generate.h"

using namespace qkv;

int main(int argc, char** argv) {
  std::string text;
  if (argc > 1) {
    std::ifstream in(argv[1]);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  } else {
    for (int i = 0; i < 200; ++i) text += "In the beginning God created the heaven and the earth.\n";
  }
  data::Corpus corpus = data::split_text(text);  // last 10% is validation
  auto tokenizer = data::build_tokenizer(data::TokenizerKind::char_, corpus);
  data::TokenizedCorpus tokens = data::tokenize(corpus, *tokenizer);

  nn::ModelConfig cfg;  // a small GPT: 2 layers, 2 heads, 48 dims, 32 positions
  cfg.vocab_size = tokenizer->vocab_size();
  cfg.n_layer = 2;
  cfg.n_head = 2;
  cfg.n_embd = 48;
  cfg.block_size = 32;
  nn::GPT model(cfg, /*seed=*/1337);

  data::LMBatcher train_batches(tokens.train, /*batch_size=*/8, cfg.block_size);
  optim::OptimConfig settings;  // adamw
  settings.lr = 3e-3;
  settings.beta2 = 0.99;
  settings.weight_decay = 0.1;
  auto opt = optim::make_optimizer(settings, model.named_parameters());
  auto schedule =
      optim::make_schedule(optim::ScheduleKind::cosine, 3e-3, 3e-4, /*warmup_iters=*/20, /*lr_decay_iters=*/200);
  Generator data_gen(1337);

  for (int64_t step = 0; step < 200; ++step) {
    data::LMBatch batch = train_batches.next(data_gen);
    Tensor loss = model.loss(batch.x, batch.y);  // forward: every op records itself on the tape
    loss.backward();                             // replay the tape into .grad
    optim::clip_grad_norm(opt->parameters(), 1.0);
    opt->set_lr(schedule.at(step));
    opt->step();
    opt->zero_grad();
    if (step % 50 == 0 || step == 199) fmt::print("step {:3d}  loss {:.4f}\n", step, loss.item());
  }

  model.eval();
  SampleOptions sample;
  sample.max_new_tokens = 80;
  sample.temperature = 0.8;
  std::vector<int32_t> out = generate(model, tokenizer->encode("In the"), sample);
  fmt::print("sample: {}\n", tokenizer->decode(out));
  return 0;
}
