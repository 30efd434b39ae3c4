// Optimizers, schedules and clipping against hand-computed numbers: one and two steps of
// SGD / Adam / AdamW, nanoGPT's schedule at known iterations, clipping, the no-decay rule
// on a real GPT's parameter names, state export / import continuing bit for bit (also
// through an HDF5 file), and the errors.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <set>

#include "autograd/autograd.h"
#include "nn/gpt.h"
#include "optim/optim.h"
#include "io/hdf5_file.h"

using namespace qkv;
using namespace qkv::optim;
using Catch::Contains;

namespace {

Tensor param(std::initializer_list<double> values, const Dims& shape, DType dtype = DType::f64) {
  return Tensor::from(values, shape, dtype).requires_grad_();
}

void give_grad(const Tensor& p, std::initializer_list<double> values) {
  p.set_grad(Tensor::from(values, p.shape(), p.dtype()));
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

}  // namespace

TEST_CASE("SGD: plain, and momentum + Nesterov + weight decay over two steps", "[optim]") {
  Tensor p = param({1, 2}, {2});
  SGDOptions o;
  o.lr = 0.1;
  SGD plain({{"w", p}}, o);
  give_grad(p, {0.5, -1});
  plain.step();
  CHECK(values(p)[0] == Approx(0.95).epsilon(1e-15));
  CHECK(values(p)[1] == Approx(2.1).epsilon(1e-15));

  Tensor q = param({1}, {1});
  o.momentum = 0.9;
  o.weight_decay = 0.1;
  o.nesterov = true;
  SGD nesterov({{"w", q}}, o);
  give_grad(q, {0.5});
  nesterov.step();
  // d = 0.5 + 0.1*1 = 0.6; buffer = d (first step); d = 0.6 + 0.9*0.6 = 1.14; p = 1 - 0.114
  CHECK(values(q)[0] == Approx(0.886).epsilon(1e-14));
  give_grad(q, {0.5});
  nesterov.step();
  // d = 0.5 + 0.0886 = 0.5886; buffer = 0.9*0.6 + 0.5886 = 1.1286; d = 0.5886 + 0.9*1.1286
  CHECK(values(q)[0] == Approx(0.886 - 0.1 * (0.5886 + 0.9 * 1.1286)).epsilon(1e-14));
  CHECK(values(nesterov.state_dict().at("w").at("momentum_buffer"))[0] == Approx(1.1286).epsilon(1e-14));

  // Dampening spares the first step: the buffer starts as the gradient itself (torch).
  Tensor r = param({1}, {1});
  SGDOptions damped;
  damped.lr = 0.1;
  damped.momentum = 0.9;
  damped.dampening = 0.5;
  SGD sgd({{"w", r}}, damped);
  give_grad(r, {0.5});
  sgd.step();
  CHECK(values(r)[0] == Approx(0.95).epsilon(1e-15));  // buffer 0.5
  give_grad(r, {0.5});
  sgd.step();
  CHECK(values(r)[0] == Approx(0.95 - 0.1 * (0.9 * 0.5 + 0.5 * 0.5)).epsilon(1e-15));
}

TEST_CASE("Adam: L2 decay joins the gradient, bias correction over two steps", "[optim]") {
  Tensor p = param({1, -2}, {2});
  AdamOptions o;
  o.lr = 0.01;
  o.weight_decay = 0.1;
  Adam adam({{"b", p}}, o);  // Adam decays every parameter, biases too (torch)
  CHECK(adam.weight_decay_of("b") == 0.1);
  give_grad(p, {0.5, 0.25});
  adam.step();
  // Step 1: g' = g + 0.1 p = (0.6, 0.05); m_hat = g', v_hat = g'^2, so p -= lr g' / (|g'| + eps).
  CHECK(values(p)[0] == Approx(1 - 0.01 * 0.6 / (0.6 + 1e-8)).epsilon(1e-14));
  CHECK(values(p)[1] == Approx(-2 - 0.01 * 0.05 / (0.05 + 1e-8)).epsilon(1e-14));

  // Step 2 without decay, by hand: m = 0.9*0.05 + 0.1*(-0.25) = 0.02,
  // v = 0.999*0.00025 + 0.001*0.0625 = 0.00031225.
  Tensor q = param({3}, {1});
  Adam plain({{"w", q}}, AdamOptions{});
  give_grad(q, {0.5});
  plain.step();
  CHECK(values(q)[0] == Approx(3 - 1e-3 * 0.5 / (0.5 + 1e-8)).epsilon(1e-14));
  const double after_one = values(q)[0];
  give_grad(q, {-0.25});
  plain.step();
  const double m_hat = 0.02 / (1 - 0.9 * 0.9), v_hat = 0.00031225 / (1 - 0.999 * 0.999);
  CHECK(values(q)[0] == Approx(after_one - 1e-3 * m_hat / (std::sqrt(v_hat) + 1e-8)).epsilon(1e-14));
  const ParamState st = plain.state_dict().at("w");
  CHECK(values(st.at("exp_avg"))[0] == Approx(0.02).epsilon(1e-14));
  CHECK(values(st.at("exp_avg_sq"))[0] == Approx(0.00031225).epsilon(1e-14));
  CHECK(st.at("step").item() == 2);
  CHECK(st.at("step").dtype() == DType::i64);
}

TEST_CASE("AdamW: decoupled decay on matrices only, float32 as well", "[optim]") {
  for (DType dtype : {DType::f64, DType::f32}) {
    INFO(dtype_name(dtype));
    Tensor w = param({1, -2}, {1, 2}, dtype), b = param({1, -2}, {2}, dtype);
    AdamOptions o;
    o.lr = 0.01;
    o.weight_decay = 0.1;
    AdamW adamw({{"fc.weight", w}, {"fc.bias", b}}, o);
    CHECK(adamw.weight_decay_of("fc.weight") == 0.1);
    CHECK(adamw.weight_decay_of("fc.bias") == 0);
    give_grad(w, {0.5, 0.25});
    give_grad(b, {0.5, 0.25});
    adamw.step();
    // p <- p (1 - lr wd) - lr g / (|g| + eps): the decay does not enter the moments.
    const double tol = dtype == DType::f32 ? 1e-6 : 1e-14;
    const double step0 = 0.01 * 0.5 / (0.5 + 1e-8), step1 = 0.01 * 0.25 / (0.25 + 1e-8);
    CHECK(values(w)[0] == Approx(1 * 0.999 - step0).epsilon(tol));
    CHECK(values(w)[1] == Approx(-2 * 0.999 - step1).epsilon(tol));
    CHECK(values(b)[0] == Approx(1 - step0).epsilon(tol));
    CHECK(values(b)[1] == Approx(-2 - step1).epsilon(tol));
    CHECK(values(adamw.state_dict().at("fc.weight").at("exp_avg"))[0] == Approx(0.05).epsilon(tol));
  }
}

TEST_CASE("step skips parameters without a gradient, zero_grad drops them all", "[optim]") {
  Tensor a = param({1}, {1}), b = param({2}, {1});
  Adam adam({{"a", a}, {"b", b}}, AdamOptions{});
  give_grad(a, {1});
  adam.step();
  CHECK(values(a)[0] != 1);
  CHECK(values(b)[0] == 2);  // no gradient: untouched, and no state
  const StateDict st = adam.state_dict();
  CHECK(st.count("a") == 1);
  CHECK(st.count("b") == 0);
  give_grad(b, {1});
  adam.zero_grad();
  CHECK_FALSE(a.grad().defined());
  CHECK_FALSE(b.grad().defined());
}

TEST_CASE("gradient accumulation: micro-batch gradients add up in .grad until zero_grad", "[optim]") {
  Tensor w = param({1, 2}, {2});
  SGDOptions o;
  o.lr = 1;
  SGD sgd({{"w", w}}, o);
  // Two micro-batches, each loss scaled by 1/2 by the loop: one step on the mean gradient.
  mul(sum(mul(w, Tensor::from({1, 3}, {2}, DType::f64))), 0.5).backward();
  mul(sum(mul(w, Tensor::from({5, 7}, {2}, DType::f64))), 0.5).backward();
  CHECK(values(w.grad()) == std::vector<double>{3, 5});
  sgd.step();
  CHECK(values(w) == std::vector<double>{-2, -3});
  sgd.zero_grad();
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("a strided parameter and a strided gradient are updated in place correctly", "[optim]") {
  Tensor base = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f64).requires_grad_();
  Tensor t = base.detach().transpose(0, 1);  // [3,2] view of the same storage
  t.requires_grad_();
  t.set_grad(Tensor::from({1, 1, 1, 1, 1, 1}, {2, 3}, DType::f64).transpose(0, 1));
  SGDOptions o;
  o.lr = 0.5;
  SGD sgd({{"t", t}}, o);
  sgd.step();
  CHECK(values(base) == std::vector<double>{0.5, 1.5, 2.5, 3.5, 4.5, 5.5});  // written through
}

TEST_CASE("tied parameters listed twice are updated once", "[optim]") {
  Tensor p = param({1}, {1});
  SGDOptions o;
  o.lr = 0.1;
  SGD sgd({{"wte.weight", p}, {"lm_head.weight", p}}, o);
  CHECK(sgd.named_parameters().size() == 1);
  give_grad(p, {1});
  sgd.step();
  CHECK(values(p)[0] == Approx(0.9).epsilon(1e-15));
}

TEST_CASE("nanoGPT's warmup + cosine schedule at known iterations, linear, constant", "[optim]") {
  LrSchedule cos = make_schedule(ScheduleKind::cosine, 1e-3, 1e-4, 10, 100);
  CHECK(cos.at(0) == Approx(1e-3 / 11).epsilon(1e-15));  // warmup starts above 0
  CHECK(cos.at(9) == Approx(1e-3 * 10 / 11).epsilon(1e-15));
  CHECK(cos.at(10) == 1e-3);  // end of warmup: the full rate
  CHECK(cos.at(28) == Approx(1e-4 + 0.5 * (1 + std::cos(std::numbers::pi * 0.2)) * 9e-4).epsilon(1e-15));
  CHECK(cos.at(55) == Approx(5.5e-4).epsilon(1e-14));  // midpoint: halfway down
  CHECK(cos.at(100) == 1e-4);
  CHECK(cos.at(101) == 1e-4);  // past lr_decay_iters: the floor
  CHECK(cos.at(100000) == 1e-4);

  LrSchedule lin = make_schedule(ScheduleKind::linear, 1e-3, 1e-4, 10, 100);
  CHECK(lin.at(0) == cos.at(0));
  CHECK(lin.at(10) == 1e-3);
  CHECK(lin.at(28) == Approx(8.2e-4).epsilon(1e-14));
  CHECK(lin.at(55) == Approx(5.5e-4).epsilon(1e-14));
  CHECK(lin.at(100) == 1e-4);
  CHECK(lin.at(5000) == 1e-4);

  LrSchedule flat = make_schedule(ScheduleKind::constant, 1e-3, 1e-4, 10, 100);
  for (int64_t it : {0, 5, 10, 55, 1000}) CHECK(flat.at(it) == 1e-3);

  // warmup_iters == lr_decay_iters: nanoGPT divides by zero at that iteration; we floor.
  LrSchedule edge = make_schedule(ScheduleKind::cosine, 1e-3, 1e-4, 10, 10);
  CHECK(edge.at(9) == Approx(1e-3 * 10 / 11).epsilon(1e-15));
  CHECK(edge.at(10) == 1e-4);

  REQUIRE_THROWS_WITH(parse_name<ScheduleKind>("step", "optim.schedule"),
                      Contains("optim.schedule must be one of constant, cosine, linear, got \"step\""));
  REQUIRE_THROWS_WITH(make_schedule(ScheduleKind::cosine, 1e-3, 1e-4, -1, 100),
                      Contains("schedule: warmup_iters must be >= 0, got -1"));
}

TEST_CASE("clip_grad_norm scales by max_norm / (norm + 1e-6) above the threshold and returns the norm", "[optim]") {
  Tensor a = param({0, 0}, {2}), b = param({0}, {1}, DType::f32), c = param({7}, {1});
  auto reset = [&] {
    give_grad(a, {3, 4});
    give_grad(b, {12});
    c.zero_grad();  // no gradient: skipped
  };
  reset();
  CHECK(grad_norm({a, b, c}) == 13);
  CHECK(clip_grad_norm({a, b, c}, 6.5) == 13);
  const double scale = 6.5 / (13 + 1e-6);
  CHECK(values(a.grad())[0] == Approx(3 * scale).epsilon(1e-15));
  CHECK(values(a.grad())[1] == Approx(4 * scale).epsilon(1e-15));
  CHECK(values(b.grad())[0] == Approx(12 * scale).epsilon(1e-7));
  CHECK(grad_norm({a, b}) == Approx(6.5).epsilon(1e-6));

  reset();
  CHECK(clip_grad_norm({a, b, c}, 20) == 13);  // below the threshold: untouched
  CHECK(values(a.grad()) == std::vector<double>{3, 4});
  reset();
  CHECK(clip_grad_norm({a, b, c}, 0) == 13);  // max_norm 0: only measures
  CHECK(values(b.grad()) == std::vector<double>{12});
  // Anything else that would act as "off" is refused, not taken as 0.
  for (double bad : {-1.0, std::nan(""), std::numeric_limits<double>::infinity()})
    REQUIRE_THROWS_WITH(clip_grad_norm({a, b, c}, bad), Contains("max_norm must be a finite number >= 0 (0 turns clipping off)"));

  // A strided gradient is scaled through its own strides.
  Tensor t = param({0, 0, 0, 0}, {2, 2});
  t.set_grad(Tensor::from({3, 0, 4, 0}, {2, 2}, DType::f64).transpose(0, 1));
  CHECK(clip_grad_norm({t}, 1) == 5);
  CHECK(values(t.grad())[0] == Approx(3 / (5 + 1e-6)).epsilon(1e-15));
  CHECK(values(t.grad())[1] == Approx(4 / (5 + 1e-6)).epsilon(1e-15));
}

TEST_CASE("grad_norm is the same for any thread count", "[optim]") {
  Generator gen(7);
  Tensor p = zeros({300, 1001}).requires_grad_();
  p.set_grad(randn({300, 1001}, gen));
  const int threads = num_threads();
  set_num_threads(1);
  const double one = grad_norm({p});
  set_num_threads(2);
  const double two = grad_norm({p});
  set_num_threads(threads);
  CHECK(one == two);
  CHECK(one == Approx(std::sqrt(300.0 * 1001)).epsilon(0.01));
}

TEST_CASE("the default decay rule: matrices decay, biases, norms and embeddings do not", "[optim]") {
  const Tensor matrix = zeros({4, 4}), vector = zeros({4});
  CHECK(decay_matrices_not_embeddings("blocks.0.attn.q_proj.weight", matrix));
  CHECK(decay_matrices_not_embeddings("lm_head.weight", matrix));
  CHECK(decay_matrices_not_embeddings("blocks.0.attn.bilinear", zeros({2, 4, 4})));
  CHECK(decay_matrices_not_embeddings("compos.weight", matrix));  // not the module "pos"
  CHECK_FALSE(decay_matrices_not_embeddings("blocks.0.attn.q_proj.bias", vector));
  CHECK_FALSE(decay_matrices_not_embeddings("ln_f.weight", vector));
  for (const char* table : {"wte.weight", "wpe.weight", "embed.weight", "pos.weight", "decoder.embed.weight"})
    CHECK_FALSE(decay_matrices_not_embeddings(table, matrix));

  // On a real GPT: exactly the Linear weights of the blocks decay.
  nn::ModelConfig cfg;
  cfg.vocab_size = 11;
  cfg.n_layer = 2;
  cfg.n_head = 2;
  cfg.n_embd = 8;
  cfg.block_size = 8;
  nn::GPT gpt(cfg, 1);
  AdamOptions o;
  o.weight_decay = 0.1;
  AdamW adamw(gpt.named_parameters(), o);
  std::set<std::string> decayed;
  for (const auto& [name, p] : gpt.named_parameters()) {
    const double wd = adamw.weight_decay_of(name);
    CHECK((wd == 0 || wd == 0.1));
    if (wd != 0) decayed.insert(name);
  }
  std::set<std::string> expected;
  for (int i = 0; i < 2; ++i)
    for (const char* linear : {"attn.q_proj", "attn.k_proj", "attn.v_proj", "attn.o_proj", "mlp.fc", "mlp.proj"})
      expected.insert(fmt::format("blocks.{}.{}.weight", i, linear));
  CHECK(decayed == expected);

  // A caller's rule replaces the default; Adam and SGD decay everything by default.
  o.decay_rule = decay_all;
  CHECK(AdamW(gpt.named_parameters(), o).weight_decay_of("wte.weight") == 0.1);
  o.decay_rule = {};
  CHECK(Adam(gpt.named_parameters(), o).weight_decay_of("ln_f.bias") == 0.1);
}

namespace {

// A few parameters of mixed shapes and dtypes, and a deterministic gradient for step k.
NamedParams make_params() {
  Generator gen(11);
  return {{"wte.weight", randn({5, 3}, gen, DType::f32).requires_grad_()},
          {"fc.weight", randn({4, 3}, gen, DType::f64).requires_grad_()},
          {"fc.bias", randn({4}, gen, DType::f32).requires_grad_()}};
}

void set_grads(const NamedParams& params, int64_t k) {
  Generator gen(100 + static_cast<uint64_t>(k));
  for (const auto& [name, p] : params) p.set_grad(randn(p.shape(), gen, p.dtype()));
}

std::unique_ptr<Optimizer> make(const std::string& name, const NamedParams& params) {
  OptimConfig s;
  s.name = parse_name<OptimizerKind>(name, "optimizer");
  s.lr = 0.05;
  s.beta2 = 0.999;
  s.weight_decay = 0.1;
  s.momentum = 0.9;
  s.nesterov = true;
  return make_optimizer(s, params);
}

void run_steps(Optimizer& opt, const NamedParams& params, int64_t from, int64_t to, const LrSchedule& lr) {
  for (int64_t k = from; k < to; ++k) {
    set_grads(params, k);
    clip_grad_norm(opt.parameters(), 2.0);
    opt.set_lr(lr.at(k));
    opt.step();
  }
}

}  // namespace

TEST_CASE("state export / import into a fresh optimizer continues bit for bit", "[optim]") {
  const LrSchedule lr = make_schedule(ScheduleKind::cosine, 0.05, 0.005, 3, 8);
  for (const std::string name : {"adamw", "adam", "sgd"}) {
    INFO(name);
    NamedParams straight = make_params(), resumed = make_params();
    auto opt = make(name, straight);
    run_steps(*opt, straight, 0, 10, lr);

    auto first = make(name, resumed);
    run_steps(*first, resumed, 0, 5, lr);
    const StateDict saved = first->state_dict();
    NamedParams restarted = make_params();  // the parameters as saved after step 5
    for (size_t i = 0; i < restarted.size(); ++i) copy_(restarted[i].second, resumed[i].second);

    // The export is a snapshot: stepping on does not change it.
    const std::string key = name == "sgd" ? "momentum_buffer" : "exp_avg";
    const std::vector<double> exported = values(saved.at("fc.weight").at(key));
    run_steps(*first, resumed, 5, 6, lr);
    CHECK(values(saved.at("fc.weight").at(key)) == exported);
    CHECK(saved.at("fc.weight").at("step").item() == 5);

    auto second = make(name, restarted);
    second->load_state_dict(saved);
    run_steps(*second, restarted, 5, 10, lr);
    for (size_t i = 0; i < straight.size(); ++i) {
      INFO(straight[i].first);
      CHECK(values(restarted[i].second) == values(straight[i].second));  // bitwise
    }
    const StateDict a = opt->state_dict(), b = second->state_dict();
    for (const auto& [pname, st] : a)
      for (const auto& [k, t] : st) CHECK(values(b.at(pname).at(k)) == values(t));
  }
}

TEST_CASE("optimizer state survives an HDF5 round trip (the checkpoint layout)", "[optim]") {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / fmt::format("qkv_test_optim_state_{}.h5", getpid());
  const LrSchedule lr = make_schedule(ScheduleKind::linear, 0.05, 0.005, 2, 8);
  NamedParams straight = make_params(), resumed = make_params();
  auto opt = make("adamw", straight);
  run_steps(*opt, straight, 0, 8, lr);

  auto first = make("adamw", resumed);
  run_steps(*first, resumed, 0, 4, lr);
  {
    Hdf5File f = Hdf5File::create(path.string());
    for (const auto& [pname, p] : resumed) f.write("params/" + pname, p);
    for (const auto& [pname, st] : first->state_dict())
      for (const auto& [key, t] : st) f.write("optim/" + pname + "/" + key, t);
    f.close();
  }
  NamedParams loaded = make_params();
  auto second = make("adamw", loaded);
  {
    Hdf5File f = Hdf5File::open(path.string());
    for (const auto& [pname, p] : loaded) copy_(p, f.read("params/" + pname));
    StateDict state;
    for (const std::string& entry : f.list("optim")) {
      const size_t slash = entry.rfind('/');
      state[entry.substr(0, slash)][entry.substr(slash + 1)] = f.read("optim/" + entry);
    }
    second->load_state_dict(state);
  }
  std::filesystem::remove(path);
  run_steps(*second, loaded, 4, 8, lr);
  for (size_t i = 0; i < straight.size(); ++i) CHECK(values(loaded[i].second) == values(straight[i].second));
}

TEST_CASE("AdamW trains a tiny GPT: the loss falls on a fixed batch", "[optim]") {
  nn::ModelConfig cfg;
  cfg.vocab_size = 11;
  cfg.n_layer = 1;
  cfg.n_head = 2;
  cfg.n_embd = 16;
  cfg.block_size = 8;
  nn::GPT gpt(cfg, 3);
  Tensor ids = Tensor::from(std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 6, 8, 10, 1, 3, 5}, {2, 8});
  Tensor targets = Tensor::from(std::vector<int64_t>{2, 3, 4, 5, 6, 7, 8, 9, 3, 5, 7, 9, 0, 2, 4, 6}, {2, 8});
  AdamOptions o;
  o.lr = 1e-2;
  o.weight_decay = 0.1;
  AdamW opt(gpt.named_parameters(), o);
  double first = 0, last = 0;
  for (int step = 0; step < 20; ++step) {
    opt.zero_grad();
    Tensor loss = gpt.loss(ids, targets);
    loss.backward();
    clip_grad_norm(opt.parameters(), 1.0);
    opt.step();
    (step == 0 ? first : last) = loss.item();
  }
  CHECK(first == Approx(std::log(11.0)).epsilon(0.1));
  CHECK(last < 0.5 * first);
}

