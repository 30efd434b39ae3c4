#include "train/trainer.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <memory>
#include <optional>

#include "autograd/ops/binary.h"
#include "autograd/tape.h"
#include "base/bytes.h"
#include "base/profile.h"
#include "config/memory_budget.h"
#include "cpu/checksum.h"
#include "cpu/parallel.h"
#include "data/corpus.h"
#include "dist/agree.h"
#include "dist/fingerprint.h"
#include "dist/gradient_reducer.h"
#include "io/checkpoint.h"
#include "io/checkpoint_files.h"
#include "io/plot.h"
#include "io/run_folder.h"
#include "optim/clip.h"
#include "optim/factory.h"
#include "optim/schedule.h"
#include "train/metrics.h"
#include "train/progress.h"
#include "train/resume_check.h"
#include "train/training_task.h"

namespace qkv {
namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_sigint(int) { g_stop = 1; }

// Ctrl-C (SIGINT) and SIGUSR1 ask for a checkpoint and a stop; the previous handlers come
// back when training returns or throws. SIGUSR1 is the one a launcher passes on: mpirun
// forwards it to every rank (it ends the job on SIGINT), and Slurm sends it on request
// before a time limit (`sbatch --signal=USR1@120`).
class SigintScope {
 public:
  SigintScope() : previous_int_(std::signal(SIGINT, on_sigint)), previous_usr1_(std::signal(SIGUSR1, on_sigint)) {}
  ~SigintScope() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGUSR1, previous_usr1_);
  }

 private:
  void (*previous_int_)(int);
  void (*previous_usr1_)(int);
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The config, validated, with its thread count applied: before anything is read or written.
RunConfig prepare_config(const RunConfig& config, const dist::Communicator& comm) {
  validate(config);
  if (comm.size() == 1)
    check_memory_budget(config, "train");
  else
    check_rank_memory_budget(config, comm.size(), comm.ranks_on_this_machine(),
                             fmt::format("train (rank {}, one of {} on this machine)", comm.rank(),
                                         comm.ranks_on_this_machine()));
  if (config.train.threads > 0) set_num_threads(static_cast<int>(config.train.threads));
  return config;
}

// One call of train(), held between its steps; each method is one step of the list that
// train() reads as, in that order.
class TrainingRun {
 public:
  TrainingRun(const TrainOptions& options, dist::Communicator& comm)
      : options_(options),
        comm_(comm),
        started_(Clock::now()),
        cfg_(prepare_config(options.config, comm)),
        // Under a launcher the output goes through pipes to a log: plain lines, no rewriting.
        progress_(options.progress && comm.is_root(), !dist::launched_by_mpi()) {}

  // Data parallelism: the global batch must split evenly over the ranks.
  void check_batch_splits() const;

  // Without --resume or --overwrite, a folder that already holds a run is refused.
  void refuse_existing_run() const;
  // With --resume, the newest checkpoint in train.out, checked against the config.
  void open_checkpoint_to_resume();
  // Data, tokenizer and model (the tokenizer is the checkpoint's when resuming).
  void build_task();
  void build_optimizer_and_schedule();
  // The gradient allreduce, with more than one rank.
  void build_reducer();
  // Parameters, optimizer state, generators, step and best loss from the checkpoint.
  void restore_from_checkpoint();
  // Every rank holds the same parameters and tokenizer (collective; before the first step,
  // and every train.replica_check_interval steps after).
  void check_replicas_agree(const char* when);
  // Only now, with everything validated and built, is the folder touched: locked (created
  // if missing), checked again under the lock, cleared for --overwrite; metrics.csv opened.
  void claim_output_folder();
  void announce();
  void start_profile();

  bool finished() const { return step_ >= cfg_.train.max_iters; }
  // Ctrl-C seen on any rank (all ranks stop at the same step boundary).
  bool stop_requested();
  void check_replicas_if_due();
  // Gradients of grad_accum micro-batches, clipped, applied; returns the step's lr.
  double optimizer_step();
  // The validation loss when this step evaluates (best.h5 saved when it improves).
  std::optional<double> evaluate_if_due();
  void log(double lr, std::optional<double> val);
  void checkpoint_if_due();
  // Ctrl-C: a checkpoint at this step, then stop.
  void save_interrupted();
  // The profile table, the run's totals and the loss plot.
  TrainResult finish();

