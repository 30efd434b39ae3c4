#include "train/trainer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <optional>

#include "autograd/ops/binary.h"
#include "cpu/parallel.h"
#include "base/profile.h"
#include "autograd/tape.h"
#include "data/corpus.h"
#include "optim/clip.h"
#include "optim/factory.h"
#include "optim/schedule.h"
#include "io/plot.h"
#include "train/metrics.h"
#include "io/checkpoint.h"
#include "io/checkpoint_files.h"
#include "train/training_task.h"

namespace qkv {
namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_sigint(int) { g_stop = 1; }

// Restores the previous SIGINT handler when training returns or throws.
class SigintScope {
 public:
  SigintScope() { previous_ = std::signal(SIGINT, on_sigint); }
  ~SigintScope() { std::signal(SIGINT, previous_); }

 private:
  void (*previous_)(int);
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  int64_t t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02d}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

// The progress line: rewritten in place on a terminal, plain lines otherwise.
class Progress {
 public:
  explicit Progress(bool on) : on_(on), tty_(isatty(STDOUT_FILENO)) {}
  void step(int64_t step, int64_t total, double loss, double lr, double tok_s, double eta_s, bool log_line) {
    if (!on_) return;
    std::string line = fmt::format("step {}/{} | loss {:.4f} | lr {:.2e} | {:.0f} tok/s | ETA {}", step, total, loss,
                                   lr, tok_s, format_duration(eta_s));
    if (tty_) {
      fmt::print("\r{:<90}", line);
      std::fflush(stdout);
    } else if (log_line) {
      fmt::print("{}\n", line);
      std::fflush(stdout);
    }
  }
  void message(const std::string& text) {
    if (!on_) return;
    fmt::print("{}{}\n", tty_ ? "\r\33[2K" : "", text);
    std::fflush(stdout);
  }

 private:
  bool on_, tty_;
};


}  // namespace

void request_stop() { g_stop = 1; }

