// qkv: the command-line program. Exit codes: 0 ok, 1 a failed check, 2 usage or input error.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <vector>

#include "cli/bounds.h"
#include "cli/commands.h"
#include "cli/parse_error.h"
#include "cpu/parallel.h"
#include "dist/agree.h"
#include "dist/communicator.h"

int main(int argc, char** argv) {
  CLI::App app{"qkv: train, sample, translate and gradient-check small transformers on the CPU"};
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "threads for OpenMP and OpenBLAS (default: all cores or OMP_NUM_THREADS)")
      ->check(qkv::cli::bounded(1, qkv::cli::kMaxThreads));

  std::vector<std::pair<CLI::App*, qkv::cli::Runner>> commands;
  auto track = [&](qkv::cli::Runner r) { commands.emplace_back(app.get_subcommands({}).back(), std::move(r)); };
  track(qkv::cli::add_data_command(app));
  track(qkv::cli::add_train_command(app));
  track(qkv::cli::add_sample_command(app));
  track(qkv::cli::add_translate_command(app));
  track(qkv::cli::add_eval_command(app));
  track(qkv::cli::add_gradcheck_command(app));
  track(qkv::cli::add_ablate_command(app));
  track(qkv::cli::add_attn_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help: the help text, exit 0
    fmt::print(stderr, "qkv: error: {}\n", qkv::cli::parse_error_line(app, e));
    return 2;
  }
  try {
    qkv::dist::Session mpi(argc, argv);  // a rank of an mpirun/srun job, or one process alone
    try {
      if (threads > 0) qkv::set_num_threads(threads);
      for (auto& [sub, run] : commands) {
        if (!sub->parsed()) continue;
        // Only train and ablate share work between ranks; N copies of another command
        // would do the same work N times and write the same files.
        const qkv::dist::Communicator& world = qkv::dist::Communicator::world();
        if (world.size() > 1 && sub->get_name() != "train" && sub->get_name() != "ablate")
          throw qkv::dist::AgreedError(fmt::format(
              "{} runs in one process: start it without mpirun or srun (only train and ablate spread over ranks; "
              "this job has {})",
              sub->get_name(), world.size()));
        return run();
      }
    } catch (const qkv::dist::AgreedError& e) {
      // Every rank stopped here with the same message: rank 0 says it once.
      if (qkv::dist::Communicator::world().is_root()) fmt::print(stderr, "qkv: error: {}\n", e.what());
      return 2;
    } catch (const std::exception& e) {
      // On one rank only: the others would wait for it, so the job stops.
      const qkv::dist::Communicator& world = qkv::dist::Communicator::world();
      if (world.size() == 1) throw;
      fmt::print(stderr, "qkv: error: rank {}: {}\n", world.rank(), e.what());
      std::fflush(stderr);
      qkv::dist::abort_job(2);
      return 2;
    }
  } catch (const std::exception& e) {
    // A qkv::Error, or a library's exception (std::bad_alloc, std::filesystem_error, ...):
    // one line and exit 2 either way, never an abort.
    fmt::print(stderr, "qkv: error: {}\n", e.what());
    return 2;
  }
  return 2;
}