 private:
  // The mean loss of the micro-batches and their tokens; a NaN or inf loss stops the run.
  std::pair<double, int64_t> accumulate_gradients();
  [[noreturn]] void fail_on_loss(double value);
  bool root() const { return comm_.is_root(); }
  // "the last good checkpoint is DIR/ckpt-N.h5", or that none was written yet.
  std::string last_good_checkpoint() const;
  void clipped_update();
  void count_step(int64_t tokens, double seconds, double mean_loss);
  std::string save(const std::string& path);
  void save_step_checkpoint();

  const TrainOptions& options_;
  dist::Communicator& comm_;
  const RankShare share_{comm_.rank(), comm_.size()};
  std::unique_ptr<dist::GradientReducer> reducer_;
  std::optional<uint32_t> tokenizer_crc_;  // compared between ranks with the parameters
  std::string resumed_path_;
  const Clock::time_point started_;
  const RunConfig cfg_;
  const TrainConfig& tc_ = cfg_.train;
  Progress progress_;
  std::optional<Checkpoint> resumed_;
  std::unique_ptr<TrainingTask> task_;
  std::unique_ptr<optim::Optimizer> opt_;
  optim::LrSchedule schedule_;
  Generator data_gen_{static_cast<uint64_t>(tc_.seed)};
  const uint64_t eval_seed_ = static_cast<uint64_t>(tc_.seed) ^ 0x5eedULL;
  std::unique_ptr<RunFolderLock> lock_;
  std::unique_ptr<MetricsCsv> metrics_;
  std::string config_toml_;
  TrainResult result_;
  int64_t step_ = 0, tokens_seen_ = 0;
  // Speed: training time only (evaluation excluded); the window is since the last log row.
  double train_seconds_ = 0, window_seconds_ = 0, wait_seconds_ = 0, window_wait_seconds_ = 0;
  int64_t window_tokens_ = 0, steps_this_run_ = 0, tokens_this_run_ = 0;
};

void TrainingRun::check_batch_splits() const {
  if (comm_.size() == 1) return;
  QKV_CHECK(tc_.batch_size % comm_.size() == 0,
            "train: train.batch_size {} does not split over {} ranks (expected a multiple of {}: the batch is the "
            "global batch, each rank takes an equal share; use train.grad_accum for a larger one)",
            tc_.batch_size, comm_.size(), comm_.size());
}

void TrainingRun::refuse_existing_run() const {
  if (options_.resume || options_.overwrite) return;
  const std::vector<std::string> found = run_files(tc_.out);
  if (found.empty()) return;
  std::string names;
  for (size_t i = 0; i < found.size() && i < 3; ++i) names += (i ? ", " : "") + found[i];
  fail("train: the output folder {} already holds a run ({}{}); continue it with --resume, or start over with "
       "--overwrite (deletes its checkpoints and metrics) or a new --out",
       tc_.out, names, found.size() > 3 ? ", ..." : "");
}

void TrainingRun::open_checkpoint_to_resume() {
  if (!options_.resume) return;
  resumed_path_ = newest_checkpoint(tc_.out);
  QKV_CHECK(!resumed_path_.empty(), "train: --resume: no checkpoint (ckpt-*.h5) in {}", tc_.out);
  resumed_ = load_checkpoint(resumed_path_);
  check_resume_config(cfg_, *resumed_, resumed_path_);
}

void TrainingRun::build_task() {
  task_ = make_training_task(cfg_, options_.data_dir.empty() ? data::default_data_dir() : options_.data_dir,
                             resumed_ ? data::load_tokenizer(resumed_->tokenizer_blob) : nullptr);
}

void TrainingRun::build_optimizer_and_schedule() {
  const optim::OptimConfig& oc = cfg_.optim;
  opt_ = optim::make_optimizer(oc, task_->model().named_parameters());
  schedule_ = optim::make_schedule(oc.schedule, oc.lr, oc.min_lr, oc.warmup_iters, oc.lr_decay_iters);
}

void TrainingRun::build_reducer() {
  if (comm_.size() == 1) return;
  std::vector<Tensor> params;
  std::vector<std::string> names;
  for (auto& [name, t] : task_->model().named_parameters()) {
    names.push_back(name);
    params.push_back(t);
  }
  reducer_ = std::make_unique<dist::GradientReducer>(comm_, std::move(params), std::move(names),
                                                     tc_.bucket_mb << 20);
}