TEST_CASE("optimizer errors name the problem", "[optim]") {
  Tensor p = param({1, 2}, {2});
  REQUIRE_THROWS_WITH(parse_name<OptimizerKind>("lion", "optim.name"),
                      Contains("optim.name must be one of adamw, adam, sgd, got \"lion\""));
  SGDOptions nesterov;
  nesterov.nesterov = true;
  REQUIRE_THROWS_WITH(SGD({{"w", p}}, nesterov), Contains("sgd: Nesterov momentum needs momentum > 0"));
  AdamOptions betas;
  betas.beta2 = 1.0;
  REQUIRE_THROWS_WITH(Adam({{"w", p}}, betas), Contains("adam: betas must lie in [0, 1), got (0.9, 1)"));
  REQUIRE_THROWS_WITH(SGD({{"w", p}, {"w", param({1}, {1})}}, {}), Contains("optimizer: two parameters are named 'w'"));

  Adam adam({{"w", p}}, AdamOptions{});
  REQUIRE_THROWS_WITH(adam.set_lr(-1), Contains("adam: learning rate must be >= 0, got -1"));
  give_grad(p, {1, 1});
  adam.step();
  StateDict good = adam.state_dict();

  StateDict unknown = good;
  unknown["v"] = good.at("w");
  REQUIRE_THROWS_WITH(adam.load_state_dict(unknown), Contains("adam: state for unknown parameter 'v'"));
  StateDict missing = good;
  missing.at("w").erase("exp_avg_sq");
  REQUIRE_THROWS_WITH(adam.load_state_dict(missing), Contains("adam: state of 'w' lacks 'exp_avg_sq'"));
  StateDict shape = good;
  shape.at("w").at("exp_avg") = zeros({3}, DType::f64);
  REQUIRE_THROWS_WITH(adam.load_state_dict(shape),
                      Contains("adam: state 'exp_avg' of 'w' is float64[3], the parameter is float64[2]"));
  StateDict extra = good;
  extra.at("w")["momentum_buffer"] = zeros({2}, DType::f64);
  REQUIRE_THROWS_WITH(adam.load_state_dict(extra), Contains("adam: unknown state 'momentum_buffer' for 'w'"));
  StateDict no_step = good;
  no_step.at("w").erase("step");
  REQUIRE_THROWS_WITH(adam.load_state_dict(no_step), Contains("adam: state of 'w' has no 'step'"));
  // A failed load leaves the state as it was.
  CHECK(adam.state_dict().at("w").at("step").item() == 1);
}