TrainResult train(const TrainOptions& options) {
  const auto started = Clock::now();
  RunConfig cfg = options.config;
  validate(cfg);
  const TrainConfig& tc = cfg.train;
  if (tc.threads > 0) set_num_threads(static_cast<int>(tc.threads));
  Progress progress(options.progress);
  g_stop = 0;

  std::optional<Checkpoint> resumed;
  if (options.resume) {
    std::string path = newest_checkpoint(tc.out);
    QKV_CHECK(!path.empty(), "train: --resume: no checkpoint (ckpt-*.h5) in {}", tc.out);
    resumed = load_checkpoint(path);
    progress.message(fmt::format("resuming from {} (step {})", path, resumed->step));
  }
  fs::create_directories(tc.out);

  // Data and model: the task's (the tokenizer is the checkpoint's when resuming).
  std::unique_ptr<TrainingTask> task =
      make_training_task(cfg, options.data_dir.empty() ? data::default_data_dir() : options.data_dir,
                         resumed ? data::load_tokenizer(resumed->tokenizer_blob) : nullptr);
  nn::Module& model = task->model();
  const data::Tokenizer& tokenizer = task->tokenizer();

  std::unique_ptr<optim::Optimizer> opt = optim::make_optimizer(cfg.optim, model.named_parameters());
  optim::LrSchedule schedule = optim::make_schedule(cfg.optim.schedule, cfg.optim.lr, cfg.optim.min_lr,
                                                    cfg.optim.warmup_iters, cfg.optim.lr_decay_iters);
  Generator data_gen(static_cast<uint64_t>(tc.seed));
  const uint64_t eval_seed = static_cast<uint64_t>(tc.seed) ^ 0x5eedULL;

  TrainResult result;
  int64_t step = 0, tokens_seen = 0;
  if (resumed) {
    try {
      model.load_state_dict(resumed->params);
    } catch (const Error& e) {
      fail("train: --resume: the checkpoint in {} does not match the config: {}", tc.out, e.what());
    }
    opt->load_state_dict(resumed->optim);
    data_gen.set_state(resumed->rng.at("data"));
    task->dropout_generator().set_state(resumed->rng.at("dropout"));
    step = resumed->step;
    tokens_seen = resumed->tokens_seen;
    result.best_val_loss = resumed->best_val_loss;
  }
  MetricsCsv metrics((fs::path(tc.out) / "metrics.csv").string(),
                     resumed ? std::optional<int64_t>(step) : std::optional<int64_t>(0));
  const std::string config_toml = to_toml(cfg);

  auto save = [&](const std::string& path) {
    Checkpoint c;
    c.step = step;
    c.tokens_seen = tokens_seen;
    c.best_val_loss = result.best_val_loss;
    c.config_toml = config_toml;
    c.params = model.state_dict();
    c.optim = opt->state_dict();
    c.tokenizer_kind = tokenizer.kind();
    c.tokenizer_vocab = tokenizer.vocab_size();
    c.tokenizer_blob = tokenizer.serialize();
    c.rng["data"] = data_gen.state();
    c.rng["dropout"] = task->dropout_generator().state();
    save_checkpoint(path, c);
    return path;
  };

  progress.message(fmt::format("qkv train: {} parameters, {}, {} threads", model.num_parameters(), task->describe(),
                               num_threads()));
  SigintScope sigint;
  profile::set_enabled(options.profile);
  profile::reset();
  double train_seconds = 0, window_seconds = 0;
  int64_t window_tokens = 0, steps_this_run = 0, tokens_this_run = 0;

  while (step < tc.max_iters) {
    if (g_stop) {
      result.interrupted = true;
      break;
    }
    const auto t0 = Clock::now();
    profile::step_begin();
    const double lr = schedule.at(step);
    opt->set_lr(lr);
    double loss_sum = 0;
    int64_t step_tokens = 0;
    for (int64_t micro = 0; micro < tc.grad_accum; ++micro) {
      auto [loss, tokens] = task->train_loss(data_gen);
      step_tokens += tokens;
      double value = loss.item();
      if (!std::isfinite(value)) {
        tape().clear();
        std::string last = newest_checkpoint(tc.out);
        fail("train: loss is {} at step {} (expected a finite number); {}", value, step + 1,
             last.empty() ? "no checkpoint was written yet" : "the last good checkpoint is " + last);
      }
      loss_sum += value;
      (tc.grad_accum > 1 ? loss * (1.0 / static_cast<double>(tc.grad_accum)) : loss).backward();
    }
    {
      profile::Scope update(profile::Family::optimizer);
      optim::clip_grad_norm(opt->parameters(), cfg.optim.grad_clip);
      opt->step();
      opt->zero_grad();
    }
    profile::step_end();
    ++step;
    ++steps_this_run;
    tokens_seen += step_tokens;
    const double dt = seconds_since(t0);
    train_seconds += dt;
    window_seconds += dt;
    window_tokens += step_tokens;
    tokens_this_run += step_tokens;
    result.last_train_loss = loss_sum / static_cast<double>(tc.grad_accum);

    std::optional<double> val;
    if (step % tc.eval_interval == 0 || step == tc.max_iters) {
      val = task->validation_loss(tc.eval_iters, eval_seed);
      result.last_val_loss = *val;
      if (*val < result.best_val_loss) {
        result.best_val_loss = *val;
        save((fs::path(tc.out) / "best.h5").string());
      }
    }
    const double tok_s = window_seconds > 0 ? static_cast<double>(window_tokens) / window_seconds : 0;
    const double eta = static_cast<double>(tc.max_iters - step) * train_seconds / static_cast<double>(steps_this_run);
    const bool log_now = step % tc.log_interval == 0 || val || step == tc.max_iters;
    progress.step(step, tc.max_iters, result.last_train_loss, lr, tok_s, eta, log_now);
    if (log_now) {
      metrics.row(step, result.last_train_loss, val, lr, tok_s, seconds_since(started));
      window_seconds = 0;
      window_tokens = 0;
    }
    if (val) progress.message(fmt::format("step {}: train loss {:.4f}, val loss {:.4f}", step, result.last_train_loss, *val));
    if (step % tc.checkpoint_interval == 0 || step == tc.max_iters) {
      result.last_checkpoint = save(checkpoint_path(tc.out, step));
      prune_checkpoints(tc.out, tc.keep_checkpoints);
    }
  }
  if (result.interrupted) {
    result.last_checkpoint = save(checkpoint_path(tc.out, step));
    prune_checkpoints(tc.out, tc.keep_checkpoints);
    progress.message(fmt::format("interrupted at step {}: saved {}; continue with --resume", step, result.last_checkpoint));
  }
  if (options.profile) {
    result.profile = profile::report();
    profile::set_enabled(false);
  }
  result.steps = step;
  result.wall_s = seconds_since(started);
  result.tokens_per_s = train_seconds > 0 ? static_cast<double>(tokens_this_run) / train_seconds : 0;
  if (plot_loss_curves({{"run", metrics.path()}}, (fs::path(tc.out) / "loss.png").string(), tc.out))
    progress.message(fmt::format("loss curves: {}", (fs::path(tc.out) / "loss.png").string()));
  return result;
}

}  // namespace qkv