void TrainingRun::check_replicas_agree(const char* when) {
  if (comm_.size() == 1) return;
  if (!tokenizer_crc_) {  // the tokenizer does not change during a run
    const std::string tokenizer = task_->tokenizer().serialize();
    tokenizer_crc_ = cpu::crc32(tokenizer.data(), tokenizer.size());
  }
  const uint64_t mine = (uint64_t{dist::checksum(task_->model().parameters())} << 32) | *tokenizer_crc_;
  const std::vector<uint64_t> all = comm_.gather(mine);
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      dist::fail_everywhere(comm_,
                            "train: rank {}'s {} differ from rank 0's {} (expected every rank to hold the same "
                            "model); stopped; {}",
                            r, (all[r] >> 32) != (all[0] >> 32) ? "parameters" : "tokenizer", when,
                            last_good_checkpoint());
}

void TrainingRun::check_replicas_if_due() {
  if (comm_.size() > 1 && step_ % tc_.replica_check_interval == 0)
    check_replicas_agree(fmt::format("after step {}", step_).c_str());
}

bool TrainingRun::stop_requested() {
  int64_t stop = g_stop;
  comm_.max(&stop, 1);
  return stop != 0;
}

void TrainingRun::restore_from_checkpoint() {
  if (!resumed_) return;
  try {
    task_->model().load_state_dict(resumed_->params);
  } catch (const Error& e) {
    fail("train: --resume: the checkpoint in {} does not match the config: {}", tc_.out, e.what());
  }
  check_resume_state(task_->model(), *resumed_, resumed_path_);
  opt_->load_state_dict(resumed_->optim);
  data_gen_.set_state(resumed_->rng.at("data"));
  task_->dropout_generator().set_state(resumed_->rng.at("dropout"));
  step_ = resumed_->step;
  tokens_seen_ = resumed_->tokens_seen;
  result_.best_val_loss = resumed_->best_val_loss;
}

void TrainingRun::claim_output_folder() {
  if (!root()) return;  // rank 0 alone writes the run's files
  lock_ = std::make_unique<RunFolderLock>(tc_.out);
  // Another process may have written here since the first look.
  refuse_existing_run();
  QKV_CHECK(!resumed_ || newest_checkpoint(tc_.out) == resumed_path_,
            "train: --resume: the newest checkpoint in {} changed while this run started (expected {})", tc_.out,
            resumed_path_);
  if (options_.overwrite && !options_.resume) remove_run_files(tc_.out);
  for (const std::string& stale : remove_stale_temporaries(tc_.out))
    progress_.message(fmt::format("removed {}, left by a run that was killed while saving", stale));
  if (resumed_) progress_.message(fmt::format("resuming from {} (step {})", resumed_path_, resumed_->step));
  metrics_ = std::make_unique<MetricsCsv>((fs::path(tc_.out) / "metrics.csv").string(),
                                          resumed_ ? std::optional<int64_t>(step_) : std::nullopt);
  config_toml_ = to_toml(cfg_);
}

void TrainingRun::announce() {
  const std::string ranks =
      comm_.size() == 1 ? "" : fmt::format("{} ranks x ", comm_.size());
  progress_.message(fmt::format("qkv train: {} parameters, {}, {}{} thread{}", task_->model().num_parameters(),
                                task_->describe(), ranks, num_threads(), num_threads() == 1 ? "" : "s"));
  if (reducer_)
    progress_.message(fmt::format("data parallel: batch {} = {} ranks x {} rows; gradients summed in {} bucket{} "
                                  "(the first up to {}, the others {}), started during backward",
                                  tc_.batch_size, comm_.size(), tc_.batch_size / comm_.size(),
                                  reducer_->bucket_count(), reducer_->bucket_count() == 1 ? "" : "s",
                                  format_bytes(static_cast<double>(reducer_->first_bucket_bytes())),
                                  format_bytes(static_cast<double>(tc_.bucket_mb << 20))));
}

void TrainingRun::start_profile() {
  profile::set_enabled(options_.profile);
  profile::reset();
}

double TrainingRun::optimizer_step() {
  const auto t0 = Clock::now();
  profile::step_begin();
  const double lr = schedule_.at(step_);
  opt_->set_lr(lr);
  const auto [mean_loss, tokens] = accumulate_gradients();
  clipped_update();
  profile::step_end();
  count_step(tokens, seconds_since(t0), mean_loss);
  return lr;
}

