#include "cli/parse_error.h"

#include <fmt/format.h>

namespace qkv::cli {

namespace {

std::string command_list(const CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    names += (names.empty() ? "" : ", ") + sub->get_name();
  return names;
}

// The subcommand whose options were being parsed, or null.
const CLI::App* parsed_subcommand(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (sub->parsed()) return sub;
  return nullptr;
}

std::string one_line(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  for (size_t at; (at = s.find('\n')) != std::string::npos;) s.replace(at, 1, "; ");
  return s;
}

}  // namespace

std::string parse_error_line(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* sub = parsed_subcommand(app);
  if (!sub && dynamic_cast<const CLI::RequiredError*>(&e)) {
    // CLI11 says "A subcommand is required" for `qkv` and for `qkv nope` alike.
    const std::vector<std::string> rest = app.remaining();
    if (!rest.empty() && !rest.front().starts_with("-"))
      return fmt::format("unknown command '{}' (expected one of {})", rest.front(), command_list(app));
    return fmt::format("a command is required: one of {} (qkv --help)", command_list(app));
  }
  std::string message = one_line(e.what());
  // Our checks (cli/bounds.h) say "must be ...": CLI11 put "--tokens: " before it.
  if (dynamic_cast<const CLI::ValidationError*>(&e))
    if (size_t at = message.find(": must "); at != std::string::npos) message.erase(at, 1);
  // CLI11's "Could not convert: --tokens = abc".
  constexpr std::string_view convert = "Could not convert: ";
  if (dynamic_cast<const CLI::ConversionError*>(&e) && message.starts_with(convert))
    if (size_t eq = message.find(" = "); eq != std::string::npos) {
      const std::string name = message.substr(convert.size(), eq - convert.size());
      const CLI::Option* opt = sub ? sub->get_option_no_throw(name) : nullptr;
      if (!opt) opt = app.get_option_no_throw(name);
      const bool integer = opt && opt->get_type_name().starts_with("INT");  // "INT:in [0, 10]"
      message = fmt::format("{} must be {}, got {}", name, integer ? "an integer" : "a number", message.substr(eq + 3));
    }
  // CLI11's "--out: 1 required TEXT missing" (for --out= or a last --out).
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && message.ends_with(" missing"))
    if (size_t colon = message.find(": "); colon != std::string::npos && message.find(" required ", colon) != std::string::npos)
      message = message.substr(0, colon) + " needs a value";
  // An option of qkv itself (--threads) is not the subcommand's.
  const std::string option = message.substr(0, message.find_first_of(" :"));
  if (option.starts_with("-") && app.get_option_no_throw(option)) sub = nullptr;
  return sub ? fmt::format("{}: {}", sub->get_name(), message) : message;
}

}  // namespace qkv::cli