std::pair<double, int64_t> TrainingRun::accumulate_gradients() {
  double loss_sum = 0;
  int64_t step_tokens = 0;
  for (int64_t micro = 0; micro < tc_.grad_accum; ++micro) {
    auto [loss, tokens] = task_->train_loss(data_gen_, share_);
    step_tokens += tokens;
    double value = loss.item();
    // With several ranks a local value is a share of the loss: checked once summed, below.
    if (!reducer_ && !std::isfinite(value)) fail_on_loss(value);
    loss_sum += value;
    // The last micro-batch's backward completes the gradients: the reducer averages them
    // over the ranks while it runs.
    const bool last = micro + 1 == tc_.grad_accum;
    if (reducer_ && last) reducer_->begin();
    (tc_.grad_accum > 1 ? loss * (1.0 / static_cast<double>(tc_.grad_accum)) : loss).backward();
    if (reducer_ && last) {
      reducer_->end();
      wait_seconds_ += reducer_->exposed_seconds();
      window_wait_seconds_ += reducer_->exposed_seconds();
    }
  }
  if (reducer_) {
    comm_.sum(&loss_sum, 1);  // the ranks' shares: the global batch's mean
    if (!std::isfinite(loss_sum)) fail_on_loss(loss_sum);
  }
  return {loss_sum / static_cast<double>(tc_.grad_accum), step_tokens};
}

void TrainingRun::fail_on_loss(double value) {
  tape().clear();
  dist::fail_everywhere(comm_, "train: loss is {} at step {} (expected a finite number); {}", value, step_ + 1,
                        last_good_checkpoint());
}

// Every checkpoint in the folder is finite and this run's (non-finite states are never
// saved, and the folder is locked to one run), so the newest one is good to resume from.
std::string TrainingRun::last_good_checkpoint() const {
  const std::string last = newest_checkpoint(tc_.out);
  return last.empty() ? "no checkpoint was written yet" : "the last good checkpoint is " + last;
}

void TrainingRun::clipped_update() {
  profile::Scope update(profile::Family::optimizer);
  optim::clip_grad_norm(opt_->parameters(), cfg_.optim.grad_clip);
  opt_->step();
  opt_->zero_grad();
}

void TrainingRun::count_step(int64_t tokens, double seconds, double mean_loss) {
  ++step_;
  ++steps_this_run_;
  tokens_seen_ += tokens;
  train_seconds_ += seconds;
  window_seconds_ += seconds;
  window_tokens_ += tokens;
  tokens_this_run_ += tokens;
  result_.last_train_loss = mean_loss;
}

std::optional<double> TrainingRun::evaluate_if_due() {
  if (step_ % tc_.eval_interval != 0 && step_ != tc_.max_iters) return std::nullopt;
  const TrainingTask::ValidationSums sums = task_->validation_sums(tc_.eval_iters, eval_seed_, share_);
  double total[2] = {sums.loss_sum, sums.weight};
  comm_.sum(total, 2);
  const double val = total[0] / total[1];
  result_.last_val_loss = val;
  if (val < result_.best_val_loss) {
    result_.best_val_loss = val;
    save((fs::path(tc_.out) / "best.h5").string());
  }
  return val;
}

void TrainingRun::log(double lr, std::optional<double> val) {
  const double tok_s = window_seconds_ > 0 ? static_cast<double>(window_tokens_) / window_seconds_ : 0;
  const double eta = static_cast<double>(tc_.max_iters - step_) * train_seconds_ / static_cast<double>(steps_this_run_);
  const bool log_now = step_ % tc_.log_interval == 0 || val || step_ == tc_.max_iters;
  const std::string ranks =
      reducer_ ? fmt::format(" | {} ranks, allreduce wait {:.0f}%", comm_.size(),
                             window_seconds_ > 0 ? 100 * window_wait_seconds_ / window_seconds_ : 0.0)
               : "";
  progress_.step(step_, tc_.max_iters, result_.last_train_loss, lr, tok_s, eta, log_now, ranks);
  if (log_now && root()) metrics_->row(step_, result_.last_train_loss, val, lr, tok_s, seconds_since(started_));
  if (log_now) {
    window_seconds_ = 0;
    window_wait_seconds_ = 0;
    window_tokens_ = 0;
  }
  if (val)
    progress_.message(fmt::format("step {}: train loss {:.4f}, val loss {:.4f}", step_, result_.last_train_loss, *val));
}

void TrainingRun::checkpoint_if_due() {
  if (step_ % tc_.checkpoint_interval == 0 || step_ == tc_.max_iters) save_step_checkpoint();
}

void TrainingRun::save_interrupted() {
  result_.interrupted = true;
  save_step_checkpoint();
  progress_.message(
      fmt::format("interrupted at step {}: saved {}; continue with --resume", step_, result_.last_checkpoint));
}

// ckpt-NNNNNN.h5, then all but the newest keep_checkpoints of them removed.
void TrainingRun::save_step_checkpoint() {
  result_.last_checkpoint = save(checkpoint_path(tc_.out, step_));
  if (root()) prune_checkpoints(tc_.out, tc_.keep_checkpoints);
}

// A step whose update left a non-finite parameter or optimizer state stops the run
// without saving: a checkpoint is only ever written finite, so the newest one is good.
// Every rank checks (they hold the same state, so they stop together); rank 0 writes.
std::string TrainingRun::save(const std::string& path) {
  const data::Tokenizer& tokenizer = task_->tokenizer();
  Checkpoint c;
  c.step = step_;
  c.tokens_seen = tokens_seen_;
  c.best_val_loss = result_.best_val_loss;
  c.config_toml = config_toml_;
  c.params = task_->model().state_dict();
  c.optim = opt_->state_dict();
  c.tokenizer_kind = tokenizer.kind();
  c.tokenizer_vocab = tokenizer.vocab_size();
  c.tokenizer_blob = tokenizer.serialize();
  c.rng["data"] = data_gen_.state();
  c.rng["dropout"] = task_->dropout_generator().state();
  const std::string bad = first_non_finite(c);
  if (!bad.empty())
    dist::fail_everywhere(comm_, "train: {} is not finite after step {} (expected finite values; the run diverged, try a lower optim.lr or "
         "optim.grad_clip); nothing saved; {}",
         bad, step_, last_good_checkpoint());
  if (root()) save_checkpoint(path, c);
  return path;
}

TrainResult TrainingRun::finish() {
  if (options_.profile) {
    result_.profile = profile::report();
    profile::set_enabled(false);
  }
  result_.steps = step_;
  result_.wall_s = seconds_since(started_);
  result_.tokens_per_s = train_seconds_ > 0 ? static_cast<double>(tokens_this_run_) / train_seconds_ : 0;
  result_.train_s = train_seconds_;
  result_.ranks = comm_.size();
  result_.allreduce_wait_s = wait_seconds_;
  if (!root()) return result_;
  const std::string plot = (fs::path(tc_.out) / "loss.png").string();
  if (plot_loss_curves({{"run", metrics_->path()}}, plot, tc_.out))
    progress_.message(fmt::format("loss curves: {}", plot));
  return result_;
}

// The ranks of one run must run the same program on the same config with the same flags:
// rank 0's are sent to every rank, and a rank that differs names the first difference.
void check_same_run_everywhere(dist::Communicator& comm, const TrainOptions& options) {
  if (comm.size() == 1) return;
  const std::string flags = fmt::format("binary crc32 {:08x}, --resume {}, --overwrite {}", dist::binary_checksum(),
                                        options.resume, options.overwrite);
  std::string root_flags = flags, root_config = to_toml(options.config);
  comm.broadcast(root_flags);
  comm.broadcast(root_config);
  dist::agree(comm, [&] {
    const std::vector<KeyDifference> diff = differing_keys(options.config, parse_config(root_config, "rank 0's config"));
    if (!diff.empty())
      fail("train: this rank's config differs from rank 0's: {} is {} here and {} on rank 0 (expected every rank to "
           "run the same config)",
           diff.front().key, diff.front().a, diff.front().b);
    QKV_CHECK(flags == root_flags,
              "train: this rank runs another program or other flags than rank 0 ({} here, {} on rank 0)", flags,
              root_flags);
  });
}

}  // namespace

void request_stop() { g_stop = 1; }

TrainResult train(const TrainOptions& options) {
  dist::Communicator& comm = options.comm ? *options.comm : dist::Communicator::world();
  g_stop = 0;
  check_same_run_everywhere(comm, options);
  // Everything that can be refused is checked, built and loaded on every rank before
  // rank 0 touches the output folder; a refusal on any rank stops all of them.
  std::unique_ptr<TrainingRun> run;
  dist::agree(comm, [&] {
    run = std::make_unique<TrainingRun>(options, comm);  // the config validated, its threads set
    run->check_batch_splits();
    run->refuse_existing_run();
    run->open_checkpoint_to_resume();
    run->build_task();
    run->build_optimizer_and_schedule();
    run->restore_from_checkpoint();
    run->build_reducer();
  });
  run->check_replicas_agree("at the start");
  dist::agree(comm, [&] { run->claim_output_folder(); });
  run->announce();
  SigintScope sigint;
  run->start_profile();
  bool interrupted = false;
  while (!run->finished()) {
    if (run->stop_requested()) {
      interrupted = true;
      break;
    }
    const double lr = run->optimizer_step();
    const std::optional<double> val = run->evaluate_if_due();
    run->log(lr, val);
    run->check_replicas_if_due();
    run->checkpoint_if_due();
  }
  if (interrupted) run->save_interrupted();
  return run->finish();
}

}  // namespace qkv
